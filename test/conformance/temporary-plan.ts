// TEMPORARY, until the planner (harness/plan createPlan) is merged into this branch: the seed
// page's cases written by hand stand in for the `components` plan of the conformance topology.
// Replace `conformancePlan()` with `createPlan(conformanceTopology(), 'components', { seed })`.

import type { Plan } from '../../harness/plan/types.js';
import { handPlan, seedCases } from '../unit/harness/conform/hand-plan.js';

/** The plan the conformance suites run. */
export function conformancePlan(): Plan {
  return handPlan(seedCases);
}
