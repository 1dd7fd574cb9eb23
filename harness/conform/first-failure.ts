// A plan run until its first failing path, minimized: how fault-catching is measured (the bench's
// checker-power table, fault-switch tests). The run stops starting paths once a path has failed and
// been minimized; paths in flight are aborted and their systems closed. Times are from the start of
// the run: the first violation is when the failing path ended (before its minimization).

import { runPlan } from './run-plan.js';
import type { PathResult, RunOptions } from './types.js';

/** What `runUntilFirstFailure` found. */
export interface FirstFailure {
  /** The first path that failed (with its minimized path when `minimize` was given), or null when every path passed. */
  readonly failed: PathResult | null;
  /** Time from the start of the run to the end of the failing path's run, ms. */
  readonly firstViolationMs: number | null;
  /** Time of the whole run, minimization and re-runs included, ms. */
  readonly totalMs: number;
}

/** Runs `options.plan` until its first failing path (minimized when `options.minimize` is given). */
export async function runUntilFirstFailure(options: Omit<RunOptions, 'onPath'>): Promise<FirstFailure> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  const started = performance.now();
  const startedAt = new Map<string, number>();
  let failed: PathResult | null = null;
  let firstViolationMs: number | null = null;
  try {
    await runPlan({
      ...options,
      signal: controller.signal,
      onPath: (e) => {
        if (e.phase === 'start') startedAt.set(e.id, performance.now());
        else if (e.phase === 'end' && e.result?.outcome === 'failed' && !failed) {
          failed = e.result;
          firstViolationMs = (startedAt.get(e.id) ?? started) - started + e.result.durationMs;
          controller.abort();
        }
      },
    });
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
  return { failed, firstViolationMs, totalMs: performance.now() - started };
}
