// Minimal counterexamples. A failing path is cut down in three stages, every candidate played on a
// fresh system exactly as the runner plays a plan path (runPath: the predictor derives the
// expectation of each step from the model, so a candidate is judged on its own, not against the
// original's expectations):
//   1. no step after the failing one is needed. Model-guided shortcuts of that prefix come first
//      (`shortcuts`: the model's shortest path to the state reached after a step, or to the nearest
//      state that takes the next kept step, then the rest of the path; shortest first, the first
//      that fails the same way replaces the path, again until none does). When none fails, the
//      prefix itself, and shorter prefixes by bisection (a failure seen only in the final checks
//      may need fewer steps);
//   2. delta debugging (Zeller's ddmin) on paths still long, then single-step removals in the order
//      the model makes likely (`removalOrder`), each success followed by shortcuts again, down to a
//      path from which no single step can be removed; each removal from it that passed then gets a
//      second run (a timing-dependent failure may have passed by chance). The candidates come from
//      the model only, never from knowledge of the fault, and cost a handful of fresh systems where
//      blind ddmin costs dozens;
//   3. the final path is re-run N times: all fail, the failure is deterministic; some, it is
//      timing-dependent; none, it did not reproduce (then the next smallest failing candidates
//      are re-run instead, and the first that fails again is kept).
// "Fails the same way" means the same SPEC ID and error code (and for CF-1 a differing field in
// common, see sameFailure). Candidates settle within a shorter timeout than the run's (see
// candidateSettleMs); the re-runs of stage 3 use the run's own. A candidate in which the
// model refuses a step the original path took is skipped without being run: it would test a
// refusal (SRV-12) rather than the behaviour that failed. Stages 1 and 2 share a time budget; when
// it runs out, the smallest failing path found so far is kept (and marked). Identical candidates
// are run once (but for the second runs of stage 2).

import type { Adapter } from '../../adapters/types.js';
import type { GroupModel, GroupState } from '../../models/group.js';
import type { GroupEvent } from '../../models/types.js';
import { eventLabel } from '../check/format.js';
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

/** Shortcut candidates tried per pass that do not fail before the pass gives up (each costs a fresh system). */
export const SHORTCUT_TRIES = 8;

/**
 * A shortcut: a short event sequence from the initial state found by the model, then the path's
 * steps from `keep` on. Exact: the prefix reaches the very state the path reached before step
 * `keep`. Loose: it reaches the nearest state in which step `keep` is taken as in the path (a stop
 * instead of a crash and a power-on, say), the model state after may differ.
 */
export interface Shortcut {
  /** The events from the initial state (breadth-first over the model, refused events skipped). */
  readonly prefix: readonly PlanStep[];
  /** Index of the first step of the path kept after the prefix. */
  readonly keep: number;
  /** Steps of the candidate: prefix plus the kept steps. */
  readonly length: number;
  readonly exact: boolean;
}

/**
 * Model-guided candidates (issue 10): for each step j of `steps` (and the initial state), the
 * model's shortest path to the state reached after step j, followed by the steps after j (exact);
 * and the model's shortest path to any state in which step j+1 is accepted as in the path,
 * followed by the steps from j+1 (loose). Only candidates shorter than `steps` are returned,
 * shortest first (ties: exact ones first, then those keeping fewer of the original steps), one
 * per distinct step sequence. A prefix step takes `overlapIo` when a step it replaces had the same
 * event with it; the last step of a loose prefix takes it when any step it replaces had it.
 */
export function shortcuts(model: GroupModel, steps: readonly PlanStep[]): Shortcut[] {
  // The model state after each step (refused steps leave it as it is); index 0 is the initial state.
  const states = [model.initial];
  const refused: boolean[] = [];
  for (const s of steps) {
    const r = model.step(states[states.length - 1]!, s.event);
    refused.push(r.refusal !== null);
    states.push(r.refusal ? states[states.length - 1]! : r.state);
  }
  const wanted = new Set(states.map((s) => model.key(s)));
  // Breadth-first from the initial state until every wanted state has its shortest path (each is
  // reachable: the path itself reaches it), no deeper than the path is long. Every state visited
  // is kept, in order of depth, for the loose shortcuts.
  interface Node {
    readonly state: GroupState;
    readonly events: readonly GroupEvent[];
  }
  const nodes: Node[] = [{ state: model.initial, events: [] }];
  const found = new Map<string, readonly GroupEvent[]>([[model.key(model.initial), []]]);
  let frontier: Node[] = [nodes[0]!];
  const seen = new Set([model.key(model.initial)]);
  for (let depth = 1; depth < steps.length && frontier.length > 0 && found.size < wanted.size; depth++) {
    const next: Node[] = [];
    for (const n of frontier) {
      for (const e of model.alphabet) {
        const r = model.step(n.state, e);
        if (r.refusal) continue;
        const k = model.key(r.state);
        if (seen.has(k)) continue;
        seen.add(k);
        const node = { state: r.state, events: [...n.events, e] };
        if (wanted.has(k)) found.set(k, node.events);
        next.push(node);
        nodes.push(node);
      }
    }
    frontier = next;
  }
  const out = new Map<string, Shortcut>();
  const add = (events: readonly GroupEvent[], keep: number, exact: boolean) => {
    const length = events.length + steps.length - keep;
    if (length >= steps.length) return;
    const replaced = steps.slice(0, keep).filter((s) => s.overlapIo);
    const overlapping = new Set(replaced.map((s) => eventLabel(s.event)));
    const prefix = events.map(
      (event, i): PlanStep =>
        overlapping.has(eventLabel(event)) || (!exact && replaced.length > 0 && i === events.length - 1)
          ? { event, overlapIo: true }
          : { event },
    );
    const key = [...prefix, ...steps.slice(keep)].map(stepLabel).join('\n');
    if (!out.has(key)) out.set(key, { prefix, keep, length, exact });
  };
  for (let keep = 0; keep <= steps.length; keep++) {
    const events = found.get(model.key(states[keep]!));
    if (events) add(events, keep, true);
  }
  for (let keep = 1; keep < steps.length; keep++) {
    if (refused[keep]) continue;
    const event = steps[keep]!.event;
    const nearest = nodes.find((n) => model.step(n.state, event).refusal === null);
    if (nearest) add(nearest.events, keep, false);
  }
  return [...out.values()].sort((a, b) => a.length - b.length || Number(b.exact) - Number(a.exact) || b.keep - a.keep);
}

/**
 * The single steps of `steps` to try removing, most likely removable first (issue 10): removals
 * after which the model refuses a step it did not refuse before are left out (they would test a
 * refusal); then steps the model refused anyway, then steps whose removal leaves the final model
 * state as it was (the failing step still starts where it did), then the rest, each group in path
 * order.
 */
export function removalOrder(model: GroupModel, steps: readonly PlanStep[], refused: readonly boolean[]): number[] {
  const finalKey = (indices: readonly number[]): string | null => {
    let state = model.initial;
    for (const i of indices) {
      const r = model.step(state, steps[i]!.event);
      if (r.refusal) {
        if (!refused[i]) return null;
      } else state = r.state;
    }
    return model.key(state);
  };
  const all = steps.map((_, i) => i);
  const whole = finalKey(all);
  const ranked: { i: number; rank: number }[] = [];
  for (const i of all) {
    const key = finalKey(all.filter((j) => j !== i));
    if (key === null) continue;
    ranked.push({ i, rank: refused[i] ? 0 : key === whole ? 1 : 2 });
  }
  return ranked.sort((a, b) => a.rank - b.rank || a.i - b.i).map((r) => r.i);
}

/** One step of a candidate, and whether the model refused it in the path it comes from. */
interface Item {
  readonly step: PlanStep;
  readonly refused: boolean;
}

/** The path of a candidate's steps (ID from its steps, SPEC IDs from what the model does at each). */
export function pathOfSteps(model: GroupModel, original: PlanPath, steps: readonly PlanStep[]): PlanPath {
  return subPath(
    model,
    { ...original, steps },
    steps.map((_, i) => i),
  );
}

/** Failing candidates re-run after the smallest when it fails in none of its re-runs. */
export const REPRODUCE_FALLBACKS = 2;

/** Paths at most this long skip ddmin: ordered single-step removals cost fewer runs there. */
const DDMIN_ABOVE = 4;

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
  const items: Item[] = original.steps.map((step, i) => ({ step, refused: originalRefused.has(i) }));
  const runs = new Map<string, PathResult>();
  let candidateRuns = 0;
  let invalidCandidates = 0;
  let budgetExhausted = false;
  /** Every candidate that failed the same way. */
  const found: { items: readonly Item[]; result: PathResult }[] = [];
  /** The smallest failing run so far. */
  let best: { items: readonly Item[]; result: PathResult } = { items, result: failed };

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

  /** Candidates that passed once and were given a second run. */
  const retried = new Set<string>();
  /** Plays a candidate (once per distinct one, twice with `again` when it passed the first time); whether it fails the same way. */
  const fails = async (candidate: readonly Item[], again = false): Promise<boolean> => {
    const steps = candidate.map((c) => c.step);
    const key = steps.map(stepLabel).join('\n');
    let result = runs.get(key);
    if (again && result && !retried.has(key) && !(result.outcome === 'failed' && sameFailure(failure, result.failure))) {
      retried.add(key);
      result = undefined;
    }
    if (!result) {
      let state = ctx.model.initial;
      for (const c of candidate) {
        const r = ctx.model.step(state, c.step.event);
        if (r.refusal && !c.refused) {
          invalidCandidates++;
          return false;
        }
        if (!r.refusal) state = r.state;
      }
      if (performance.now() - started > budgetMs) {
        budgetExhausted = true;
        return false;
      }
      result = await play(pathOfSteps(ctx.model, original, steps));
      candidateRuns++;
      runs.set(key, result);
    }
    const same = result.outcome === 'failed' && sameFailure(failure, result.failure);
    if (same && !found.some((f) => f.result === result)) found.push({ items: [...candidate], result });
    if (same && candidate.length <= best.items.length) best = { items: [...candidate], result };
    return same;
  };

  /** Replaces `current` by its first failing shortcut, again and again; at most SHORTCUT_TRIES misses per pass. */
  const shortcutPass = async (current: readonly Item[]): Promise<readonly Item[]> => {
    for (;;) {
      let replaced = false;
      let misses = 0;
      for (const c of shortcuts(
        ctx.model,
        current.map((x) => x.step),
      )) {
        const candidate = [...c.prefix.map((step) => ({ step, refused: false })), ...current.slice(c.keep)];
        if (await fails(candidate)) {
          current = candidate;
          replaced = true;
          break;
        }
        if (budgetExhausted || ++misses >= SHORTCUT_TRIES) break;
      }
      if (!replaced) return current;
    }
  };

  /** Removes single steps, most likely removable first, until none can go; shortcuts after each removal. */
  const removalPass = async (current: readonly Item[], again = false): Promise<readonly Item[]> => {
    for (;;) {
      let removed = false;
      const order = removalOrder(
        ctx.model,
        current.map((x) => x.step),
        current.map((x) => x.refused),
      );
      for (const i of order) {
        const candidate = current.filter((_, j) => j !== i);
        if (await fails(candidate, again)) {
          current = await shortcutPass(candidate);
          removed = true;
          break;
        }
        if (budgetExhausted) return current;
      }
      if (!removed) return current;
    }
  };

  // 1. No step after the failing one is needed. Model-guided shortcuts of that prefix first; when
  //    none fails, the prefix itself, and shorter prefixes by bisection.
  const hi0 = failure.step < 0 ? 0 : Math.min(failure.step + 1, items.length);
  let current = await shortcutPass(items.slice(0, hi0));
  if (current.length === hi0) {
    let hi = hi0;
    if (hi < items.length && !(await fails(items.slice(0, hi)))) hi = items.length;
    let lo = 0;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await fails(items.slice(0, mid))) hi = mid;
      else lo = mid + 1;
    }
    // When even the original did not fail again (a flaky failure), the rest starts from it all the same.
    current = hi < hi0 ? await shortcutPass(items.slice(0, hi)) : items.slice(0, hi);
  }
  const prefixLength = current.length;
  // 2. Delta debugging on long paths, then ordered single-step removals.
  if (current.length > DDMIN_ABOVE) current = await ddmin(current, fails);
  if (current.length >= 1) current = await removalPass(current);
  // A timing-dependent failure may have let a removal pass by chance: each removal from the final
  // path that passed gets one more run.
  if (current.length >= 1 && !budgetExhausted) await removalPass(current, true);
  const durationMs = Math.round(performance.now() - started);

  // 3. Reproduction on fresh systems. When the smallest path fails in none of the re-runs (a
  //    timing-dependent failure that a candidate met by chance), the next smallest failing ones
  //    are re-run instead, up to REPRODUCE_FALLBACKS of them; the first that fails again is kept.
  const pathOf = (f: { items: readonly Item[]; result: PathResult }) =>
    f.result === failed
      ? pathOfSteps(
          ctx.model,
          original,
          f.items.map((x) => x.step),
        )
      : f.result.path;
  const others = found.filter((f) => f !== best).sort((a, b) => a.items.length - b.items.length);
  let chosen = best;
  let path = pathOf(best);
  let failures = 0;
  for (const option of [best, ...others].slice(0, 1 + REPRODUCE_FALLBACKS)) {
    const p = pathOf(option);
    let n = 0;
    for (let k = 0; k < reproduce; k++) {
      const r = await play(p, ctx.settings);
      if (r.outcome === 'failed' && sameFailure(failure, r.failure)) n++;
    }
    if (n > 0 || reproduce === 0) {
      chosen = option;
      path = p;
      failures = n;
      break;
    }
  }
  return {
    path,
    failure: chosen.result.failure!,
    steps: chosen.result.steps,
    originalLength: original.steps.length,
    prefixLength,
    candidateRuns,
    invalidCandidates,
    durationMs,
    budgetExhausted,
    reproduction: { runs: reproduce, failures, verdict: reproductionVerdict(reproduce, failures) },
  };
}
