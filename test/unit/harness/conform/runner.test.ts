// The runner against the model adapter: an honest system passes every seed case (with recoveries
// held or completing by themselves), and each deliberate lie is caught with the right SPEC ID and
// its evidence.

import { describe, expect, it } from 'vitest';
import { createModelAdapter, type ModelLies } from '../../../../adapters/model/index.js';
import type { Adapter } from '../../../../adapters/types.js';
import { formatFailure } from '../../../../harness/conform/format-failure.js';
import { runPlan } from '../../../../harness/conform/run-plan.js';
import type { PathResult } from '../../../../harness/conform/types.js';
import { handPlan, seedCases, type HandPath } from './hand-plan.js';

/** Runs hand-written paths on the model adapter with `lies`; returns the results. */
async function run(
  paths: readonly HandPath[],
  lies: ModelLies = {},
  autoRecoverMs?: number,
  writeBackCache = false,
): Promise<PathResult[]> {
  const adapter = createModelAdapter({ lies, writeBackCache, ...(autoRecoverMs !== undefined ? { autoRecoverMs } : {}) });
  // Held recoveries settle at the first poll; a lie is judged after 300 ms.
  const settleTimeoutMs = Object.keys(lies).length > 0 ? 300 : 5000;
  const report = await runPlan({ adapter, plan: handPlan(paths), jobs: 2, settleTimeoutMs });
  return [...report.paths];
}

/** The one path's failure, with the formatted text in the assertion message. */
async function failure(path: HandPath, lies: ModelLies, writeBackCache = false) {
  const [result] = await run([path], lies, undefined, writeBackCache);
  expect(result!.outcome, formatFailure(result!)).toBe('failed');
  return { failure: result!.failure!, text: formatFailure(result!) };
}

const stopStart: HandPath = { name: 'stop-start', spec: ['SRV-1'], steps: ['stop s1', 'start s1'] };

describe('runner: an honest system', () => {
  it('CF-1 DS-1 DS-6 every seed case passes on the model adapter with recoveries held', async () => {
    const results = await run(seedCases);
    expect(results.filter((r) => r.outcome !== 'passed').map(formatFailure)).toEqual([]);
    expect(results).toHaveLength(seedCases.length);
    // The checks ran: host I/O after every step, and a settled status on every step.
    for (const r of results) {
      expect(r.steps).toHaveLength(r.path.steps.length);
      expect(r.steps.every((s) => s.ioOps > 0 && s.status !== undefined)).toBe(true);
    }
  });

  it('CF-1 MIR-7 every seed case passes when recoveries complete by themselves (the runner waits for them)', async () => {
    const results = await run(seedCases, {}, 5);
    expect(results.filter((r) => r.outcome !== 'passed').map(formatFailure)).toEqual([]);
  });

  it('DS-2 DS-3 SRV-6 SRV-11 every seed case passes with write-back caches that crashes lose (cache probes on)', async () => {
    const adapter = createModelAdapter({ writeBackCache: true });
    expect(adapter.capabilities(handPlan([]).topology).cacheProbe).toBe(true);
    const report = await runPlan({ adapter, plan: handPlan(seedCases), jobs: 2, settleTimeoutMs: 2000 });
    expect(report.paths.filter((r) => r.outcome !== 'passed').map(formatFailure)).toEqual([]);
  });

  it('CF-1 transient statuses that are no model state (a server starting) are polled through until the status settles', async () => {
    const base = createModelAdapter();
    let transient = 0;
    const adapter: Adapter = {
      name: 'slow starter',
      capabilities: (t) => base.capabilities(t),
      async open(topology, options) {
        const sut = await base.open(topology, options);
        let startingPolls = 0;
        return {
          ...sut,
          async apply(event) {
            const r = await sut.apply(event);
            if (event.type === 'start' && r.outcome === 'accepted') startingPolls = 3;
            return r;
          },
          async status() {
            const s = await sut.status();
            if (startingPolls === 0) return s;
            startingPolls--;
            transient++;
            return { ...s, servers: s.servers.map((x) => (x.name === 's1' ? { ...x, state: 'starting' as const } : x)) };
          },
        };
      },
    };
    const report = await runPlan({ adapter, plan: handPlan([stopStart]), settleTimeoutMs: 5000, settlePollMs: 5 });
    expect(report.paths[0]!.outcome, formatFailure(report.paths[0]!)).toBe('passed');
    expect(transient).toBe(3);
    expect(report.paths[0]!.steps[1]!.settleMs).toBeGreaterThanOrEqual(10);
  });

  it('SRV-12 refused steps record the code both sides gave', async () => {
    const [r] = await run([seedCases.find((p) => p.name === 'refusals')!]);
    expect(r!.steps.map((s) => (typeof s.result === 'string' ? s.result : s.result.refused))).toEqual([
      'SRV_ALREADY_RUNNING',
      'SRV_ALREADY_ON',
      'accepted',
      'SRV_ALREADY_STOPPED',
      'VD_OFFLINE',
      'VD_OFFLINE',
      'accepted',
      'MIR_NO_RECOVERY',
    ]);
  });
});

describe('runner: each lie is caught with its SPEC ID', () => {
  it("CF-1 a status that reports a stopped server's paths online fails at the stop, with the diff named", async () => {
    const { failure: f, text } = await failure(stopStart, { reportStoppedPathsOnline: true });
    expect(f).toMatchObject({ rule: 'CF-1', step: 0 });
    expect(f.diff).toContainEqual({ field: 'paths[h1->s1].online', expected: false, observed: true });
    expect(text).toMatch(/paths\[h2->s1\]\.online: expected false, observed true/);
  });

  it('SRV-12 accepting a command the model refuses fails at that step', async () => {
    const { failure: f } = await failure(
      { name: 'start-running', spec: ['SRV-12'], steps: ['stop s2', 'start s1'] },
      { acceptRefused: true },
    );
    expect(f).toMatchObject({ rule: 'SRV-12', step: 1 });
    expect(f.message).toMatch(/refuses "start s1" here with SRV_ALREADY_RUNNING .* but the system accepted it/);
  });

  it('SRV-12 refusing with another code than the model fails', async () => {
    const { failure: f } = await failure({ name: 'start-running', spec: ['SRV-12'], steps: ['start s1'] }, { wrongRefusalCode: true });
    expect(f).toMatchObject({ rule: 'SRV-12', step: 0 });
    expect(f.message).toMatch(/SRV_ALREADY_RUNNING.*refused it with GROUP_UNKNOWN_NAME/);
  });

  it('PTH-3 a path reported unavailable that still serves hosts is caught by the probe', async () => {
    const { failure: f } = await failure(
      { name: 'recovering', spec: ['PTH-3'], steps: ['stop s2', 'write m1', 'start s2'] },
      { serveUnavailablePaths: true },
    );
    expect(f).toMatchObject({ rule: 'PTH-3', step: 0 });
    expect(f.message).toMatch(/reports path h\d->s2 unavailable for m1 \(copy .*\), but a read over that path alone was served/);
  });

  it('VD-1 a single disk whose path serves while its server is stopped is caught by the probe', async () => {
    const { failure: f } = await failure({ name: 'stop-s1', spec: ['VD-1'], steps: ['stop s1'] }, { serveUnavailablePaths: true });
    // The first path probed that lies: h1->s1 for m1 (PTH-3) or v1 (VD-1).
    expect(['PTH-3', 'VD-1']).toContain(f.rule);
    expect(f.message).toMatch(/reports path h\d->s1 unavailable for (m1|v1)/);
  });

  it('DS-7 a write acknowledged while host access is disabled fails the path with the write as evidence', async () => {
    const { failure: f, text } = await failure(stopStart, { writeWhileDisabled: true });
    expect(f).toMatchObject({ rule: 'DS-7', step: 0 });
    expect(f.message).toMatch(/host access to v1 is disabled .* but h\d's write of block \d+ was acknowledged/);
    expect(f.data![0]!.evidence[0]).toMatchObject({ kind: 'write', outcome: 'ok', accessDisabled: true });
    expect(text).toMatch(/write block \d+ = \d+ access-disabled ok/);
  });

  it('DS-6 copies that differ after a recovery are caught by the byte comparison, decoded', async () => {
    const { failure: f } = await failure(
      { name: 'recover', spec: ['DS-6'], steps: ['stop s2', 'write m1', 'start s2', 'recoveryComplete m1'] },
      { recoveryCopiesNothing: true },
    );
    expect(f).toMatchObject({ rule: 'DS-6', step: 3 });
    expect(f.message).toMatch(
      /both copies of m1 are up to date, but they differ in \d+ of 64 blocks compared: first block \d+ \(s1: write \d+, s2: zeros\)/,
    );
    expect(f.data![0]!.evidence.length).toBeGreaterThan(0);
  });

  it('CF-2 a status that breaks the schema fails at once with SANSPEC_BAD_STATUS', async () => {
    const { failure: f } = await failure(stopStart, { invalidStatus: true });
    expect(f).toMatchObject({ rule: 'CF-2', code: 'SANSPEC_BAD_STATUS', step: -1 });
    expect(f.message).toMatch(/\/servers\/0\/state/);
  });

  it('DS-1 an acknowledged write that was dropped is found at the final read, naming the block and the write', async () => {
    const { failure: f, text } = await failure(stopStart, { dropWrite: { vdisk: 'v2', nth: 1 } });
    expect(f.rule).toBe('DS-1');
    expect(f.message).toMatch(/^v2: lost acknowledged write: block (\d+) reads zeros, but write 1 was acknowledged/);
    const block = Number(/block (\d+)/.exec(f.message)![1]);
    expect(f.data![0]).toMatchObject({ vdisk: 'v2', block, allowed: ['write 1'] });
    expect(f.data![0]!.evidence).toContainEqual(expect.objectContaining({ id: 1, kind: 'write', block, outcome: 'ok' }));
    expect(text).toMatch(new RegExp(`#1 write block ${block} = 1 .*ok`));
  });

  it('SRV-6 a server that writes through while the status says write-back is caught by the cache probe', async () => {
    const { failure: f } = await failure(stopStart, { ignoreWriteBack: true }, true);
    expect(f).toMatchObject({ rule: 'SRV-6', step: -1 });
    expect(f.message).toMatch(
      /s1's effective cache mode is writeBack, but write \d+ to v1 block \d+ was already on its backend right after the acknowledgement/,
    );
  });

  it('SRV-13 a server that keeps caching on battery is caught by the cache probe', async () => {
    const { failure: f } = await failure({ name: 'battery', spec: ['SRV-13'], steps: ['onBattery s2'] }, { cacheOnBattery: true }, true);
    expect(f).toMatchObject({ rule: 'SRV-13', step: 0 });
    expect(f.message).toMatch(
      /s2's effective cache mode is writeThrough \(on battery\), but write \d+ to v2 block \d+, acknowledged, was not on its backend yet/,
    );
  });

  it('DS-3 a crash that loses flushed writes fails, naming the durable write, its flush and the crash', async () => {
    const { failure: f, text } = await failure(
      { name: 'crash-flushed', spec: ['DS-3'], steps: ['write v1', 'flush v1', 'crash s1', 'powerOn s1', 'start s1'] },
      { crashLosesDurable: true },
      true,
    );
    expect(f.rule).toBe('DS-3');
    expect(f.message).toMatch(
      /^v1: lost durable write: block \d+ reads zeros, older than the durable write \d+ \((FUA, acknowledged|acknowledged, then flush \d+ acknowledged)\) across crash s1 \(step 3\)/,
    );
    expect(text).toMatch(/flush ok .* step 2/);
  });
});
