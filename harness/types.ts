// Contracts of the harness: invariants, violations with their evidence, check reports.
import type { GroupEvent, GroupEventType, GroupStatus, Topology } from '../models/types.js';
import type { GhostView } from './check/ghost.js';

/** A safety property that must hold in every reachable state, phrased on the observable status. */
export interface StateInvariant {
  /** Stable id, e.g. `host-access-needs-up-to-date-copy`. */
  id: string;
  /** SPEC IDs it encodes. */
  spec: string[];
  /** One sentence: what must hold. */
  description: string;
  /** Returns what is wrong in this status, or null when it holds. */
  check(status: GroupStatus, topology: Topology): string | null;
}

/** A property of every transition: what an event may and may not change. */
export interface TransitionInvariant {
  id: string;
  spec: string[];
  description: string;
  /** The event types that can violate it (checked only on those). */
  events: readonly GroupEventType[];
  /** Returns what is wrong with this step, or null when it holds. */
  check(before: GroupStatus, event: GroupEvent, after: GroupStatus, topology: Topology): string | null;
}

/**
 * A property checked against the checker's own record of the truth (harness/check/ghost.ts), which
 * is updated by the events alone and never by the model's data labels.
 */
export interface GhostInvariant {
  id: string;
  spec: string[];
  description: string;
  /** What is wrong in this status given the record, or null. */
  check?(ghost: GhostView, status: GroupStatus, topology: Topology): string | null;
  /** What is wrong with this step given the record before it, or null (checked on accepted events). */
  step?(ghost: GhostView, before: GroupStatus, event: GroupEvent, after: GroupStatus, topology: Topology): string | null;
  /** Event types `step` looks at (default: every event that can change the record). */
  events?: GroupEvent['type'][];
}

/** One step of a counterexample: the event applied and the status after it. */
export interface TraceStep {
  /** The event, or null for the initial state. */
  event: GroupEvent | null;
  /** Status after the event. */
  status: GroupStatus;
}

/** A violated property with the shortest trace that reaches the violation. */
export interface Violation {
  /** Invariant id, or `recoverability`. */
  invariant: string;
  /** SPEC IDs involved. */
  spec: string[];
  /** What is wrong, in the last state of the trace. */
  message: string;
  /** From the initial state to the violating state (breadth-first: no shorter trace exists). */
  trace: TraceStep[];
}

/** The result of checking a model exhaustively. */
export interface CheckReport {
  /** Topology name. */
  topology: string;
  /** Reachable states (of the model alone; the monitor refines some). */
  states: number;
  /** Explored states of the model together with its monitor. */
  exploredStates: number;
  /** Applied transitions. */
  transitions: number;
  /** Refused events (SRV-12). */
  refusals: number;
  /** Ids of the properties checked. */
  invariants: string[];
  /** Violations found: at most one per property, each with its shortest trace. */
  violations: Violation[];
  /** Every reachable state was explored (false when stopped at a violation or a state limit). */
  complete: boolean;
  /** States from which no repair sequence reaches the healthy state (checked only when complete). */
  unrecoverableStates: number;
  /** Wall time of exploration and checks, in milliseconds. */
  elapsedMs: number;
  /**
   * With symmetry reduction (Topology.symmetry): the size of the group and the counts without
   * reduction; `states` and `exploredStates` then count one state per class.
   */
  symmetry?: { renamings: number; fullStates: number; fullExploredStates: number };
}
