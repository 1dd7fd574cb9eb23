// What a covering criterion counts, as seen by the greedy walk: items, which edges cover which
// items, and what is covered so far. An edge may cover items only in context: a pair of
// transitions is covered by its second edge taken right after its first, so every question takes
// the edge taken before (`prev`, -1 at the start of a path). A goal may also count refusals: an
// event the model refuses in a state is a step that stays there (SRV-12).

import { eventLabel } from '../check/format.js';
import type { StateGraph } from './state-graph.js';

/** The items of a criterion and their coverage, updated as paths are walked. */
export interface CoverGoal {
  /** What is counted, e.g. `composed transitions`. */
  readonly unit: string;
  /** Number of items. */
  readonly size: number;
  /** Items covered so far. */
  readonly covered: number;
  /** Marks what a path covers by starting in the initial state; returns the items newly covered. */
  start(): number[];
  /** Items edge `edge` would newly cover, taken after edge `prev`. */
  gain(prev: number, edge: number): number;
  /** Takes edge `edge` after edge `prev`; returns the items newly covered. */
  take(prev: number, edge: number): number[];
  /** An edge that covers something new right after `edge`, or -1 (only goals whose items span two edges). */
  after?(edge: number): number;
  /** Events (alphabet indices) the model refuses in state u whose refusal covers something new (goals that count refusals). */
  refusals?(u: number): number[];
  /** Marks the refusal of event e in state u; returns the items newly covered. */
  takeRefusal?(u: number, e: number): number[];
  /** Whether an item is covered. */
  isCovered(item: number): boolean;
  /** An item, for readers. */
  describe(item: number): string;
}

/** Every reachable state. */
export function statesGoal(graph: StateGraph): CoverGoal {
  const n = graph.states.length;
  const done = new Uint8Array(n);
  let covered = 0;
  const mark = (s: number): number[] => {
    if (done[s]) return [];
    done[s] = 1;
    covered++;
    return [s];
  };
  return {
    unit: 'composed states',
    size: n,
    get covered() {
      return covered;
    },
    start: () => mark(0),
    gain: (_prev, edge) => (done[graph.edgeTo[edge]!] ? 0 : 1),
    take: (_prev, edge) => mark(graph.edgeTo[edge]!),
    isCovered: (item) => done[item] === 1,
    describe: (item) => `state ${item}`,
  };
}

/** Every composed transition (applied event), self-loops included. */
export function transitionsGoal(graph: StateGraph): CoverGoal {
  const done = new Uint8Array(graph.edges);
  let covered = 0;
  const label = edgeLabel(graph);
  return {
    unit: 'composed transitions',
    size: graph.edges,
    get covered() {
      return covered;
    },
    start: () => [],
    gain: (_prev, edge) => (done[edge] ? 0 : 1),
    take: (_prev, edge) => {
      if (done[edge]) return [];
      done[edge] = 1;
      covered++;
      return [edge];
    },
    isCovered: (item) => done[item] === 1,
    describe: label,
  };
}

/**
 * Every pair of consecutive transitions: an edge into a state followed by an edge out of it. The
 * pairs after edge p are numbered `offset[p]` on, in the order of the out-edges of p's target.
 */
export function transitionPairsGoal(graph: StateGraph): CoverGoal {
  const { edgeStart, edgeTo } = graph;
  const offset = new Float64Array(graph.edges + 1);
  for (let p = 0; p < graph.edges; p++) {
    const v = edgeTo[p]!;
    offset[p + 1] = offset[p]! + (edgeStart[v + 1]! - edgeStart[v]!);
  }
  const size = offset[graph.edges]!;
  const done = new Uint8Array(size);
  const left = new Int32Array(graph.edges);
  for (let p = 0; p < graph.edges; p++) left[p] = offset[p + 1]! - offset[p]!;
  let covered = 0;
  const pairOf = (prev: number, edge: number) => offset[prev]! + (edge - edgeStart[edgeTo[prev]!]!);
  const label = edgeLabel(graph);
  return {
    unit: 'pairs of consecutive composed transitions',
    size,
    get covered() {
      return covered;
    },
    start: () => [],
    gain: (prev, edge) => (prev >= 0 && !done[pairOf(prev, edge)] ? 1 : 0),
    take: (prev, edge) => {
      if (prev < 0) return [];
      const item = pairOf(prev, edge);
      if (done[item]) return [];
      done[item] = 1;
      left[prev]!--;
      covered++;
      return [item];
    },
    after: (edge) => {
      if (left[edge] === 0) return -1;
      const v = edgeTo[edge]!;
      for (let k = edgeStart[v]!; k < edgeStart[v + 1]!; k++) if (!done[pairOf(edge, k)]) return k;
      return -1;
    },
    isCovered: (item) => done[item] === 1,
    describe: (item) => {
      // The first edge p with offset[p] <= item (binary search), then the second edge.
      let lo = 0;
      let hi = graph.edges - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (offset[mid]! <= item) lo = mid;
        else hi = mid - 1;
      }
      const second = edgeStart[edgeTo[lo]!]! + (item - offset[lo]!);
      return `${label(lo)} then ${eventLabel(graph.model.alphabet[graph.edgeEvent[second]!]!)} -> ${edgeTo[second]}`;
    },
  };
}

/** `12: stop s1 -> 40`: an edge by its states and event. */
export function edgeLabel(graph: StateGraph): (edge: number) => string {
  const labels = graph.model.alphabet.map(eventLabel);
  return (edge) => `${graph.edgeFrom[edge]}: ${labels[graph.edgeEvent[edge]!]} -> ${graph.edgeTo[edge]}`;
}
