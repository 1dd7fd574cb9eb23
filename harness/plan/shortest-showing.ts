// The shortest path that can show a bug, computed from the model: the fewest steps from the initial
// state to a step for which a predicate holds (the step a bug needs to be visible: a stop of a
// server, a refused command, a recovery completing, ...). Breadth-first over the state graph, so
// the first step found is at the least depth; refused events are steps too (they stay in their
// state, SRV-12). Benchmarks and fault-switch tests measure a minimized path against this length
// instead of a hard-coded one.

import { createGroupModel } from '../../models/group.js';
import type { GroupEvent, Topology } from '../../models/types.js';
import type { StepFacts } from './spec-ids.js';
import { buildStateGraph, type StateGraph } from './state-graph.js';

/** What a predicate sees of one step. */
export type ShowingStep = Omit<StepFacts, 'written' | 'flushed'>;

/** The shortest event sequence whose last step satisfies `shows`, or null when no reachable step does. */
export function shortestShowing(graph: StateGraph, shows: (step: ShowingStep) => boolean): GroupEvent[] | null {
  const alphabet = graph.model.alphabet;
  const parent = new Map<number, { from: number; event: number }>([[0, { from: -1, event: -1 }]]);
  const trail = (state: number): GroupEvent[] => {
    const events: GroupEvent[] = [];
    for (let s = state; s !== 0; s = parent.get(s)!.from) events.unshift(alphabet[parent.get(s)!.event]!);
    return events;
  };
  let frontier = [0];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const from of frontier) {
      const before = graph.status(from);
      for (let e = 0; e < alphabet.length; e++) {
        const k = graph.edgeOf(from, e);
        const to = k >= 0 ? graph.edgeTo[k]! : from;
        if (shows({ event: alphabet[e]!, refused: k < 0, before, after: k >= 0 ? graph.status(to) : before })) {
          return [...trail(from), alphabet[e]!];
        }
        if (k >= 0 && !parent.has(to)) {
          parent.set(to, { from, event: e });
          next.push(to);
        }
      }
    }
    frontier = next;
  }
  return null;
}

/** `shortestShowing` on a topology's whole model (explored once per call). */
export function shortestShowingIn(topology: Topology, shows: (step: ShowingStep) => boolean): GroupEvent[] | null {
  return shortestShowing(buildStateGraph(createGroupModel(topology)), shows);
}
