// Contracts of test plans: paths through the composed model that the conformance runner plays
// against a system under test. A plan is JSON (`sanspec plan --out FILE`), self-contained (it
// carries its topology) and deterministic: the same criterion, topology and seed give the same
// paths with the same IDs, so a failing path can be named, sharded and replayed.

import type { GroupEvent, Topology } from '../../models/types.js';

/** How paths are chosen. */
export type Criterion =
  /** Every distinct transition of each component's observable status and every refusal, at least once in context, plus the seed page's cases (default). */
  | { readonly kind: 'components' }
  /** Every reachable composed state. */
  | { readonly kind: 'states' }
  /** Every composed transition. */
  | { readonly kind: 'transitions' }
  /** Every pair of consecutive composed transitions. */
  | { readonly kind: 'transition-pairs' }
  /** Every event sequence of length K from the initial state (refused events included). */
  | { readonly kind: 'depth'; readonly k: number }
  /** N seeded random walks over the enabled events (fast-check), shrinkable. */
  | { readonly kind: 'random'; readonly n: number }
  /** One path given by hand or by a minimizer (`sanspec run --replay FILE`). */
  | { readonly kind: 'replay' };

/** One step of a path. */
export interface PlanStep {
  /** The event. `write` and `flush` are host I/O; `recoveryComplete` waits for (or releases) the recovery. */
  readonly event: GroupEvent;
  /**
   * Host writes overlap the action: the runner starts writes to every disk the model says is
   * accessible, performs the action while they are in flight, then waits for them (a stop or a
   * crash with writes in flight, planned rather than accidental).
   */
  readonly overlapIo?: boolean;
  /**
   * Why the planner put this step here, for readers: `covers ...`, `seed case ...`, `data` (writes
   * for the final read-back). The heal suffix's steps are noted exactly `heal`.
   */
  readonly note?: string;
}

/** One path: from the initial state, a sequence of steps. */
export interface PlanPath {
  /** Stable ID: the criterion's prefix and a hash of topology name and steps, e.g. `components-3f9a0c12`. */
  readonly id: string;
  /** SPEC IDs the path exercises (from the transitions it takes and the checks they trigger). */
  readonly spec: readonly string[];
  /** The steps. The last steps heal the group (start servers, finish recovery) so that every disk can be read back. */
  readonly steps: readonly PlanStep[];
  /** What the path was chosen to cover (component transition keys, state or transition indices, seed case names). */
  readonly covers: readonly string[];
}

/** How much of the criterion's goal the plan covers. */
export interface PlanCoverage {
  /** What is counted, e.g. `component transitions`. */
  readonly unit: string;
  /** Items the criterion asks for. */
  readonly goal: number;
  /** Items the plan's paths cover (of this shard's paths, the whole plan's before sharding). */
  readonly covered: number;
  /** Items left uncovered, with why (unreachable within the length bound, ...), at most a few dozen listed. */
  readonly uncovered: readonly string[];
  /** Parts of the criterion this topology cannot have, with why (a seed case whose events the topology lacks). */
  readonly skipped?: readonly string[];
}

/** A test plan. */
export interface Plan {
  /** Format version of this file. */
  readonly version: 1;
  /** The topology the paths run on. */
  readonly topology: Topology;
  /** The criterion, as given on the command line (`components`, `depth:3`, `random:20`). */
  readonly criterion: string;
  /** Seed of random choices (random walks; tie-breaking). */
  readonly seed: number;
  /** This plan is shard `index` (1-based) of `count`; paths are dealt round-robin by position. */
  readonly shard: { readonly index: number; readonly count: number } | null;
  /** Longest path before its heal suffix the planner aimed for (walks stop there; a path may exceed it to reach a far item). */
  readonly maxPathLength?: number;
  /** Coverage of the criterion's goal. */
  readonly coverage: PlanCoverage;
  /** The paths. */
  readonly paths: readonly PlanPath[];
}
