// Coverage of the component machines by paths through the composed model. Each path is replayed
// on the model from its initial state; every delivery of an event to a component (the group's
// routing included) is watched, and the transitions it takes in the component's machine are
// counted per component kind, with the states each component was in.

import type { GroupModel, GroupState } from '../../models/group.js';
import type { Refusal } from '../../models/refusal.js';
import { groupStatus } from '../../models/status.js';
import type { GroupEvent, GroupStatus } from '../../models/types.js';
import { recordedStep } from '../diagram/record-sends.js';
import { activePaths, transitionsTaken } from './transitions-taken.js';

/** Coverage of one component kind. */
export interface KindCoverage {
  /** Transition ids and coverage keys (`id@state`), with how often they were taken. */
  readonly taken: Map<string, number>;
  /** State paths (dotted) some component of the kind was in. */
  readonly visited: Set<string>;
}

/** One step of a replayed path. */
export interface ReplayedStep {
  readonly event: GroupEvent;
  /** The model's refusal, or null when the event applied. */
  readonly refusal: Refusal | null;
  readonly before: GroupStatus;
  readonly after: GroupStatus;
}

/** A replayed path: its steps and the state it ended in. */
export interface Replay {
  readonly steps: readonly ReplayedStep[];
  readonly final: GroupState;
}

/** Replays paths on a model and accumulates the coverage of its component machines. */
export class ModelCoverage {
  private readonly kinds = new Map<string, KindCoverage>();

  constructor(readonly model: GroupModel) {
    for (const c of model.components) this.kind(c.kind);
    this.visit(model.initial);
  }

  /** Coverage of a kind (empty if the kind never moved). */
  kind(kind: string): KindCoverage {
    let k = this.kinds.get(kind);
    if (!k) this.kinds.set(kind, (k = { taken: new Map(), visited: new Set() }));
    return k;
  }

  /** Replays `events` from the initial state, counting what they cover; refused events leave the state as it was. */
  replay(events: readonly GroupEvent[]): Replay {
    let state = this.model.initial;
    const steps: ReplayedStep[] = [];
    for (const event of events) {
      const before = groupStatus(this.model, state);
      const { result, sends } = recordedStep(this.model, state, event);
      for (const s of sends) {
        const taken = this.kind(s.component.kind).taken;
        for (const t of transitionsTaken(s.component.machine, s.component.snapshot(s.from), s.event)) {
          for (const key of [t.id, ...t.keys]) taken.set(key, (taken.get(key) ?? 0) + 1);
        }
      }
      state = result.state;
      this.visit(state);
      steps.push({ event, refusal: result.refusal, before, after: groupStatus(this.model, state) });
    }
    return { steps, final: state };
  }

  /** State paths of every component of a kind in a state, by component name. */
  statesOf(state: GroupState, kind: string): Map<string, string[]> {
    const out = new Map<string, string[]>();
    this.model.components.forEach((c, i) => {
      if (c.kind === kind)
        out.set(
          c.name,
          activePaths(c.snapshot(state[i]!).value).map((p) => p.join('.')),
        );
    });
    return out;
  }

  private visit(state: GroupState) {
    this.model.components.forEach((c, i) => {
      const visited = this.kind(c.kind).visited;
      for (const p of activePaths(c.snapshot(state[i]!).value)) visited.add(p.join('.'));
    });
  }
}
