// The `components` criterion's items: component transitions. A component transition is one
// component instance (a server, port, path, single or mirrored disk), its CF-2 entry before, the
// event, and its entry after, where the entry changed. They are collected from every composed
// transition, so each is reachable and is taken in a context the composed model really has.
// A composed transition usually changes several components at once and so covers several items.
// Refused commands count too, once per event and refusal code (`start s1` refused with
// SRV_ALREADY_RUNNING): a refusal is the component's answer that nothing changes (SRV-12), and the
// runner compares its code.

import { eventLabel } from '../check/format.js';
import { type ComponentRef, componentsOf, componentTransitionKey, entryLine, entryOf } from './component-status.js';
import type { CoverGoal } from './cover-goal.js';
import type { StateGraph } from './state-graph.js';

/** The component transitions of a graph and the edges that take them. */
export interface ComponentTransitions {
  /** Every component transition, by name (`server s1: ... -> ... on stop s1`). */
  readonly keys: readonly string[];
  /** Items of edge k: `items[itemStart[k]]` to `items[itemStart[k + 1] - 1]`. */
  readonly itemStart: Int32Array;
  readonly items: Int32Array;
}

/** Bound on the distinct entry lines numbered by componentTransitions (2^20: packed keys stay exact doubles). */
const LINES = 2 ** 20;

/** Collects the component transitions of every edge. */
export function componentTransitions(graph: StateGraph): ComponentTransitions {
  const components: ComponentRef[] = componentsOf(graph.status(0));
  // Line ids of entries: entries are memoized per component snapshot, so identity is a fast first test.
  const lineIds = new Map<string, number>();
  const lines: string[] = [];
  const byEntry = components.map(() => new WeakMap<object, number>());
  const lineId = (c: number, entry: object): number => {
    let id = byEntry[c]!.get(entry);
    if (id === undefined) {
      const line = entryLine(components[c]!.kind, entry);
      id = lineIds.get(line);
      if (id === undefined) {
        id = lines.push(line) - 1;
        lineIds.set(line, id);
      }
      byEntry[c]!.set(entry, id);
    }
    return id;
  };
  const keys: string[] = [];
  // Items by a number packed from (component, event, line before, line after): no string per edge.
  const itemOf = new Map<number, number>();
  const E = graph.model.alphabet.length;
  const labels = graph.model.alphabet.map(eventLabel);
  const itemStart = new Int32Array(graph.edges + 1);
  let items = new Int32Array(1 << 16);
  let count = 0;
  for (let k = 0; k < graph.edges; k++) {
    itemStart[k] = count;
    const from = graph.edgeFrom[k]!;
    const to = graph.edgeTo[k]!;
    if (from === to) continue;
    const a = graph.status(from);
    const b = graph.status(to);
    const e = graph.edgeEvent[k]!;
    for (let c = 0; c < components.length; c++) {
      const x = entryOf(a, components[c]!) as object;
      const y = entryOf(b, components[c]!) as object;
      if (x === y) continue;
      const lx = lineId(c, x);
      const ly = lineId(c, y);
      if (lx === ly) continue;
      if (ly >= LINES) throw new Error(`more than ${LINES} distinct component entries: too many to number`);
      const code = ((c * E + e) * LINES + lx) * LINES + ly;
      let item = itemOf.get(code);
      if (item === undefined) {
        item = keys.length;
        itemOf.set(code, item);
        keys.push(componentTransitionKey(components[c]!, lines[lx]!, labels[e]!, lines[ly]!));
      }
      if (count === items.length) {
        const grown = new Int32Array(items.length * 2);
        grown.set(items);
        items = grown;
      }
      items[count++] = item;
    }
  }
  itemStart[graph.edges] = count;
  return { keys, itemStart, items: items.slice(0, count) };
}

/** The refusals of a graph's states: each distinct event and refusal code, and where they happen. */
export interface Refusals {
  /** Every distinct refusal, by name (`refused start s1 with SRV_ALREADY_RUNNING`). */
  readonly keys: readonly string[];
  /** Refusals of state u: `events[start[u]]` to `events[start[u + 1] - 1]`, with their items. */
  readonly start: Int32Array;
  readonly events: Int32Array;
  readonly items: Int32Array;
}

/** Collects every refusal of every state: the events the model refuses there, by code. */
export function stateRefusals(graph: StateGraph): Refusals {
  const labels = graph.model.alphabet.map(eventLabel);
  const keys: string[] = [];
  const { refusalStart: start, refusalEvent: events, refusalCode, refusalCodes } = graph;
  // Items by event and code, numbered in order of first appearance.
  const C = refusalCodes.length;
  const itemOf = new Int32Array(labels.length * C).fill(-1);
  const items = new Int32Array(events.length);
  for (let k = 0; k < events.length; k++) {
    const pair = events[k]! * C + refusalCode[k]!;
    let item = itemOf[pair]!;
    if (item < 0) {
      item = keys.push(`refused ${labels[events[k]!]} with ${refusalCodes[refusalCode[k]!]}`) - 1;
      itemOf[pair] = item;
    }
    items[k] = item;
  }
  return { keys, start, events, items };
}

/**
 * The `components` goal: the component transitions of a graph, then its refusals. Items are
 * numbered transitions first (0 to T-1), refusals after (T on).
 */
export function componentsGoal(t: ComponentTransitions, r: Refusals): CoverGoal {
  const T = t.keys.length;
  const done = new Uint8Array(T + r.keys.length);
  let covered = 0;
  const { itemStart, items } = t;
  return {
    unit: 'component transitions and refusals',
    size: T + r.keys.length,
    get covered() {
      return covered;
    },
    start: () => [],
    gain: (_prev, edge) => {
      let g = 0;
      for (let i = itemStart[edge]!; i < itemStart[edge + 1]!; i++) if (!done[items[i]!]) g++;
      return g;
    },
    take: (_prev, edge) => {
      const newly: number[] = [];
      for (let i = itemStart[edge]!; i < itemStart[edge + 1]!; i++) {
        const item = items[i]!;
        if (!done[item]) {
          done[item] = 1;
          covered++;
          newly.push(item);
        }
      }
      return newly;
    },
    refusals: (u) => {
      const out: number[] = [];
      for (let i = r.start[u]!; i < r.start[u + 1]!; i++) if (!done[T + r.items[i]!]) out.push(r.events[i]!);
      return out;
    },
    takeRefusal: (u, e) => {
      for (let i = r.start[u]!; i < r.start[u + 1]!; i++) {
        const item = T + r.items[i]!;
        if (r.events[i] === e && !done[item]) {
          done[item] = 1;
          covered++;
          return [item];
        }
      }
      return [];
    },
    isCovered: (item) => done[item] === 1,
    describe: (item) => (item < T ? t.keys[item]! : r.keys[item - T]!),
  };
}
