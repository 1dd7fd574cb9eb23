// The default plan (`components` on the conformance topology) against the model adapter: one
// vitest test per path, named by path id and SPEC IDs, so `vitest --shard` spreads a plan over
// machines. The model conforms to itself by construction, so every path must pass: a failure here
// is a bug of the planner, the runner, the predictor or the model adapter, shown formatted.
//   - every path, with write-back caches (cache probes on; crashes lose unflushed writes) and
//     recoveries held until the plan's recoveryComplete steps;
//   - the seed page's cases again, with recoveries completing whenever the adapter gets there,
//     so the runner's waiting for them (instead of releasing them) is exercised on real plans.

import { describe, expect, it } from 'vitest';
import { createModelAdapter } from '../../adapters/model/index.js';
import type { Adapter } from '../../adapters/types.js';
import { formatFailure } from '../../harness/conform/format-failure.js';
import { runPath } from '../../harness/conform/run-path.js';
import { runSettings } from '../../harness/conform/run-plan.js';
import { createPlan } from '../../harness/plan/index.js';
import type { PlanPath } from '../../harness/plan/types.js';
import { createGroupModel } from '../../models/group.js';
import { conformanceTopology } from '../../models/topology.js';

const plan = createPlan(conformanceTopology(), 'components', { seed: 1 });
const model = createGroupModel(plan.topology);
// Small blocks: the model adapter checks the same rules on fewer bytes, faster.
const settings = runSettings({ settleTimeoutMs: 5000, blockSize: 512, maxBlocks: 64 });
const title = (path: PlanPath) => ({ path, title: `${path.id} ${path.spec.join(' ')}` });

async function conforms(adapter: Adapter, path: PlanPath): Promise<void> {
  const result = await runPath({ adapter, plan, path, model, settings, signal: new AbortController().signal });
  expect(result.outcome, formatFailure(result)).toBe('passed');
  expect(result.steps).toHaveLength(path.steps.length);
}

describe('conformance: model adapter with write-back caches, recoveries held', () => {
  const adapter = createModelAdapter({ writeBackCache: true });
  it.each(plan.paths.map(title))('$title', ({ path }) => conforms(adapter, path));
});

describe('conformance: model adapter, recoveries completing by themselves (seed cases)', () => {
  const adapter = createModelAdapter({ autoRecoverMs: 2 });
  const seeds = plan.paths.filter((p) => p.covers.some((c) => c.startsWith('seed:')));
  it('the plan has the seed cases', () => expect(seeds.length).toBeGreaterThanOrEqual(10));
  it.each(seeds.map(title))('$title', ({ path }) => conforms(adapter, path));
});
