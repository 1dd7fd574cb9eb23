// What the model predicts a system under test may be in, step by step. A real system is
// asynchronous: a mirror recovery completes whenever the system gets there, and writes that
// overlap an action land before or after it. So the prediction is a SET of model states (the
// candidates), never one state:
//   - Internal events are the system's own doing: `recoveryComplete` of each mirrored disk, unless
//     the adapter holds recoveries (Capabilities.holdsRecovery). Candidates are always closed under
//     them: if a state is possible, so is every state internal events lead to from it.
//   - An action takes every candidate to its successor, then the closure. The system's answer picks
//     among them: accepted keeps the candidates where the model accepts; refused with code C keeps
//     those where the model refuses with C (SRV-12). No candidate left is a failure: SRV-12 when the
//     model refuses and the system accepted or used another code, CF-1 when the model accepts and
//     the system refused.
//   - Writes overlapping an action (a planned `overlapIo` step) may land before it, after it, or
//     both, on each disk: candidates are closed under those writes before and after the action.
//   - After settling, the candidates are narrowed to those whose projection (CF-2) equals the
//     reported status, then closed again.
//   - `recoveryComplete` when the adapter does not hold recoveries means "wait until the recovery
//     has completed": the candidates become the states after it, and settling waits for those.

import type { ApplyResult } from '../../adapters/types.js';
import type { GroupModel, GroupState } from '../../models/group.js';
import { groupStatus } from '../../models/status.js';
import type { GroupEvent, GroupStatus } from '../../models/types.js';
import { eventLabel } from '../check/format.js';
import { canonicalJson } from './status-diff.js';

/** One transition an action took, from a candidate (after writes that landed before it) to the state right after it. */
export interface Transition {
  readonly from: GroupState;
  readonly to: GroupState;
}

/** What the model says an action does, over every candidate. */
export interface ActionOutcomes {
  /** Candidates after the action where the model accepts it, closed. */
  readonly accepted: readonly GroupState[];
  /** The transitions behind `accepted` (for losses: which crash made which copy lose its cache). */
  readonly transitions: readonly Transition[];
  /** Per refusal code: the candidates refusing with it (unchanged, closed) and the model's message. */
  readonly refused: ReadonlyMap<string, { readonly states: readonly GroupState[]; readonly message: string }>;
}

/** The candidates after the system answered, or why its answer is wrong. */
export type Resolution =
  | { readonly ok: true; readonly states: readonly GroupState[]; readonly transitions: readonly Transition[] }
  | { readonly ok: false; readonly rule: 'SRV-12' | 'CF-1'; readonly message: string };

/** Options of `createPredictor`. */
export interface PredictorOptions {
  /** The system holds every recovery until the runner applies `recoveryComplete` (no internal events then). */
  readonly holdsRecovery: boolean;
}

/** The model's prediction over sets of candidate states. */
export interface Predictor {
  readonly model: GroupModel;
  /** Events the system may perform on its own (closure). */
  readonly internal: readonly GroupEvent[];
  /** The initial candidates: the initial state, closed. */
  initial(): GroupState[];
  /** `states` closed under the internal events and `extra` (each applied while the model accepts it). */
  close(states: readonly GroupState[], extra?: readonly GroupEvent[]): GroupState[];
  /** What `event` does from every candidate; `overlapWrites` are disks written while it happens. */
  outcomes(states: readonly GroupState[], event: GroupEvent, options?: { overlapWrites?: readonly string[] }): ActionOutcomes;
  /** The candidates consistent with the system's answer to `event`, or the rule its answer breaks. */
  resolve(outcomes: ActionOutcomes, result: ApplyResult, event: GroupEvent): Resolution;
  /** Candidates whose projection equals `status`, closed again (empty when none does). */
  narrow(states: readonly GroupState[], status: GroupStatus): GroupState[];
  /** The candidates once the recovery of `vdisk` has completed (adapters that do not hold recoveries). */
  recoveryDone(states: readonly GroupState[], vdisk: string): GroupState[];
  /** The projection (CF-2) of a state. */
  status(state: GroupState): GroupStatus;
  /** Canonical text of a status, for equality. */
  statusKey(status: GroupStatus): string;
}

/** Builds the predictor of a model. */
export function createPredictor(model: GroupModel, options: PredictorOptions): Predictor {
  const internal: GroupEvent[] = options.holdsRecovery
    ? []
    : model.topology.virtualDisks.filter((v) => v.kind === 'mirrored').map((v) => ({ type: 'recoveryComplete', vdisk: v.name }));
  const keys = new WeakMap<GroupState, string>();
  const statusKeys = new Map<string, string>();
  // Checks ask for the same candidates' statuses many times a step: one projection per state.
  const statuses = new Map<string, GroupStatus>();
  const statusOf = (s: GroupState) => {
    const k = key(s);
    let status = statuses.get(k);
    if (!status) statuses.set(k, (status = groupStatus(model, s)));
    return status;
  };
  const stateStatusKey = (s: GroupState) => {
    const k = key(s);
    let text = statusKeys.get(k);
    if (text === undefined) statusKeys.set(k, (text = canonicalJson(statusOf(s))));
    return text;
  };
  const key = (s: GroupState) => {
    let k = keys.get(s);
    if (k === undefined) keys.set(s, (k = model.key(s)));
    return k;
  };
  const unique = (states: Iterable<GroupState>): GroupState[] => {
    const seen = new Map<string, GroupState>();
    for (const s of states) if (!seen.has(key(s))) seen.set(key(s), s);
    return [...seen.values()];
  };

  const close = (states: readonly GroupState[], extra: readonly GroupEvent[] = []): GroupState[] => {
    const events = [...internal, ...extra];
    const seen = new Map<string, GroupState>();
    const queue: GroupState[] = [];
    for (const s of states) {
      if (seen.has(key(s))) continue;
      seen.set(key(s), s);
      queue.push(s);
    }
    while (queue.length > 0) {
      const s = queue.shift()!;
      for (const e of events) {
        const r = model.step(s, e);
        if (r.refusal || seen.has(key(r.state))) continue;
        seen.set(key(r.state), r.state);
        queue.push(r.state);
      }
    }
    return [...seen.values()];
  };

  return {
    model,
    internal,
    initial: () => close([model.initial]),
    close,
    outcomes(states, event, opts = {}) {
      const writes: GroupEvent[] = (opts.overlapWrites ?? []).map((vdisk) => ({ type: 'write', vdisk }));
      const before = writes.length > 0 ? close(states, writes) : [...states];
      const accepted: GroupState[] = [];
      const transitions: Transition[] = [];
      const refused = new Map<string, { states: GroupState[]; message: string }>();
      for (const s of before) {
        const r = model.step(s, event);
        if (r.refusal) {
          const entry = refused.get(r.refusal.code) ?? { states: [], message: r.refusal.message };
          entry.states.push(s);
          refused.set(r.refusal.code, entry);
        } else {
          accepted.push(r.state);
          transitions.push({ from: s, to: r.state });
        }
      }
      for (const entry of refused.values()) entry.states = close(unique(entry.states), writes);
      return { accepted: close(unique(accepted), writes), transitions, refused };
    },
    resolve(outcomes, result, event) {
      const label = eventLabel(event);
      const refusals = [...outcomes.refused].map(([code, r]) => `${code} (${r.message})`).join(' or ');
      if (result.outcome === 'accepted') {
        if (outcomes.accepted.length > 0) return { ok: true, states: outcomes.accepted, transitions: outcomes.transitions };
        return {
          ok: false,
          rule: 'SRV-12',
          message: `the model refuses "${label}" here with ${refusals}, but the system accepted it`,
        };
      }
      const same = outcomes.refused.get(result.code);
      if (same) return { ok: true, states: same.states, transitions: [] };
      if (outcomes.accepted.length > 0) {
        return {
          ok: false,
          rule: 'CF-1',
          message: `the model accepts "${label}" here, but the system refused it with ${result.code}: ${result.message}`,
        };
      }
      return {
        ok: false,
        rule: 'SRV-12',
        message: `the model refuses "${label}" here with ${refusals}, but the system refused it with ${result.code} (${result.message})`,
      };
    },
    narrow(states, status) {
      const want = canonicalJson(status);
      return close(states.filter((s) => stateStatusKey(s) === want));
    },
    recoveryDone(states, vdisk) {
      const event: GroupEvent = { type: 'recoveryComplete', vdisk };
      return close(
        unique(
          states.map((s) => {
            const r = model.step(s, event);
            return r.refusal ? s : r.state;
          }),
        ),
      );
    },
    status: statusOf,
    statusKey: (status) => canonicalJson(status),
  };
}
