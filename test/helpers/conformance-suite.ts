// A plan as a vitest suite: one test per path, named by path id and SPEC IDs, each played by the
// conformance runner (harness/conform/run-path.ts) against a fresh system of the adapter. One
// file per adapter (model, engine on each backend, each command-adapter example), so that
// `vitest --shard` spreads them over machines; SANSPEC_CONFORMANCE_SHARD=I/N keeps shard I of N
// of every plan (paths dealt round-robin, as `sanspec run --shard`) to spread one plan further.
// Paths the adapter cannot run (capabilities) pass as not applicable, with the reason printed.

import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Adapter } from '../../adapters/types.js';
import { formatFailure } from '../../harness/conform/format-failure.js';
import { runPath } from '../../harness/conform/run-path.js';
import { runSettings } from '../../harness/conform/run-plan.js';
import type { Plan, PlanPath } from '../../harness/plan/types.js';
import { createGroupModel } from '../../models/group.js';

/** Options of `conformanceSuite`. */
export interface ConformanceSuiteOptions {
  /** The suite's name (the describe block). */
  readonly name: string;
  readonly plan: Plan;
  /** The adapter, or why this machine cannot run it (the suite is skipped with that reason printed). */
  readonly adapter: Adapter | { readonly unavailable: string };
  /** Paths run at once (default: the number of cores): each on its own system. */
  readonly concurrency?: number;
  /** Per-path timeout (default 120 s: a path is some 25 steps on real processes of a loaded machine). */
  readonly timeoutMs?: number;
  /** Overrides of the runner's settings. */
  readonly settings?: Parameters<typeof runSettings>[0];
}

/** Shard I of N of `paths` from SANSPEC_CONFORMANCE_SHARD, or all of them. */
function shardOf(paths: readonly PlanPath[]): readonly PlanPath[] {
  const spec = process.env.SANSPEC_CONFORMANCE_SHARD;
  if (!spec) return paths;
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2]))
    throw new Error(`SANSPEC_CONFORMANCE_SHARD must be I/N with 1 <= I <= N, got ${JSON.stringify(spec)}`);
  const [i, n] = [Number(m[1]), Number(m[2])];
  return paths.filter((_, k) => k % n === i - 1);
}

/** Declares the suite: one test per path of the plan (of the shard). */
export function conformanceSuite(options: ConformanceSuiteOptions): void {
  const { plan } = options;
  const model = createGroupModel(plan.topology);
  const settings = runSettings(options.settings ?? {});
  const paths = shardOf(plan.paths);
  const unavailable = 'unavailable' in options.adapter ? options.adapter.unavailable : null;
  if (unavailable) console.warn(`skipping ${options.name}: ${unavailable}`);
  const concurrency = options.concurrency ?? availableParallelism();

  describe.skipIf(unavailable !== null)(options.name, { concurrent: concurrency > 1, timeout: options.timeoutMs ?? 120_000 }, () => {
    it.each(paths.map((path) => ({ path, title: `${path.id} ${path.spec.join(' ')}` })))('$title', async ({ path }) => {
      const adapter = options.adapter as Adapter;
      const result = await runPath({ adapter, plan, path, model, settings, signal: new AbortController().signal });
      if (result.outcome === 'notApplicable') {
        console.info(`${path.id}: not applicable: ${result.reason}`);
        return;
      }
      expect(result.outcome, formatFailure(result)).toBe('passed');
      expect(result.steps).toHaveLength(path.steps.length);
    });
  });
}
