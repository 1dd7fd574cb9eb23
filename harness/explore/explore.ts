import type { GroupModel, GroupState } from '../../models/group.js';
import type { GroupEvent } from '../../models/types.js';

/**
 * A monitor runs beside the model and remembers what the status alone cannot show (for
 * example "this server crashed and nobody started it since"). Its state is a small integer
 * and becomes part of the explored state, so history properties are checked exhaustively.
 */
export interface Monitor {
  /** Monitor state at the initial model state. */
  initial: number;
  /** Monitor state after `event` took model state `from` (explored state `fromIndex`) to `to`. */
  next(monitor: number, from: GroupState, event: GroupEvent, to: GroupState, fromIndex: number, eventIndex: number): number;
}

export interface ExploreOptions {
  /** Runs beside the model; its state is part of the explored state. */
  monitor?: Monitor;
  /** Called for every applied (not refused) transition, in breadth-first order, after `onState` of a new target. */
  onTransition?: (from: number, event: number, to: number, fromState: GroupState, toState: GroupState) => void;
  /** Called once per new state, in breadth-first order. Return false to stop. */
  onState?: (index: number, state: GroupState, monitor: number) => boolean | void;
  /** Gives up past this many states: throws StateSpaceTooLarge, or calls onLimit and stops. */
  maxStates?: number;
  /** Called instead of throwing when maxStates is reached; exploration stops. */
  onLimit?: (error: StateSpaceTooLarge) => void;
}

/** Every reachable state of a model, in breadth-first order, with a shortest path to each. */
export interface Exploration {
  readonly model: GroupModel;
  /** Model state of each explored state. */
  readonly states: GroupState[];
  /** Monitor state of each explored state (all 0 without a monitor). */
  readonly monitors: number[];
  /** Index of the state each state was first reached from (-1 for the initial state). */
  readonly parent: Int32Array;
  /** Alphabet index of the event that first reached each state (-1 for the initial state). */
  readonly parentEvent: Int32Array;
  /** Applied transitions (refused events are not transitions). */
  readonly transitions: number;
  /** Events refused (SRV-12) across all states. */
  readonly refusals: number;
  /** The exploration stopped early (onState returned false). */
  readonly stopped: boolean;
}

/** Thrown when a state space is larger than allowed. */
export class StateSpaceTooLarge extends Error {
  readonly code = 'SANSPEC_STATE_SPACE_TOO_LARGE';
  constructor(limit: number) {
    super(`more than ${limit} reachable states; raise the limit or exclude event types from the topology`);
  }
}

/**
 * Breadth-first exploration over the model's pure step function (which runs xstate's
 * `transition()` on each component, memoized). States are deduplicated by a compact key.
 */
export function explore(model: GroupModel, options: ExploreOptions = {}): Exploration {
  const { monitor, onTransition, onState, onLimit, maxStates = 2_000_000 } = options;
  const alphabet = model.alphabet;
  const states: GroupState[] = [model.initial];
  const monitors: number[] = [monitor?.initial ?? 0];
  const index = new Map<string, number>();
  // Model keys have a fixed length, so a monitor state can be appended only when it is not 0.
  const keyOf = (s: GroupState, m: number) => (m === 0 ? model.key(s) : model.key(s) + String.fromCharCode(m & 0xffff, m >>> 16));
  index.set(keyOf(model.initial, monitors[0]!), 0);
  let parent = new Int32Array(1024).fill(-1);
  let parentEvent = new Int32Array(1024).fill(-1);
  let transitions = 0;
  let refusals = 0;
  let stopped = onState?.(0, model.initial, monitors[0]!) === false;

  for (let i = 0; i < states.length && !stopped; i++) {
    const from = states[i]!;
    const m = monitors[i]!;
    for (let e = 0; e < alphabet.length; e++) {
      const event = alphabet[e]!;
      const r = model.step(from, event);
      if (r.refusal) {
        refusals++;
        continue;
      }
      transitions++;
      const nm = monitor ? monitor.next(m, from, event, r.state, i, e) : 0;
      const key = keyOf(r.state, nm);
      let j = index.get(key);
      if (j === undefined) {
        j = states.length;
        if (j >= maxStates) {
          const error = new StateSpaceTooLarge(maxStates);
          if (!onLimit) throw error;
          onLimit(error);
          stopped = true;
          break;
        }
        states.push(r.state);
        monitors.push(nm);
        index.set(key, j);
        if (j >= parent.length) {
          parent = grow(parent);
          parentEvent = grow(parentEvent);
        }
        parent[j] = i;
        parentEvent[j] = e;
        if (onState?.(j, r.state, nm) === false) stopped = true;
        onTransition?.(i, e, j, from, r.state);
        if (stopped) break;
      } else {
        onTransition?.(i, e, j, from, r.state);
      }
    }
  }
  return {
    model,
    states,
    monitors,
    parent: parent.subarray(0, states.length),
    parentEvent: parentEvent.subarray(0, states.length),
    transitions,
    refusals,
    stopped,
  };
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2).fill(-1);
  b.set(a);
  return b;
}

/** The shortest path from the initial state to state `index`: its states and events. */
export function pathTo(x: Exploration, index: number): { states: number[]; events: GroupEvent[] } {
  const states: number[] = [];
  const events: GroupEvent[] = [];
  for (let i = index; i >= 0; i = x.parent[i]!) {
    states.unshift(i);
    const e = x.parentEvent[i]!;
    if (e >= 0) events.unshift(x.model.alphabet[e]!);
  }
  return { states, events };
}
