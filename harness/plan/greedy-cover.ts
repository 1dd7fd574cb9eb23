// The greedy covering walk. From the current state it finds the nearest state with an edge that
// covers something not yet covered, goes there by a shortest route and takes that edge (the one
// covering most there, and among those one that leads on to more work); route edges count as
// covered too. A path ends when it reaches the length bound, when the next item is further than
// the bound allows (a fresh path may be closer), or when nothing uncovered is reachable from
// where it stands; then it gets its heal suffix and the next path starts from the initial state.
// The plan is done when nothing uncovered is reachable from the initial state, which is
// everything: every item was found by exploring from there.
//
// The nearest state is found by A* over unit-cost edges, guided by h(u), the distance from u to
// the nearest state that had work when h was last computed (a backward breadth-first search
// from all of them). Work only ever gets done, never added, so h stays a lower bound of the
// true distance and consistent, and A* stays exact; as h grows stale, searches expand more
// states, and past a budget h is computed afresh. On the big criteria (every transition of tens
// of thousands of states) this is the difference between seconds and hours of breadth-first
// searches.
//
// This trades a little optimality for speed: a system under test pays a fresh group per path and
// real time per step, so the aim is few steps and few paths; finding an optimal cover (a
// Chinese-postman-like problem) is not worth minutes of planning.

import type { CoverGoal } from './cover-goal.js';
import type { HealRoutes } from './heal.js';
import { PathWalker, type RawPath } from './path-walker.js';
import type { StateGraph } from './state-graph.js';

export interface GreedyOptions {
  /** Steps before the heal suffix that a path aims not to exceed. */
  readonly maxPathLength: number;
  /** Steps every path starts with (writes whose data the runner reads back at the end). */
  readonly prefix?: (walker: PathWalker) => void;
}

/** Covers a goal with greedy walks; returns the paths, each ending with its heal suffix. */
export function coverGreedily(graph: StateGraph, goal: CoverGoal, heals: HealRoutes, options: GreedyOptions): RawPath[] {
  const search = createNearestSearch(graph, goal);
  const paths: RawPath[] = [];
  for (;;) {
    const walker = new PathWalker(graph, goal, heals);
    const startCovered = walker.covers.length;
    options.prefix?.(walker);
    let took = false;
    while (walker.length < options.maxPathLength) {
      // Refusals to cover here: steps that change nothing, taken on the spot.
      for (const e of goal.refusals?.(walker.state) ?? []) {
        walker.event(e);
        took = true;
      }
      if (walker.length >= options.maxPathLength) break;
      const route = search(walker.state, walker.prev);
      if (!route) break;
      // Too far for this path: a fresh path may reach it in fewer steps (or will take it anyway).
      if (took && walker.length + route.length > options.maxPathLength) break;
      for (const k of route) walker.edge(k);
      took = true;
    }
    if (!took && walker.covers.length === startCovered) break;
    walker.heal();
    paths.push(walker.finish());
  }
  return paths;
}

const UNREACHABLE = 0x3fffffff;
/** States looked at after the first nearest state with work, to find one whose work covers more. */
const EXTRA_CANDIDATES = 64;

/**
 * The search for the nearest edge covering something new: returns the edges from `start` up to
 * and including it (and the edge after it, for goals whose items span two edges), or null when
 * nothing uncovered is reachable.
 */
export function createNearestSearch(graph: StateGraph, goal: CoverGoal): (start: number, prev: number) => number[] | null {
  const n = graph.states.length;
  const { edgeStart, edgeTo, edgeFrom } = graph;

  /** Whether the target of edge k has an edge covering something new besides k itself. */
  const hasOnward = (k: number): boolean => {
    const v = edgeTo[k]!;
    for (let k2 = edgeStart[v]!; k2 < edgeStart[v + 1]!; k2++) if (k2 !== k && goal.gain(k, k2) > 0) return true;
    return false;
  };
  /** The work to do at state u reached by edge `via`: refusals (no edge), the edge covering most (onward first among equals), or an edge pair. */
  const pick = (u: number, via: number): number[] | null => {
    if (goal.refusals && goal.refusals(u).length > 0) return [];
    let best = -1;
    let bestGain = 0;
    let bestOnward = false;
    let pair: number[] | null = null;
    for (let k = edgeStart[u]!; k < edgeStart[u + 1]!; k++) {
      const g = goal.gain(via, k);
      if (g > 0) {
        if (g > bestGain || (g === bestGain && !bestOnward && hasOnward(k))) {
          bestOnward = g > bestGain ? hasOnward(k) : true;
          best = k;
          bestGain = g;
        }
      } else if (best < 0 && !pair && goal.after) {
        const k2 = goal.after(k);
        if (k2 >= 0) pair = [k, k2];
      }
    }
    return best >= 0 ? [best] : pair;
  };
  /** Whether state u has work whatever edge led there. */
  const open = (u: number): boolean => {
    if (goal.refusals && goal.refusals(u).length > 0) return true;
    for (let k = edgeStart[u]!; k < edgeStart[u + 1]!; k++) {
      if (goal.gain(-1, k) > 0 || (goal.after && goal.after(k) >= 0)) return true;
    }
    return false;
  };

  // Reverse adjacency, for the heuristic.
  const predStart = new Int32Array(n + 1);
  for (let k = 0; k < graph.edges; k++) predStart[edgeTo[k]! + 1]!++;
  for (let i = 0; i < n; i++) predStart[i + 1]! += predStart[i]!;
  const fill = predStart.slice(0, n);
  const preds = new Int32Array(graph.edges);
  for (let k = 0; k < graph.edges; k++) preds[fill[edgeTo[k]!]!++] = edgeFrom[k]!;

  const h = new Int32Array(n);
  const queue = new Int32Array(n);
  let stale = true;
  const computeHeuristic = () => {
    h.fill(UNREACHABLE);
    let tail = 0;
    for (let u = 0; u < n; u++) {
      if (open(u)) {
        h[u] = 0;
        queue[tail++] = u;
      }
    }
    for (let head = 0; head < tail; head++) {
      const v = queue[head]!;
      for (let i = predStart[v]!; i < predStart[v + 1]!; i++) {
        const u = preds[i]!;
        if (h[u] === UNREACHABLE) {
          h[u] = h[v]! + 1;
          queue[tail++] = u;
        }
      }
    }
    stale = false;
  };
  const budget = Math.max(2000, n >> 4);

  // A* state: best known distance from the start (valid when stamp matches), edge into each state.
  const stamp = new Int32Array(n);
  const dist = new Int32Array(n);
  const via = new Int32Array(n);
  let generation = 0;
  /** Buckets of a bucket queue by f = g + h; each a stack, so ties go deep first. */
  const buckets: number[][] = [];

  return (start, prev) => {
    const here = pick(start, prev);
    if (here) return here;
    if (stale) computeHeuristic();
    if (h[start] === UNREACHABLE) return null;
    generation++;
    stamp[start] = generation;
    dist[start] = 0;
    via[start] = prev;
    for (const b of buckets) b.length = 0;
    const push = (f: number, u: number) => {
      let b = buckets[f];
      if (!b) for (let i = buckets.length; i <= f; i++) b = buckets[i] = [];
      b!.push(u);
    };
    push(h[start]!, start);
    let expanded = 0;
    // The first state with work found is a nearest one; a few more of the same distance are
    // looked at, to take the one whose work covers most.
    let found: number[] | null = null;
    let foundGain = 0;
    let extra = 0;
    for (let f = h[start]!; f < buckets.length && !found; f++) {
      const b = buckets[f]!;
      while (b.length > 0 && extra < EXTRA_CANDIDATES) {
        const u = b.pop()!;
        const g = dist[u]!;
        if (g + h[u]! !== f) continue; // a stale entry: u was reached more cheaply since
        if (++expanded > budget) stale = true;
        if (found) extra++;
        if (u !== start) {
          const work = pick(u, via[u]!);
          if (work) {
            const gain = work.length === 1 ? goal.gain(via[u]!, work[0]!) : work.length === 0 ? goal.refusals!(u).length : 1;
            if (!found || gain > foundGain) {
              for (let x = u; x !== start; x = edgeFrom[via[x]!]!) work.unshift(via[x]!);
              found = work;
              foundGain = gain;
            }
            continue;
          }
        }
        for (let k = edgeStart[u]!; k < edgeStart[u + 1]!; k++) {
          const v = edgeTo[k]!;
          if (h[v] === UNREACHABLE) continue;
          if (stamp[v] !== generation || g + 1 < dist[v]!) {
            stamp[v] = generation;
            dist[v] = g + 1;
            via[v] = k;
            push(g + 1 + h[v]!, v);
          }
        }
      }
    }
    if (found) return found;
    // Nothing reachable has work: h was stale everywhere reachable from here.
    stale = true;
    return null;
  };
}
