// Minimal counterexamples. A failing path is cut down in three stages, every candidate played on a
// fresh system exactly as the runner plays a plan path (runPath: the predictor derives the
// expectation of each step from the model, so a candidate is judged on its own, not against the
// original's expectations):
//   1. the shortest failing prefix: a failure seen after step f needs no step after f; shorter
//      prefixes are tried by bisection (a failure seen only in the final checks may need fewer);
//   2. delta debugging (Zeller's ddmin) removes the steps the failure does not need, down to a path
//      from which no single step can be removed;
//   3. the final path is re-run N times: all fail, the failure is deterministic; some, it is
//      timing-dependent; none, it did not reproduce.
// "Fails the same way" means the same SPEC ID and error code (and for CF-1 a differing field in
// common, see sameFailure). Candidates settle within a shorter timeout than the run's (see
// candidateSettleMs); the re-runs of stage 3 use the run's own. A candidate in which the
// model refuses a step the original path took is skipped without being run: it would test a
// refusal (SRV-12) rather than the behaviour that failed. Stages 1 and 2 share a time budget; when
// it runs out, the smallest failing path found so far is kept (and marked). Identical candidates
// are run once.

import type { Adapter } from '../../adapters/types.js';
import type { GroupModel } from '../../models/group.js';
import { groupStatus } from '../../models/status.js';
import { pathId, stepLabel } from '../plan/path-id.js';
import { pathSpecIds } from '../plan/spec-ids.js';
import type { Plan, PlanPath, PlanStep } from '../plan/types.js';
import type { RunSettings } from './path-runtime.js';
import { runPath } from './run-path.js';
import type { Minimization, MinimizeOptions, PathFailure, PathResult, Reproduction } from './types.js';

/** Re-runs of the final path when not given. */
export const DEFAULT_REPRODUCE = 3;
/** Time budget of prefix search and delta debugging when not given, in ms. */
export const DEFAULT_MINIMIZE_BUDGET_MS = 120_000;

/** What minimization plays candidates with: the run's adapter, plan, model and settings. */
export interface MinimizeContext {
  readonly adapter: Adapter;
  readonly plan: Plan;
  readonly model: GroupModel;
  readonly settings: RunSettings;
  readonly signal: AbortSignal;
  readonly workRoot?: string;
}

/**
 * Whether `b` is the same failure as `a`: the same SPEC ID and error code and, for status
 * differences (CF-1), at least one differing field in common (a path that fails CF-1 on another
 * field shows another bug).
 */
export function sameFailure(a: PathFailure, b: PathFailure | undefined): boolean {
  if (b === undefined || a.rule !== b.rule || a.code !== b.code) return false;
  if (!a.diff || a.diff.length === 0) return true;
  const fields = new Set(a.diff.map((d) => d.field));
  return (b.diff ?? []).some((d) => fields.has(d.field));
}

/**
 * The settle timeout for candidates: a status that never matches costs a whole timeout per
 * candidate, so candidates wait five times the slowest settle the original path needed (at least
 * 2 s), never more than the run's timeout. Re-runs of the final path wait the run's full timeout.
 */
export function candidateSettleMs(failed: PathResult, runTimeoutMs: number): number {
  const slowest = Math.max(0, ...failed.steps.map((s) => s.settleMs));
  return Math.min(runTimeoutMs, Math.max(2000, 5 * slowest));
}

/** The verdict of N re-runs of which `failures` failed. */
export function reproductionVerdict(runs: number, failures: number): Reproduction['verdict'] {
  if (runs === 0) return 'unchecked';
  if (failures === runs) return 'deterministic';
  return failures === 0 ? 'not-reproduced' : 'timing-dependent';
}

/**
 * The steps of `path` at the given indices as a path of their own: its ID from its steps
 * (`min-<hash>`, so a replay seeds its block choices as the run that found it did), its SPEC IDs
 * from what the model does at each step.
 */
export function subPath(model: GroupModel, original: PlanPath, indices: readonly number[]): PlanPath {
  const steps: PlanStep[] = indices.map((i) => {
    const { note: _note, ...step } = original.steps[i]!;
    return step;
  });
  let state = model.initial;
  let before = groupStatus(model, state);
  const facts = steps.map((s) => {
    const r = model.step(state, s.event);
    state = r.state;
    const after = r.refusal ? before : groupStatus(model, state);
    const fact = { event: s.event, refused: r.refusal !== null, before, after };
    before = after;
    return fact;
  });
  return {
    id: pathId('min', model.topology.name, steps),
    spec: pathSpecIds(facts),
    steps,
    covers: [`minimized from ${original.id}`],
  };
}

/** Indices (into `path.steps`) of the steps the model refuses when the steps at `indices` are played in order. */
export function refusedSteps(model: GroupModel, path: PlanPath, indices: readonly number[]): Set<number> {
  const refused = new Set<number>();
  let state = model.initial;
  for (const i of indices) {
    const r = model.step(state, path.steps[i]!.event);
    if (r.refusal) refused.add(i);
    else state = r.state;
  }
  return refused;
}

/**
 * Delta debugging (ddmin): a subsequence of `items` for which `fails` still holds and from which
 * no single item can be removed (when the test is deterministic). `fails(items)` is assumed true.
 */
export async function ddmin<T>(items: readonly T[], fails: (candidate: readonly T[]) => Promise<boolean>): Promise<T[]> {
  let current = [...items];
  let n = 2;
  while (current.length >= 2) {
    const size = Math.ceil(current.length / n);
    const chunks: T[][] = [];
    for (let i = 0; i < current.length; i += size) chunks.push(current.slice(i, i + size));
    let reduced = false;
    for (const chunk of chunks) {
      if (await fails(chunk)) {
        current = chunk;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && chunks.length > 2) {
      for (let k = 0; k < chunks.length; k++) {
        const complement = chunks.filter((_, j) => j !== k).flat();
        if (await fails(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, 2 * n);
    }
  }
  return current;
}

/** Minimizes a failed path (see the top of this file); rejects with PathAborted when the run is interrupted. */
export async function minimizeFailure(ctx: MinimizeContext, failed: PathResult, options: MinimizeOptions = {}): Promise<Minimization> {
  const original = failed.path;
  const failure = failed.failure;
  if (!failure) throw new Error(`path ${original.id} did not fail: nothing to minimize`);
  const started = performance.now();
  const budgetMs = options.budgetMs ?? DEFAULT_MINIMIZE_BUDGET_MS;
  const reproduce = Math.max(0, options.reproduce ?? DEFAULT_REPRODUCE);
  const originalRefused = refusedSteps(
    ctx.model,
    original,
    original.steps.map((_, i) => i),
  );
  const runs = new Map<string, PathResult>();
  let candidateRuns = 0;
  let invalidCandidates = 0;
  let budgetExhausted = false;
  /** The smallest failing run so far. */
  let best: { indices: number[]; result: PathResult } = { indices: original.steps.map((_, i) => i), result: failed };

  const settleTimeoutMs = options.settleTimeoutMs ?? candidateSettleMs(failed, ctx.settings.settleTimeoutMs);
  const play = (path: PlanPath, settings: RunSettings = { ...ctx.settings, settleTimeoutMs }) =>
    runPath({
      adapter: ctx.adapter,
      plan: ctx.plan,
      path,
      model: ctx.model,
      settings,
      signal: ctx.signal,
      workRoot: ctx.workRoot,
    });

  /** Plays the steps at `indices` (once per distinct candidate); whether they fail the same way. */
  const fails = async (indices: readonly number[]): Promise<boolean> => {
    const key = indices.map((i) => stepLabel(original.steps[i]!)).join('\n');
    let result = runs.get(key);
    if (!result) {
      if ([...refusedSteps(ctx.model, original, indices)].some((i) => !originalRefused.has(i))) {
        invalidCandidates++;
        return false;
      }
      if (performance.now() - started > budgetMs) {
        budgetExhausted = true;
        return false;
      }
      result = await play(subPath(ctx.model, original, indices));
      candidateRuns++;
      runs.set(key, result);
    }
    const same = result.outcome === 'failed' && sameFailure(failure, result.failure);
    if (same && indices.length <= best.indices.length) best = { indices: [...indices], result };
    return same;
  };

  // 1. The shortest failing prefix: no step after the failing one is needed; bisect below it.
  const all = original.steps.map((_, i) => i);
  let hi = failure.step >= 0 && failure.step < original.steps.length ? failure.step + 1 : original.steps.length;
  if (hi < original.steps.length && !(await fails(all.slice(0, hi)))) hi = original.steps.length;
  let lo = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fails(all.slice(0, mid))) hi = mid;
    else lo = mid + 1;
  }
  const prefixLength = hi;
  // When even the original did not fail again (a flaky failure), ddmin starts from it all the same.
  // 2. Delta debugging over the prefix.
  if (prefixLength >= 2) await ddmin(all.slice(0, prefixLength), fails);
  const durationMs = Math.round(performance.now() - started);

  // 3. Reproduction on fresh systems.
  const path = best.result === failed ? subPath(ctx.model, original, best.indices) : best.result.path;
  let failures = 0;
  for (let k = 0; k < reproduce; k++) {
    const r = await play(path, ctx.settings);
    if (r.outcome === 'failed' && sameFailure(failure, r.failure)) failures++;
  }
  return {
    path,
    failure: best.result.failure!,
    steps: best.result.steps,
    originalLength: original.steps.length,
    prefixLength,
    candidateRuns,
    invalidCandidates,
    durationMs,
    budgetExhausted,
    reproduction: { runs: reproduce, failures, verdict: reproductionVerdict(reproduce, failures) },
  };
}
