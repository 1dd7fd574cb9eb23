// A plan against an adapter: paths run concurrently (`jobs`, default the number of cores), each on
// its own fresh system, and their results gathered into the run report. Interrupting the run (the
// signal) stops starting paths and aborts those in flight; every system opened is closed before
// `runPlan` returns. With `minimize`, a failing path is minimized in its worker's turn (minimize.ts)
// before the worker takes the next path.

import { availableParallelism } from 'node:os';
import { createGroupModel } from '../../models/group.js';
import type { PlanPath } from '../plan/types.js';
import { minimizeFailure } from './minimize.js';
import { PathAborted } from './path-failed.js';
import type { RunSettings } from './path-runtime.js';
import { runPath } from './run-path.js';
import { summarize } from './summary.js';
import type { PathResult, RunOptions, RunReport } from './types.js';

/** The settings of a run, with defaults. */
export function runSettings(
  options: Pick<RunOptions, 'settleTimeoutMs' | 'settlePollMs' | 'ioTimeoutMs' | 'retryForMs' | 'blockSize' | 'maxBlocks'>,
): RunSettings {
  const ioTimeoutMs = options.ioTimeoutMs ?? 2000;
  const retryForMs = options.retryForMs ?? 3000;
  return {
    settleTimeoutMs: options.settleTimeoutMs ?? 20_000,
    settlePollMs: options.settlePollMs ?? 20,
    ioTimeoutMs,
    retryForMs,
    // A multipath operation may retry for retryForMs, each attempt waiting up to ioTimeoutMs.
    opDeadlineMs: ioTimeoutMs + retryForMs + 1000,
    blockSize: options.blockSize ?? 4096,
    maxBlocks: options.maxBlocks ?? 256,
  };
}

/** Runs every path of the plan; resolves to the report (paths in plan order). */
export async function runPlan(options: RunOptions): Promise<RunReport> {
  const { adapter, plan } = options;
  const startedAt = new Date();
  const started = performance.now();
  const model = options.model ?? createGroupModel(plan.topology);
  const settings = runSettings(options);
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), plan.paths.length || 1));
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', abort, { once: true });

  const results: Array<PathResult | undefined> = new Array(plan.paths.length);
  let next = 0;
  let pathsDone = 0;
  let stepsDone = 0;
  let failures = 0;
  const progress = () =>
    options.onProgress?.({
      pathsDone,
      pathsTotal: plan.paths.length,
      stepsDone,
      failures,
      elapsedMs: performance.now() - started,
    });

  const worker = async () => {
    while (!controller.signal.aborted && next < plan.paths.length) {
      const i = next++;
      const path = plan.paths[i] as PlanPath;
      options.onPath?.({ id: path.id, phase: 'start' });
      let result: PathResult;
      try {
        result = await runPath({
          adapter,
          plan,
          path,
          model,
          settings,
          signal: controller.signal,
          workRoot: options.workRoot,
          onStep: () => {
            stepsDone++;
            progress();
          },
        });
      } catch (error) {
        if (error instanceof PathAborted) return;
        throw error;
      }
      if (result.outcome === 'failed' && options.minimize) {
        const context = { adapter, plan, model, settings, signal: controller.signal, workRoot: options.workRoot };
        options.onPath?.({ id: path.id, phase: 'minimize', result });
        try {
          result = { ...result, minimized: await minimizeFailure(context, result, options.minimize) };
        } catch (error) {
          // Interrupted while minimizing: the failure stands as found.
          if (!(error instanceof PathAborted)) throw error;
        }
      }
      results[i] = result;
      pathsDone++;
      if (result.outcome === 'failed') failures++;
      options.onPath?.({ id: path.id, phase: 'end', result });
      progress();
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }

  const paths = results.filter((r): r is PathResult => r !== undefined);
  const count = (o: PathResult['outcome']) => paths.filter((p) => p.outcome === o).length;
  return {
    version: 1,
    adapter: adapter.name,
    topology: plan.topology.name,
    criterion: plan.criterion,
    shard: plan.shard,
    seed: plan.seed,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    ...(controller.signal.aborted ? { interrupted: true } : {}),
    paths,
    summary: summarize(paths),
    totals: {
      paths: paths.length,
      passed: count('passed'),
      failed: count('failed'),
      notApplicable: count('notApplicable'),
      steps: paths.reduce((n, p) => n + p.steps.length, 0),
    },
  };
}
