// Issue 10: the conformance runner catches every fault switch of the engine (engine/faults.ts).
// For each switch, the shortest path that can show its slip is computed from the model
// (test/helpers/fault-cases.ts), the default plan is checked to contain such a path, and that
// path runs against the engine adapter (file backend, power-loss mode) twice: with every switch
// off it must pass, with the switch on it must fail with the rule the slip breaks. Power-loss mode is checked on its own: flushed
// data survives a crash in it, and a flush acknowledged without a sync is caught as DS-3 only in
// it. The minimized-length bound (the shortest plus one step) is checked once the runner's
// minimizer exists: expectMinimizedWithinShortestPlusOne in the helper.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EngineAdapterOptions, engineAdapter } from '../../adapters/engine/index.js';
import { FAULT_SWITCHES, type FaultSwitch } from '../../engine/faults.js';
import { eventLabel } from '../../harness/check/format.js';
import { formatFailure } from '../../harness/conform/format-failure.js';
import { runPath } from '../../harness/conform/run-path.js';
import { runSettings } from '../../harness/conform/run-plan.js';
import type { PathResult } from '../../harness/conform/types.js';
import { createPlan } from '../../harness/plan/index.js';
import type { Plan, PlanPath } from '../../harness/plan/types.js';
import { createGroupModel } from '../../models/group.js';
import { conformanceTopology } from '../../models/topology.js';
import { loopUnavailable } from '../helpers/engine-group.js';
import { planOfPaths } from '../unit/harness/conform/hand-plan.js';
import { asPlanPath, type FaultCase, faultCases, pathShows, type ShortestPath, shortestShowingPath } from '../helpers/fault-cases.js';

const topology = conformanceTopology();
const model = createGroupModel(topology);
/** What each case measured, printed at the end (issue 10's benchmark table, until `npm run bench` has it). */
const measured: string[] = [];

const planOf = (paths: PlanPath[]): Plan => planOfPaths(paths, topology, 'fault cases');

/** Runs `path` on a fresh engine group with `options` (file backend unless they say otherwise). */
async function runOnEngine(path: PlanPath, options: EngineAdapterOptions, settings: { maxBlocks?: number } = {}): Promise<PathResult> {
  const adapter = engineAdapter({ backend: 'file', ...options });
  return runPath({
    adapter,
    plan: planOf([path]),
    path,
    model,
    settings: runSettings({ settleTimeoutMs: 10_000, ...settings }),
    signal: new AbortController().signal,
  });
}

const steps = (s: ShortestPath) =>
  s.events.length === 0 ? '(no step)' : s.events.map((e, i) => `${eventLabel(e)}${s.overlapIo[i] ? '*' : ''}`).join('; ');

describe('the conformance runner catches every fault switch of the engine (file backend, power-loss mode)', () => {
  const previous = process.env.SANSPEC_ALLOW_FAULTS;
  /** The default plan: components on the conformance topology (about 15 s to make). */
  let defaultPlan: Plan;
  beforeAll(() => {
    process.env.SANSPEC_ALLOW_FAULTS = '1';
    defaultPlan = createPlan(topology, 'components', { seed: 1 });
  }, 120_000);
  afterAll(() => {
    if (previous === undefined) delete process.env.SANSPEC_ALLOW_FAULTS;
    else process.env.SANSPEC_ALLOW_FAULTS = previous;
    if (measured.length > 0) console.info(`fault switch | shortest | time to the violation\n${measured.join('\n')}`);
  });

  const cases = Object.values(faultCases) as FaultCase[];
  const shortest = new Map<FaultSwitch, ShortestPath>(cases.map((c) => [c.fault, shortestShowingPath(model, c)]));
  for (const c of cases) {
    const rule = c.orRule ? `${c.rule} or ${c.orRule}` : c.rule;
    it(`${rule} catches ${c.fault}: ${FAULT_SWITCHES[c.fault].replace(/ \([^)]*\)$/, '')}`, async () => {
      const s = shortest.get(c.fault)!;
      const reaching = defaultPlan.paths.filter((p) => pathShows(model, p, c));
      expect(reaching.length, `no path of the default plan has: ${c.cues.map((x) => x.label).join(', then ')}`).toBeGreaterThan(0);
      const path = asPlanPath(`fault-${c.fault}`, c.orRule ? [c.rule, c.orRule] : [c.rule], s);
      // The same path passes with every switch off: what fails below is the slip, nothing else.
      const off = await runOnEngine(path, { powerLoss: true, ...c.adapter }, c.settings);
      expect(off.outcome, `with every switch off:\n${formatFailure(off)}`).toBe('passed');
      const started = performance.now();
      const result = await runOnEngine(path, { faults: [c.fault], powerLoss: true, ...c.adapter }, c.settings);
      const ms = Math.round(performance.now() - started);
      measured.push(
        `${c.fault} | ${s.events.length}: ${steps(s)} | ${ms} ms, ${result.failure?.rule ?? result.outcome} at step ${result.failure?.step}`,
      );
      expect(result.outcome, `${c.fault} was not caught on: ${steps(s)}\n${result.log?.join('\n') ?? ''}`).toBe('failed');
      expect([c.rule, c.orRule], formatFailure(result)).toContain(result.failure!.rule);
    }, 60_000);
  }
});

describe.each(['file', 'loop'] as const)('power-loss mode (%s backend)', async (backend) => {
  const loopReason = backend === 'loop' ? await loopUnavailable() : null;
  if (loopReason) console.warn(`skipping power-loss mode on the loop backend: ${loopReason}`);
  const c = faultCases.flushWithoutSync;
  const s = shortestShowingPath(model, c);
  const path = asPlanPath('power-loss', ['DS-3'], s);
  const previous = process.env.SANSPEC_ALLOW_FAULTS;
  beforeAll(() => {
    process.env.SANSPEC_ALLOW_FAULTS = '1';
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.SANSPEC_ALLOW_FAULTS;
    else process.env.SANSPEC_ALLOW_FAULTS = previous;
  });

  it.skipIf(loopReason !== null)(
    'DS-3 flushed writes survive a crash in power-loss mode',
    async () => {
      const result = await runOnEngine(path, { backend, powerLoss: true });
      expect(result.outcome, formatFailure(result)).toBe('passed');
    },
    60_000,
  );

  it.skipIf(loopReason !== null)(
    'DS-3 a flush acknowledged without its sync is caught: the crash loses the unsynced writes',
    async () => {
      const result = await runOnEngine(path, { backend, powerLoss: true, faults: ['flushWithoutSync'] });
      expect(result.outcome).toBe('failed');
      expect(result.failure!.rule, formatFailure(result)).toBe('DS-3');
    },
    60_000,
  );

  // Once, on files: the kernel's page cache behaves the same under a loop device.
  if (backend === 'file')
    it('DS-3 without power-loss mode the kernel keeps unsynced writes, so the same slip goes unseen', async () => {
      const result = await runOnEngine(path, { backend, powerLoss: false, faults: ['flushWithoutSync'] });
      expect(result.outcome, formatFailure(result)).toBe('passed');
    }, 60_000);
});
