// The heal suffix: the steps that end every path in a state where the runner can read every block
// back. "Healed" means every virtual disk grants host access, every mirrored disk is online with
// every copy up to date, and every host sees every disk through an active path.
//
// The suffix is a cheapest route to such a state over operator repairs, computed once for every
// state by a backward Dijkstra search. Costs order the repairs: power-on, start, mains restored,
// link up and recovery completion cost 1 step each; an event type this planner does not know (a
// repair a later model adds, such as reconnecting a host) costs UNKNOWN_COST; Force Mirror
// Recovery costs FORCE_COST, so it is used only where nothing else reaches a healed state
// (MIR-11: it gives data up). Faults, host I/O and operator actions that take things down are
// never part of a heal.

import type { GroupEvent, GroupStatus } from '../../models/types.js';
import { PlanError } from './plan-error.js';
import type { StateGraph } from './state-graph.js';

/** Event types a heal uses freely. */
export const repairEventTypes: ReadonlySet<string> = new Set(['powerOn', 'start', 'mainsRestored', 'linkUp', 'recoveryComplete']);
/** Event types a heal uses only when nothing else works. */
export const lastResortEventTypes: ReadonlySet<string> = new Set(['forceMirrorRecovery']);
/** Event types a heal never uses: faults, host I/O, and operator actions that take things down or change settings. */
export const nonHealEventTypes: ReadonlySet<string> = new Set([
  'crash',
  'siteCrash',
  'linkDown',
  'onBattery',
  'batteryLow',
  'stop',
  'shutdown',
  'restart',
  'setCache',
  'write',
  'flush',
  'autoRestartWindowElapsed',
]);

const UNKNOWN_COST = 30;
const FORCE_COST = 1000;

/** Cost of an event in a heal, or 0 when a heal never uses it. */
export function healCost(e: GroupEvent): number {
  if (repairEventTypes.has(e.type)) return 1;
  if (lastResortEventTypes.has(e.type)) return FORCE_COST;
  if (nonHealEventTypes.has(e.type)) return 0;
  return UNKNOWN_COST;
}

/** Every block can be read back: every disk accessible, every mirror online and in sync, every host sees every disk. */
export function isHealed(s: GroupStatus): boolean {
  for (const v of s.virtualDisks) {
    if (v.hostAccess !== 'readWrite') return false;
    if (v.kind === 'mirrored' && (v.status !== 'online' || v.copies.some((c) => c.dataStatus !== 'upToDate'))) return false;
  }
  const hosts = new Set(s.paths.map((p) => p.host));
  for (const h of hosts) {
    for (const v of s.virtualDisks) {
      const seen = s.paths.some(
        (p) => p.host === h && p.online && (p.alua[v.name] === 'activeOptimized' || p.alua[v.name] === 'activeNonOptimized'),
      );
      if (!seen) return false;
    }
  }
  return true;
}

/** Heal routes of every state of a graph. */
export interface HealRoutes {
  /** Cost of the cheapest heal from a state (0 when healed, Infinity when none exists). */
  cost(state: number): number;
  /** The edges of the cheapest heal from a state (empty when healed); throws when none exists. */
  suffix(state: number): number[];
}

/** Computes heal routes for every state of a graph (backward Dijkstra from the healed states). */
export function computeHealRoutes(graph: StateGraph, describe: (s: GroupStatus) => string = () => ''): HealRoutes {
  const n = graph.states.length;
  const costOfEvent = graph.model.alphabet.map(healCost);
  // Reverse adjacency of heal edges.
  const count = new Int32Array(n + 1);
  for (let k = 0; k < graph.edges; k++) if (costOfEvent[graph.edgeEvent[k]!]! > 0) count[graph.edgeTo[k]! + 1]!++;
  for (let i = 0; i < n; i++) count[i + 1]! += count[i]!;
  const fill = count.slice(0, n);
  const preds = new Int32Array(count[n]!);
  for (let k = 0; k < graph.edges; k++) if (costOfEvent[graph.edgeEvent[k]!]! > 0) preds[fill[graph.edgeTo[k]!]!++] = k;

  const dist = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const heap = new MinHeap();
  for (let i = 0; i < n; i++) {
    if (isHealed(graph.status(i))) {
      dist[i] = 0;
      heap.push(0, i);
    }
  }
  while (heap.size > 0) {
    const [d, v] = heap.pop();
    if (d > dist[v]!) continue;
    for (let k = count[v]!; k < count[v + 1]!; k++) {
      const edge = preds[k]!;
      const u = graph.edgeFrom[edge]!;
      const du = d + costOfEvent[graph.edgeEvent[edge]!]!;
      if (du < dist[u]!) {
        dist[u] = du;
        heap.push(du, u);
      }
    }
  }
  // The first cheapest out-edge of each state, in the graph's edge order.
  const next = new Int32Array(n).fill(-1);
  for (let u = 0; u < n; u++) {
    if (dist[u] === 0 || dist[u] === Number.POSITIVE_INFINITY) continue;
    for (let k = graph.edgeStart[u]!; k < graph.edgeStart[u + 1]!; k++) {
      const c = costOfEvent[graph.edgeEvent[k]!]!;
      if (c > 0 && dist[graph.edgeTo[k]!]! + c === dist[u]) {
        next[u] = k;
        break;
      }
    }
  }
  return {
    cost: (state) => dist[state]!,
    suffix: (state) => {
      if (dist[state] === Number.POSITIVE_INFINITY) {
        const status = describe(graph.status(state));
        throw new PlanError(
          'SANSPEC_UNHEALABLE_STATE',
          `no operator repair leads from model state ${state} (${status}) to a state where every disk can be read back; a path cannot end there`,
          { state, status },
        );
      }
      const edges: number[] = [];
      for (let u = state; dist[u]! > 0; u = graph.edgeTo[next[u]!]!) edges.push(next[u]!);
      return edges;
    },
  };
}

/** A binary min-heap of (priority, value) pairs. */
class MinHeap {
  private readonly keys: number[] = [];
  private readonly values: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  push(key: number, value: number): void {
    const { keys, values } = this;
    let i = keys.length;
    keys.push(key);
    values.push(value);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (keys[p]! <= key) break;
      keys[i] = keys[p]!;
      values[i] = values[p]!;
      i = p;
    }
    keys[i] = key;
    values[i] = value;
  }
  pop(): [number, number] {
    const { keys, values } = this;
    const top: [number, number] = [keys[0]!, values[0]!];
    const lastKey = keys.pop()!;
    const lastValue = values.pop()!;
    const n = keys.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && keys[r]! < keys[l]! ? r : l;
        if (keys[c]! >= lastKey) break;
        keys[i] = keys[c]!;
        values[i] = values[c]!;
        i = c;
      }
      keys[i] = lastKey;
      values[i] = lastValue;
    }
    return top;
  }
}
