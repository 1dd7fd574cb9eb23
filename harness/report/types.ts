// Contracts of the HTML reports: what the writers take besides a run or check report.

import type { PathResult } from '../conform/types.js';
import type { Plan, PlanStep } from '../plan/types.js';
import type { Topology } from '../../models/types.js';

/** What the minimizer (issue 10) adds to a failing path. Optional: the page uses it when present. */
export interface MinimizedPath {
  /** The minimized steps, from the initial state; the failure shows after the last one. */
  readonly steps: readonly PlanStep[];
  /** How often the minimized path reproduced the failure, e.g. `5/5`. */
  readonly reproduced?: string;
}

/** A path result as the page reads it: the runner's fields, and the minimizer's when it ran. */
export type ReportedPath = PathResult & {
  /** The minimized path of a failure. */
  readonly minimized?: MinimizedPath;
  /** The command that replays the (minimized) failing path, e.g. `sanspec run --replay failure-3f9a.json`. */
  readonly replay?: string;
};

/** Options of `writeRunHtml`. */
export interface RunHtmlOptions {
  /** The plan that was run: its topology and its coverage figures (recommended). */
  readonly plan?: Plan;
  /** The topology the paths ran on, when no plan is given (default: the named topology of the report). */
  readonly topology?: Topology;
}

/** Options of `writeCheckHtml`. */
export interface CheckHtmlOptions {
  /** Topologies checked, by name, for those not among the named topologies (loaded from files). */
  readonly topologies?: readonly Topology[];
}
