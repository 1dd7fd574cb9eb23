// Public API of the planner: plans, plan files, the `sanspec plan` command, and the tables a
// runner or a report needs (SPEC IDs of a path, the heal target).

export type * from './types.js';
export { createPlan, DEFAULT_MAX_PATH_LENGTH, DEFAULT_SEED, type PlanOptions } from './create-plan.js';
export { criterionHelp, criterionPrefix, DEFAULT_CRITERION, formatCriterion, parseCriterion } from './criterion.js';
export { checkPlan, loadPlan, savePlan, serializePlan } from './plan-file.js';
export { PlanSchema, type PlanJson } from './plan-schema.js';
export { PlanError } from './plan-error.js';
export {
  DEFAULT_TOPOLOGY,
  formatSummary,
  parseShard,
  planCommand,
  resolveTopology,
  summarizePlan,
  type CommandOutput,
  type PlanCommandOptions,
  type PlanSummary,
} from './plan-command.js';
export {
  everyPathIds,
  pathSpecIds,
  sortSpecIds,
  specRules,
  unexercisableSpecIds,
  type SpecRule,
  type StepFacts,
  type UnexercisableId,
} from './spec-ids.js';
export { isHealed } from './heal.js';
export { pathId, stepLabel } from './path-id.js';
export { shortestShowing, shortestShowingIn, type ShowingStep } from './shortest-showing.js';
