import type { GroupModel, GroupState } from '../../models/group.js';
import type { GroupEvent } from '../../models/types.js';
import { PairTable, StateTable } from './state-table.js';

/**
 * A monitor runs beside the model and remembers what the status alone cannot show (for
 * example "this server crashed and nobody started it since"). Its state is a small integer
 * and becomes part of the explored state, so history properties are checked exhaustively.
 */
export interface Monitor {
  /** Monitor state at the initial model state. */
  initial: number;
  /**
   * Monitor state after `event` took model state `from` (explored state `fromIndex`) to `to`
   * (model state number `toModel`, see Exploration.modelOf).
   */
  next(
    monitor: number,
    from: GroupState,
    event: GroupEvent,
    to: GroupState,
    fromIndex: number,
    eventIndex: number,
    toModel: number,
  ): number;
}

export interface ExploreOptions {
  /** Runs beside the model; its state is part of the explored state. */
  monitor?: Monitor;
  /** Called for every applied (not refused) transition, in breadth-first order, after `onState` of a new target. */
  onTransition?: (from: number, event: number, to: number, fromState: GroupState, toState: GroupState) => void;
  /**
   * Called once per new state, in breadth-first order, with the number of its model state (the
   * same for explored states that differ only in the monitor). Return false to stop.
   */
  onState?: (index: number, state: GroupState, monitor: number, model: number) => boolean | void;
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
  /** Number of the model state of each explored state (numbered in order of discovery). */
  readonly modelOf: Int32Array;
  /** Distinct model states reached. */
  readonly modelStates: number;
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
 * `transition()` on each component, memoized). Explored states are pairs of a model state and a
 * monitor state; model states are numbered once (a table of their numbers) and the model's step
 * from each model state is computed once per event, so a model state reached with several monitor
 * states costs one step per event, not one per pair.
 */
export function explore(model: GroupModel, options: ExploreOptions = {}): Exploration {
  const { monitor, onTransition, onState, onLimit, maxStates = 2_000_000 } = options;
  const alphabet = model.alphabet;
  const E = alphabet.length;
  // Model states by value, and the model's step from each: to[id * E + e] is the id of the
  // model state event e leads to, REFUSED, or UNKNOWN until computed.
  const models = new StateTable(model.initial.length + 1);
  const modelStates: GroupState[] = [model.initial];
  models.add(model.initial, 0);
  let to = new Int32Array(1024 * E).fill(UNKNOWN);
  const modelStep = (mid: number, e: number): number => {
    const known = to[mid * E + e]!;
    if (known !== UNKNOWN) return known;
    const r = model.step(modelStates[mid]!, alphabet[e]!);
    let t = REFUSED;
    if (!r.refusal) {
      t = models.find(r.state, 0);
      if (t < 0) {
        t = models.add(r.state, 0);
        modelStates.push(r.state);
        if ((t + 1) * E > to.length) {
          const bigger = new Int32Array(to.length * 2).fill(UNKNOWN);
          bigger.set(to);
          to = bigger;
        }
      }
    }
    to[mid * E + e] = t;
    return t;
  };

  const states: GroupState[] = [model.initial];
  const monitors: number[] = [monitor?.initial ?? 0];
  // Explored states by value: the model state's id, then the monitor's state.
  const index = new PairTable();
  index.set(0, monitors[0]!, 0);
  let modelOf = new Int32Array(1024);
  let parent = new Int32Array(1024).fill(-1);
  let parentEvent = new Int32Array(1024).fill(-1);
  let transitions = 0;
  let refusals = 0;
  let stopped = onState?.(0, model.initial, monitors[0]!, 0) === false;

  for (let i = 0; i < states.length && !stopped; i++) {
    const from = states[i]!;
    const m = monitors[i]!;
    const fromModel = modelOf[i]!;
    for (let e = 0; e < E; e++) {
      const toModel = modelStep(fromModel, e);
      if (toModel === REFUSED) {
        refusals++;
        continue;
      }
      transitions++;
      const toState = modelStates[toModel]!;
      const event = alphabet[e]!;
      const nm = monitor ? monitor.next(m, from, event, toState, i, e, toModel) : 0;
      let j = index.get(toModel, nm);
      if (j < 0) {
        j = states.length;
        if (j >= maxStates) {
          const error = new StateSpaceTooLarge(maxStates);
          if (!onLimit) throw error;
          onLimit(error);
          stopped = true;
          break;
        }
        states.push(toState);
        monitors.push(nm);
        index.set(toModel, nm, j);
        if (j >= parent.length) {
          parent = grow(parent);
          parentEvent = grow(parentEvent);
          modelOf = grow(modelOf, 0);
        }
        parent[j] = i;
        parentEvent[j] = e;
        modelOf[j] = toModel;
        if (onState?.(j, toState, nm, toModel) === false) stopped = true;
        onTransition?.(i, e, j, from, toState);
        if (stopped) break;
      } else {
        onTransition?.(i, e, j, from, toState);
      }
    }
  }
  return {
    model,
    states,
    monitors,
    modelOf: modelOf.subarray(0, states.length),
    modelStates: modelStates.length,
    parent: parent.subarray(0, states.length),
    parentEvent: parentEvent.subarray(0, states.length),
    transitions,
    refusals,
    stopped,
  };
}

/** The model's step from a model state is not known yet / was refused (explore's step table). */
const UNKNOWN = -2;
const REFUSED = -1;

function grow(a: Int32Array, fill = -1): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2).fill(fill);
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
