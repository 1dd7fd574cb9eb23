// One hand path run on the model adapter with minimization on (the minimizer's unit tests).
import { expect } from 'vitest';
import { createModelAdapter, type ModelAdapterOptions } from '../../../../adapters/model/index.js';
import { formatFailure } from '../../../../harness/conform/format-failure.js';
import { runPlan } from '../../../../harness/conform/run-plan.js';
import type { PathResult } from '../../../../harness/conform/types.js';
import { type HandPath, handPlan } from './hand-plan.js';

/** Runs `path` with `adapter`'s lies and minimization on, in `workRoot`; asserts it failed and returns its result. */
export async function runMinimized(path: HandPath, adapter: ModelAdapterOptions, workRoot: string, reproduce = 3): Promise<PathResult> {
  const report = await runPlan({
    adapter: createModelAdapter(adapter),
    plan: handPlan([path]),
    jobs: 1,
    settleTimeoutMs: 300,
    workRoot,
    minimize: { reproduce },
  });
  const [result] = report.paths;
  expect(result!.outcome, formatFailure(result!)).toBe('failed');
  return result!;
}
