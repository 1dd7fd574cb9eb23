import type { GroupModel, GroupState } from '../../models/group.js';
import { eventLabel, statusLine } from './format.js';
import { groupStatus } from '../../models/status.js';
import { modelSymmetry } from '../../models/symmetry.js';
import type { GroupEvent, GroupStatus } from '../../models/types.js';
import { explore, pathTo, type StateSpaceTooLarge, type Exploration, type Monitor } from '../explore/explore.js';
import type { CheckReport, GhostInvariant, StateInvariant, TransitionInvariant, TraceStep, Violation } from '../types.js';
import { Ghost, ghostEvents } from './ghost.js';
import { ghostInvariants } from './ghost-invariants.js';
import { faultEvents, healthy, stateInvariants, transitionInvariants } from './invariants.js';

export interface CheckOptions {
  /** State invariants (default: all of invariants.ts). */
  stateInvariants?: StateInvariant[];
  /** Transition invariants (default: all). */
  transitionInvariants?: TransitionInvariant[];
  /** Properties checked against the checker's record of the truth (default: all of ghost-invariants.ts; none turns the record off). */
  ghostInvariants?: GhostInvariant[];
  /** MIR-12: check in every state that starting two stopped servers in either order ends in the same state (default true). */
  startOrder?: boolean;
  /** Check that every reachable state can be repaired to the healthy state (default true). */
  recoverability?: boolean;
  /** Stop exploring at the first violation (for models whose state space may be infinite). */
  stopOnViolation?: boolean;
  /** Stop exploring once every one of these properties is violated (their traces are still the shortest: breadth-first). */
  stopAt?: string[];
  /** Give up past this many explored states (default 2,000,000); violations found so far are still reported. */
  maxStates?: number;
  /** Called now and then with the number of states explored so far. */
  onProgress?: (states: number) => void;
  /** Explore one state per class of renamed states when the topology declares symmetries (default true). */
  symmetry?: boolean;
}

/**
 * Explores every reachable state of a model breadth-first and checks every property in every
 * state and on every transition. Each violated property is reported once, with the shortest
 * trace that violates it (breadth-first order guarantees no shorter one exists).
 */
export function checkModel(model: GroupModel, options: CheckOptions = {}): CheckReport {
  const started = performance.now();
  const topology = model.topology;
  const states = options.stateInvariants ?? stateInvariants;
  const transitions = options.transitionInvariants ?? transitionInvariants;
  const ghostChecks = options.ghostInvariants ?? ghostInvariants;
  // Transition invariants that apply to each alphabet event.
  const transitionChecks = model.alphabet.map((e) => transitions.filter((inv) => inv.events.includes(e.type)));
  // Status of each model state (explore's model-state numbers), computed once: explored states
  // that differ only in the record share it, and so do the properties that read only the status.
  const statusOfModel: GroupStatus[] = [];
  // Model state of each explored state, and the explored state each model state was first met in.
  const modelOf: number[] = [];
  const firstOf: number[] = [];
  // Record of each explored state.
  const ghosts: number[] = [];
  const statusOf = (i: number) => statusOfModel[modelOf[i]!]!;
  // With symmetry reduction a transition's real target may be a model state no explored state
  // stands for (a renamed copy of one): its status is built when a transition property needs it.
  const statusOfTarget = (toModel: number, toState: GroupState) => (statusOfModel[toModel] ??= groupStatus(model, toState));

  // The checker's own record of the truth, part of the explored state (ghost.ts).
  const ghost = ghostChecks.length > 0 ? new Ghost(model) : null;
  // The world the record reads, per model state.
  const worlds: number[] = [];
  const ghostStateChecks = ghostChecks.filter((inv) => inv.check);
  // Per alphabet event: whether it can change the record, and the record's step properties that apply to it.
  const changesRecord = model.alphabet.map((e) => ghostEvents.has(e.type));
  const ghostStepChecksOf = model.alphabet.map((e) =>
    ghostEvents.has(e.type) ? ghostChecks.filter((inv) => inv.step && (!inv.events || inv.events.includes(e.type))) : [],
  );
  const monitor: Monitor | undefined = ghost
    ? {
        initial: ghost.initial,
        next: (m, _from, _event, to, fromIndex, e, toModel) => {
          if (!changesRecord[e]) return m;
          let after = worlds[toModel];
          if (after === undefined) worlds[toModel] = after = ghost.world(to);
          return ghost.next(m, e, worlds[modelOf[fromIndex]!]!, after);
        },
      }
    : undefined;

  // MIR-12: pairs of start events, by alphabet index.
  const starts = model.alphabet.flatMap((e, i) => (e.type === 'start' ? [i] : []));
  const checkStartOrder = options.startOrder !== false && starts.length > 1;

  const found = new Map<string, { spec: string[]; message: string; state: number; event?: number; to?: number }>();
  const record = (id: string, spec: string[], message: string, state: number, event?: number, to?: number) => {
    if (!found.has(id)) found.set(id, { spec, message, state, event, to });
  };

  // Repair edges (every event but faults), kept for the recoverability check.
  const recover = options.recoverability !== false;
  const repairEvent = model.alphabet.map((e) => !faultEvents.has(e.type));
  let edgeFrom: Int32Array<ArrayBuffer> = new Int32Array(1 << 16);
  let edgeTo: Int32Array<ArrayBuffer> = new Int32Array(1 << 16);
  let edges = 0;

  // Symmetry reduction (models/symmetry.ts): the properties do not depend on names, so one state
  // of each class of renamed states stands for all of them.
  const symmetry = options.symmetry !== false && (topology.symmetry?.length ?? 0) > 0 ? modelSymmetry(model) : null;
  const permuters = ghost && symmetry ? symmetry.renamings.map((r) => ghost.permuter(r)) : [];
  let limitHit: StateSpaceTooLarge | null = null;
  const x = explore(model, {
    monitor,
    symmetry: symmetry
      ? {
          size: symmetry.renamings.length,
          permuteModel: (s, g) => symmetry.permute(s, g),
          permuteMonitor: (m, g) => (ghost && g > 0 ? permuters[g]!(m) : m),
        }
      : undefined,
    maxStates: options.maxStates ?? 2_000_000,
    onLimit: (error) => {
      if (found.size === 0) throw error;
      limitHit = error;
    },
    onState: (i, state, m, mid) => {
      modelOf[i] = mid;
      ghosts[i] = m;
      const fresh = firstOf[mid] === undefined;
      if (fresh) {
        statusOfModel[mid] ??= groupStatus(model, state);
        firstOf[mid] = i;
        if (ghost && worlds[mid] === undefined) worlds[mid] = ghost.world(state);
      }
      const s = statusOfModel[mid]!;
      if (options.stopOnViolation && found.size > 0) return false;
      if (options.stopAt?.length && options.stopAt.every((id) => found.has(id))) return false;
      if (options.onProgress && i % 20000 === 0) options.onProgress(i);
      // Properties of the status alone: once per model state, in the first (shortest) explored state that has it.
      if (fresh) {
        for (const inv of states) {
          if (found.has(inv.id)) continue;
          const problem = inv.check(s, topology);
          if (problem) record(inv.id, inv.spec, problem, i);
        }
      }
      if (ghost && ghostStateChecks.length > 0) {
        const view = ghost.view(m);
        for (const inv of ghostStateChecks) {
          if (found.has(inv.id)) continue;
          const problem = inv.check!(view, s, topology);
          if (problem) record(inv.id, inv.spec, problem, i);
        }
      }
      if (fresh && checkStartOrder && !found.has('start-order-independent')) {
        const problem = startOrderProblem(model, state, starts, s);
        if (problem) record('start-order-independent', ['MIR-12'], problem, i);
      }
    },
    onTransition: (from, e, to, _fromState, toState, toModel) => {
      if (recover && repairEvent[e]) {
        if (edges === edgeFrom.length) {
          edgeFrom = grow(edgeFrom);
          edgeTo = grow(edgeTo);
        }
        edgeFrom[edges] = from;
        edgeTo[edges] = to;
        edges++;
      }
      const event = model.alphabet[e]!;
      const stepChecks = ghostStepChecksOf[e]!;
      if (ghost && stepChecks.length > 0) {
        const view = ghost.view(ghosts[from]!);
        for (const inv of stepChecks) {
          if (found.has(inv.id)) continue;
          const problem = inv.step!(view, statusOf(from), event, statusOfTarget(toModel, toState), topology);
          if (problem) record(inv.id, inv.spec, problem, from, e, toModel);
        }
      }
      // Properties of the statuses alone: once per model transition, from the first explored state of its model state.
      const checks = transitionChecks[e]!;
      if (checks.length === 0 || firstOf[modelOf[from]!] !== from) return;
      const before = statusOf(from);
      const after = statusOfTarget(toModel, toState);
      for (const inv of checks) {
        if (found.has(inv.id)) continue;
        const problem = inv.check(before, event, after, topology);
        if (problem) record(inv.id, inv.spec, problem, from, e, toModel);
      }
    },
  });

  let unrecoverable = 0;
  const complete = !x.stopped && !limitHit;
  if (recover && complete) {
    const firstBad = unrecoverableStates(x, edgeFrom.subarray(0, edges), edgeTo.subarray(0, edges), (i) => healthy(statusOf(i)));
    unrecoverable = firstBad.count;
    if (firstBad.first >= 0) {
      record(
        'recoverability',
        ['MIR-10', 'MIR-11', 'SRV-7'],
        `no sequence of operator actions and repairs leads from here back to the healthy state (${firstBad.count} such states)`,
        firstBad.first,
      );
    }
  }

  const violations: Violation[] = [...found].map(([invariant, f]) => ({
    invariant,
    spec: f.spec,
    message: f.message,
    trace: traceTo(x, f.state, f.event, f.to),
  }));
  violations.sort((a, b) => a.trace.length - b.trace.length);
  return {
    topology: topology.name,
    states: x.modelStates,
    exploredStates: x.states.length,
    transitions: x.transitions,
    refusals: x.refusals,
    invariants: [...states, ...transitions, ...ghostChecks]
      .map((i) => i.id)
      .concat(checkStartOrder ? ['start-order-independent'] : [], recover ? ['recoverability'] : []),
    violations,
    complete,
    unrecoverableStates: unrecoverable,
    elapsedMs: Math.round(performance.now() - started),
    ...(symmetry
      ? { symmetry: { renamings: symmetry.renamings.length, fullStates: x.fullModelStates!, fullExploredStates: x.fullStates! } }
      : {}),
  };
}

/**
 * MIR-12: starting two stopped servers in either order ends in the same state. Returns what
 * differs, or null. Only states where at least two start events apply are looked at.
 */
function startOrderProblem(model: GroupModel, state: GroupState, starts: number[], s: GroupStatus): string | null {
  const stopped = starts.filter((i) => {
    const e = model.alphabet[i]!;
    return e.type === 'start' && s.servers.some((x) => x.name === e.server && x.power === 'on' && x.state === 'stopped');
  });
  for (let a = 0; a < stopped.length; a++) {
    for (let b = a + 1; b < stopped.length; b++) {
      const ea = model.alphabet[stopped[a]!]!;
      const eb = model.alphabet[stopped[b]!]!;
      const ab = model.step(model.step(state, ea).state, eb).state;
      const ba = model.step(model.step(state, eb).state, ea).state;
      if (model.key(ab) !== model.key(ba)) {
        return `${eventLabel(ea)} then ${eventLabel(eb)} ends in ${statusLine(groupStatus(model, ab))}, the other order in ${statusLine(groupStatus(model, ba))}`;
      }
    }
  }
  return null;
}

/** States from which no repair edge path reaches a healthy state (backward breadth-first search). */
function unrecoverableStates(x: Exploration, from: Int32Array, to: Int32Array, isHealthy: (i: number) => boolean) {
  const n = x.states.length;
  // Reverse adjacency in CSR form.
  const count = new Int32Array(n + 1);
  for (let k = 0; k < to.length; k++) count[to[k]! + 1]!++;
  for (let i = 0; i < n; i++) count[i + 1]! += count[i]!;
  const fill = count.slice(0, n);
  const preds = new Int32Array(to.length);
  for (let k = 0; k < to.length; k++) preds[fill[to[k]!]!++] = from[k]!;
  const good = new Uint8Array(n);
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    if (isHealthy(i)) {
      good[i] = 1;
      queue[tail++] = i;
    }
  }
  while (head < tail) {
    const j = queue[head++]!;
    for (let k = count[j]!; k < count[j + 1]!; k++) {
      const p = preds[k]!;
      if (!good[p]) {
        good[p] = 1;
        queue[tail++] = p;
      }
    }
  }
  let first = -1;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    if (!good[i]) {
      bad++;
      if (first < 0) first = i;
    }
  }
  return { count: bad, first };
}

function grow(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** The shortest trace to state `index`, optionally followed by one more event to model state `to` (its real target). */
function traceTo(x: Exploration, index: number, event?: number, to?: number): TraceStep[] {
  const { states, events } = pathTo(x, index);
  const steps: TraceStep[] = states.map((s, k) => ({
    event: k === 0 ? null : events[k - 1]!,
    status: groupStatus(x.model, x.states[s]!),
  }));
  if (event !== undefined && to !== undefined) {
    steps.push({ event: x.model.alphabet[event]! as GroupEvent, status: groupStatus(x.model, x.modelState(to)) as GroupStatus });
  }
  return steps;
}
