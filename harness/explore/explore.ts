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
  /**
   * `to` is the explored state the transition leads to; `toState` and `toModel` are its real
   * target (with symmetry reduction, `to` may be a renamed copy of it).
   */
  onTransition?: (from: number, event: number, to: number, fromState: GroupState, toState: GroupState, toModel: number) => void;
  /** Called for every refused event of every explored state (SRV-12), in breadth-first order, with the refusal's code. */
  onRefusal?: (from: number, event: number, code: string) => void;
  /**
   * Called once per new state, in breadth-first order, with the number of its model state (the
   * same for explored states that differ only in the monitor). Return false to stop.
   */
  onState?: (index: number, state: GroupState, monitor: number, model: number) => boolean | void;
  /** Gives up past this many states: throws StateSpaceTooLarge, or calls onLimit and stops. */
  maxStates?: number;
  /** Called instead of throwing when maxStates is reached; exploration stops. */
  onLimit?: (error: StateSpaceTooLarge) => void;
  /**
   * Symmetry reduction: states that differ only by a renaming of the group are explored once.
   * Explored states stay real states reached by real paths (the first of each class met); only
   * the look-up is by the class.
   */
  symmetry?: ExploreSymmetry;
}

/** A symmetry group acting on model and monitor states (element 0 is the identity). */
export interface ExploreSymmetry {
  readonly size: number;
  permuteModel(state: GroupState, g: number): GroupState;
  permuteMonitor(monitor: number, g: number): number;
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
  /** The model state with number `id` (see modelOf; onTransition's toModel). */
  modelState(id: number): GroupState;
  /** Distinct model states reached (with symmetry reduction: classes of model states). */
  readonly modelStates: number;
  /** Index of the state each state was first reached from (-1 for the initial state). */
  readonly parent: Int32Array;
  /** Alphabet index of the event that first reached each state (-1 for the initial state). */
  readonly parentEvent: Int32Array;
  /** Applied transitions (refused events are not transitions). */
  readonly transitions: number;
  /** Events refused (SRV-12) across all states. */
  readonly refusals: number;
  /** With symmetry reduction: the states there are without it (the sum of the explored classes' sizes). */
  readonly fullStates?: number;
  /** With symmetry reduction: the model states there are without it. */
  readonly fullModelStates?: number;
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
  const { monitor, onTransition, onRefusal, onState, onLimit, maxStates = 2_000_000 } = options;
  const alphabet = model.alphabet;
  const E = alphabet.length;
  // Model states by value, and the model's step from each: to[id * E + e] is the id of the
  // model state event e leads to, REFUSED, or UNKNOWN until computed.
  const models = new StateTable(model.initial.length + 1);
  const modelStates: GroupState[] = [model.initial];
  models.add(model.initial, 0);
  let to = new Int32Array(1024 * E).fill(UNKNOWN);
  // For onRefusal: the code of each refused step, REFUSED - codeIndex in the step table.
  const codes: string[] = [];
  const codeIndex = new Map<string, number>();
  const refusedWith = (code: string): number => {
    let c = codeIndex.get(code);
    if (c === undefined) {
      c = codes.push(code) - 1;
      codeIndex.set(code, c);
    }
    return REFUSED - c;
  };
  const modelStep = (mid: number, e: number): number => {
    const known = to[mid * E + e]!;
    if (known !== UNKNOWN) return known;
    const r = model.step(modelStates[mid]!, alphabet[e]!);
    const t = r.refusal ? (onRefusal ? refusedWith(r.refusal.code) : REFUSED) : idOf(r.state);
    to[mid * E + e] = t;
    return t;
  };

  // Symmetry: the class of a model state is the least id among its renamings (the class of a
  // pair adds the least renamed monitor state among the renamings that give that id).
  // images[mid * G + g] is the id of renaming g of model state mid (-1 until computed).
  const sym = options.symmetry && options.symmetry.size > 1 ? options.symmetry : null;
  const G = sym ? sym.size : 1;
  let images = new Int32Array(sym ? 1024 * G : 0).fill(-1);
  let classId = new Int32Array(sym ? 1024 : 0).fill(-1);
  const idOf = (state: GroupState): number => {
    let t = models.find(state, 0);
    if (t < 0) {
      t = models.add(state, 0);
      modelStates.push(state);
      if ((t + 1) * E > to.length) {
        const bigger = new Int32Array(to.length * 2).fill(UNKNOWN);
        bigger.set(to);
        to = bigger;
      }
      if (sym && t >= classId.length) {
        const ids = new Int32Array(classId.length * 2).fill(-1);
        ids.set(classId);
        classId = ids;
        const imgs = new Int32Array(images.length * 2).fill(-1);
        imgs.set(images);
        images = imgs;
      }
    }
    return t;
  };
  /** The class id of model state mid (its images computed on first use). */
  const classOf = (mid: number): number => {
    let c = classId[mid]!;
    if (c < 0) {
      c = mid;
      images[mid * G] = mid;
      for (let g = 1; g < G; g++) {
        const img = idOf(sym!.permuteModel(modelStates[mid]!, g));
        images[mid * G + g] = img;
        if (img < c) c = img;
      }
      classId[mid] = c;
    }
    return c;
  };
  /** The class of pair (model state mid, monitor m): [model id, monitor state]. */
  const key: [number, number] = [0, 0];
  const classKey = (mid: number, m: number): [number, number] => {
    if (!sym) {
      key[0] = mid;
      key[1] = m;
      return key;
    }
    const c = classOf(mid);
    let best = -1;
    for (let g = 0; g < G; g++) {
      if (images[mid * G + g] !== c) continue;
      const pm = sym.permuteMonitor(m, g) >>> 0;
      if (best < 0 || pm < best) best = pm;
    }
    key[0] = c;
    key[1] = best;
    return key;
  };
  let fullStates = 0;
  let fullModelStates = 0;
  const counted = new Set<number>();
  /** Sizes of the classes of a new explored pair and of its model state (for the full counts). */
  const countClass = (mid: number, m: number) => {
    if (!sym) return;
    const c = classOf(mid);
    const models = new Set<number>();
    const pairs = new Set<number>();
    for (let g = 0; g < G; g++) {
      const img = images[mid * G + g]!;
      models.add(img);
      pairs.add(img * 2 ** 32 + (sym.permuteMonitor(m, g) >>> 0));
    }
    if (!counted.has(c)) {
      counted.add(c);
      fullModelStates += models.size;
    }
    fullStates += pairs.size;
  };

  const states: GroupState[] = [model.initial];
  const monitors: number[] = [monitor?.initial ?? 0];
  // Explored states by class (without symmetry, by value): the model state's id, then the monitor's state.
  const index = new PairTable();
  const k0 = classKey(0, monitors[0]!);
  index.set(k0[0], k0[1], 0);
  countClass(0, monitors[0]!);
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
      if (toModel <= REFUSED) {
        refusals++;
        onRefusal?.(i, e, codes[REFUSED - toModel]!);
        continue;
      }
      transitions++;
      const toState = modelStates[toModel]!;
      const event = alphabet[e]!;
      const nm = monitor ? monitor.next(m, from, event, toState, i, e, toModel) : 0;
      const k = classKey(toModel, nm);
      const ck = k[0];
      const cm = k[1];
      let j = index.get(ck, cm);
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
        index.set(ck, cm, j);
        countClass(toModel, nm);
        if (j >= parent.length) {
          parent = grow(parent);
          parentEvent = grow(parentEvent);
          modelOf = grow(modelOf, 0);
        }
        parent[j] = i;
        parentEvent[j] = e;
        modelOf[j] = toModel;
        if (onState?.(j, toState, nm, toModel) === false) stopped = true;
        onTransition?.(i, e, j, from, toState, toModel);
        if (stopped) break;
      } else {
        onTransition?.(i, e, j, from, toState, toModel);
      }
    }
  }
  return {
    model,
    states,
    monitors,
    modelOf: modelOf.subarray(0, states.length),
    modelStates: sym ? counted.size : modelStates.length,
    modelState: (id) => modelStates[id]!,
    parent: parent.subarray(0, states.length),
    parentEvent: parentEvent.subarray(0, states.length),
    transitions,
    refusals,
    stopped,
    ...(sym ? { fullStates, fullModelStates } : {}),
  };
}

/**
 * The model's step from a model state was refused / is not known yet (explore's step table).
 * With onRefusal, a refusal is stored as REFUSED - c for refusal code number c.
 */
const REFUSED = -1;
const UNKNOWN = 0x7fffffff;

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
