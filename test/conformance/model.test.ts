// The conformance plan against the model adapter: one vitest test per path, named by path id and
// SPEC IDs, so `vitest --shard` spreads a plan over machines. The model conforms to itself by
// construction, so every path must pass: a failure here is a bug of the runner, the predictor or
// the model adapter, shown with the formatted failure.

import { describe, expect, it } from 'vitest';
import { createModelAdapter } from '../../adapters/model/index.js';
import { formatFailure } from '../../harness/conform/format-failure.js';
import { runPath } from '../../harness/conform/run-path.js';
import { runSettings } from '../../harness/conform/run-plan.js';
import { createGroupModel } from '../../models/group.js';
import { conformancePlan } from './temporary-plan.js';

const plan = conformancePlan();
const model = createGroupModel(plan.topology);
const settings = runSettings({ settleTimeoutMs: 5000 });

describe.each([
  { name: 'model adapter, recoveries held', adapter: createModelAdapter() },
  { name: 'model adapter, recoveries completing by themselves', adapter: createModelAdapter({ autoRecoverMs: 2 }) },
  {
    name: 'model adapter, write-back caches (cache probes, crashes lose unflushed writes)',
    adapter: createModelAdapter({ writeBackCache: true }),
  },
])('conformance: $name', ({ adapter }) => {
  it.each(plan.paths.map((path) => ({ path, title: `${path.id} ${path.spec.join(' ')}` })))('$title', async ({ path }) => {
    const result = await runPath({ adapter, plan, path, model, settings, signal: new AbortController().signal });
    expect(result.outcome, formatFailure(result)).toBe('passed');
    expect(result.steps).toHaveLength(path.steps.length);
  });
});
