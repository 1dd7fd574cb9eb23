// Interrupting a run (SIGINT in the CLI, an abort signal here): paths in flight stop, every system
// opened is closed, every work directory is removed, and the report says it was interrupted.

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createModelAdapter } from '../../../../adapters/model/index.js';
import type { Adapter, SystemUnderTest } from '../../../../adapters/types.js';
import { runPlan } from '../../../../harness/conform/run-plan.js';
import { handPlan, seedCases } from './hand-plan.js';

/** The model adapter, counting the systems it opened and closed; its status calls are slowed so paths are in flight when the abort comes. */
function countingAdapter() {
  const base = createModelAdapter();
  const counts = { opened: 0, closed: 0, open: new Set<SystemUnderTest>() };
  const adapter: Adapter = {
    name: 'counting model',
    capabilities: (t) => base.capabilities(t),
    async open(topology, options) {
      const sut = await base.open(topology, options);
      counts.opened++;
      const wrapped: SystemUnderTest = {
        ...sut,
        apply: (e) => sut.apply(e),
        status: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          return sut.status();
        },
        device: (h, v, o) => sut.device(h, v, o),
        pathDevice: (h, s, v, o) => sut.pathDevice(h, s, v, o),
        copyReader: (v, s) => sut.copyReader(v, s),
        async close() {
          if (counts.open.delete(wrapped)) counts.closed++;
          await sut.close();
        },
      };
      counts.open.add(wrapped);
      return wrapped;
    },
  };
  return { adapter, counts };
}

describe('interrupting a run', () => {
  let workRoot: string | undefined;
  afterEach(async () => {
    if (workRoot) await rm(workRoot, { recursive: true, force: true });
  });

  it('closes every system it opened and removes every work directory, then reports the run interrupted', async () => {
    workRoot = await mkdtemp(join(tmpdir(), 'sanspec-abort-'));
    const { adapter, counts } = countingAdapter();
    const controller = new AbortController();
    const report = await runPlan({
      adapter,
      plan: handPlan(seedCases),
      jobs: 3,
      workRoot,
      signal: controller.signal,
      // Abort once a few steps ran: some paths are in the middle of a step then.
      onProgress: (p) => {
        if (p.stepsDone >= 4) controller.abort();
      },
    });
    expect(report.interrupted).toBe(true);
    expect(report.paths.length).toBeLessThan(seedCases.length);
    expect(counts.opened).toBeGreaterThan(report.paths.length);
    expect(counts.closed).toBe(counts.opened);
    expect(counts.open.size).toBe(0);
    expect(await readdir(workRoot)).toEqual([]);
  });

  it('a run aborted before it starts opens nothing', async () => {
    const { adapter, counts } = countingAdapter();
    const report = await runPlan({ adapter, plan: handPlan(seedCases), signal: AbortSignal.abort() });
    expect(report).toMatchObject({ interrupted: true, paths: [] });
    expect(counts.opened).toBe(0);
  });
});
