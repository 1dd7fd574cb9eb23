// Public API of the conformance runner.

export { notApplicable } from './applicability.js';
export { runUntilFirstFailure, type FirstFailure } from './first-failure.js';
export { formatFailure, formatFailureFile, historyLine, minimizedLine, ruleTitles } from './format-failure.js';
export { formatSummary } from './format-summary.js';
export { junitXml } from './junit.js';
export { lossesOf, type ActionLosses, type DiskLoss } from './losses.js';
export {
  candidateSettleMs,
  ddmin,
  DEFAULT_MINIMIZE_BUDGET_MS,
  DEFAULT_REPRODUCE,
  minimizeFailure,
  refusedSteps,
  reproductionVerdict,
  sameFailure,
  subPath,
  type MinimizeContext,
} from './minimize.js';
export {
  createPredictor,
  type ActionOutcomes,
  type Predictor,
  type PredictorOptions,
  type Resolution,
  type Transition,
} from './predictor.js';
export { HistoryEntrySchema, publishedReportSchema, RunReportSchema } from './report-schema.js';
export {
  replayCommand,
  replayPlan,
  runCommand,
  RunUsageError,
  type CreatePlan,
  type RunCommandEnvironment,
  type RunCommandOptions,
} from './run-command.js';
export { runPath, type RunPathOptions } from './run-path.js';
export { runPlan, runSettings } from './run-plan.js';
export { shardPlan } from './shard-plan.js';
export { canonicalJson, formatDiff, statusDiff } from './status-diff.js';
export { summarize } from './summary.js';
export type * from './types.js';
export { writeReport } from './write-report.js';
