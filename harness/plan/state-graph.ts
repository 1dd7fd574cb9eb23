// The composed model as an explicit graph: every reachable state and every applied transition,
// in compressed adjacency (CSR) arrays, so that planners can search it many times over without
// calling the model again. Refused events are not edges: they leave the state as it is (SRV-12).

import type { GroupModel, GroupState } from '../../models/group.js';
import { groupStatus } from '../../models/status.js';
import type { GroupEvent, GroupStatus } from '../../models/types.js';
import { explore } from '../explore/explore.js';
import { mulberry32 } from '../random.js';

/** Every reachable state of a model and every transition between them. */
export interface StateGraph {
  readonly model: GroupModel;
  /** Model state of each state index (0 is the initial state), in breadth-first order. */
  readonly states: readonly GroupState[];
  /** Out-edges of state i are edges `edgeStart[i]` to `edgeStart[i + 1] - 1`. */
  readonly edgeStart: Int32Array;
  /** Alphabet index of each edge's event. */
  readonly edgeEvent: Int32Array;
  /** Source state of each edge. */
  readonly edgeFrom: Int32Array;
  /** Target state of each edge. */
  readonly edgeTo: Int32Array;
  /** Number of edges. */
  readonly edges: number;
  /** Refused events of state i (SRV-12): `refusalEvent[refusalStart[i]]` to `refusalEvent[refusalStart[i + 1] - 1]`, alphabet indices. */
  readonly refusalStart: Int32Array;
  readonly refusalEvent: Int32Array;
  /** The refusal code of each refused event, as an index into `refusalCodes`. */
  readonly refusalCode: Int32Array;
  /** The distinct refusal codes. */
  readonly refusalCodes: readonly string[];
  /** Index of a model state, or -1 when it is not reachable. */
  indexOf(state: GroupState): number;
  /** The edge from state `from` by alphabet event `event`, or -1 when the event is refused there. */
  edgeOf(from: number, event: number): number;
  /** The observable status (CF-2) of a state, computed once. */
  status(i: number): GroupStatus;
  /** Alphabet index of an event (compared by value), or -1 when it is not in the topology. */
  eventIndex(event: GroupEvent): number;
}

/** Explores a model completely (breadth-first) and returns its graph. */
export function buildStateGraph(model: GroupModel, options: { maxStates?: number } = {}): StateGraph {
  let from = new Int32Array(1 << 16);
  let event = new Int32Array(1 << 16);
  let to = new Int32Array(1 << 16);
  let n = 0;
  const index = new Map<string, number>();
  const refusalFrom: number[] = [];
  const refusalEvent: number[] = [];
  const refusalCode: number[] = [];
  const refusalCodes: string[] = [];
  const codeIndex = new Map<string, number>();
  const x = explore(model, {
    maxStates: options.maxStates,
    onState: (i, state) => {
      index.set(model.key(state), i);
    },
    // Breadth-first order hands over a state's transitions together, states in increasing order.
    onTransition: (f, e, t) => {
      if (n === from.length) {
        from = grow(from);
        event = grow(event);
        to = grow(to);
      }
      from[n] = f;
      event[n] = e;
      to[n] = t;
      n++;
    },
    // Also in breadth-first order: the model's step for each refused event is computed once, here.
    onRefusal: (f, e, code) => {
      let c = codeIndex.get(code);
      if (c === undefined) {
        c = refusalCodes.push(code) - 1;
        codeIndex.set(code, c);
      }
      refusalFrom.push(f);
      refusalEvent.push(e);
      refusalCode.push(c);
    },
  });
  const states = x.states;
  const edgeStart = new Int32Array(states.length + 1);
  for (let k = 0; k < n; k++) edgeStart[from[k]! + 1]!++;
  for (let i = 0; i < states.length; i++) edgeStart[i + 1]! += edgeStart[i]!;
  const refusalStart = new Int32Array(states.length + 1);
  for (const f of refusalFrom) refusalStart[f + 1]!++;
  for (let i = 0; i < states.length; i++) refusalStart[i + 1]! += refusalStart[i]!;
  const edgeFrom = from.slice(0, n);
  const edgeEvent = event.slice(0, n);
  const edgeTo = to.slice(0, n);
  const statuses: Array<GroupStatus | undefined> = new Array(states.length);
  const eventKeys = new Map(model.alphabet.map((e, i) => [canonicalEventKey(e), i]));
  return {
    model,
    states,
    edgeStart,
    edgeEvent,
    edgeFrom,
    edgeTo,
    edges: n,
    refusalStart,
    refusalEvent: Int32Array.from(refusalEvent),
    refusalCode: Int32Array.from(refusalCode),
    refusalCodes,
    indexOf: (state) => index.get(model.key(state)) ?? -1,
    edgeOf: (f, e) => {
      for (let k = edgeStart[f]!; k < edgeStart[f + 1]!; k++) if (edgeEvent[k] === e) return k;
      return -1;
    },
    status: (i) => {
      let s = statuses[i];
      if (!s) statuses[i] = s = groupStatus(model, states[i]!);
      return s;
    },
    eventIndex: (e) => eventKeys.get(canonicalEventKey(e)) ?? -1,
  };
}

/**
 * The same graph with each state's out-edges ordered by `rank[event]` (lowest first): searches
 * that take the first of equally good edges then break ties in this order.
 */
export function reorderEdges(graph: StateGraph, rank: readonly number[]): StateGraph {
  const order = Int32Array.from({ length: graph.edges }, (_, k) => k);
  const n = graph.states.length;
  for (let u = 0; u < n; u++) {
    const segment = order.subarray(graph.edgeStart[u]!, graph.edgeStart[u + 1]!);
    segment.sort((a, b) => rank[graph.edgeEvent[a]!]! - rank[graph.edgeEvent[b]!]!);
  }
  const edgeEvent = order.map((k) => graph.edgeEvent[k]!);
  const edgeTo = order.map((k) => graph.edgeTo[k]!);
  const { edgeStart, edgeFrom } = graph;
  return {
    ...graph,
    edgeEvent,
    edgeTo,
    edgeOf: (f, e) => {
      for (let k = edgeStart[f]!; k < edgeStart[f + 1]!; k++) if (edgeEvent[k] === e) return k;
      return -1;
    },
    edgeFrom,
  };
}

/** A permutation of 0..n-1 drawn from a seed (mulberry32 and Fisher-Yates): the same seed, the same order. */
export function seededPermutation(n: number, seed: number): number[] {
  const next = mulberry32(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** A key of an event that does not depend on the order of its fields. */
export function canonicalEventKey(e: GroupEvent): string {
  const o = e as unknown as Record<string, unknown>;
  return JSON.stringify(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
