// Contracts of the HTML reports: what the writers take besides a run or check report.

import type { PathResult } from '../conform/types.js';
import type { Plan } from '../plan/types.js';
import type { Topology } from '../../models/types.js';

/**
 * A path result as the page reads it: the runner's fields, with the minimized path of a failure
 * (`minimized`) and the replay command (`replay`) when the run added them.
 */
export type ReportedPath = PathResult;

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
