// The verifying workload against an in-memory device: it records an honest history, keeps going
// through errors, measures the pause hosts see, and — with the checker — catches a device that
// loses an acknowledged durable write (DS-3), serves stale data (DS-4), tears (DS-8) or
// misdirects (DS-5) a write.

import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { checkHistory, formatViolations, readBlocks, startWorkload, type History } from '../../../../harness/workload/index.js';
import { waitFor } from '../../../helpers/wait-for.js';
import { createFaultyDevice, type FaultyDevice } from '../../../helpers/workload-devices.js';

const BLOCKS = 64;
const BS = 4096;

async function finalContents(device: FaultyDevice, h: History): Promise<(block: number) => Buffer> {
  const blocks = await readBlocks(device, h.blocks, h.blockSize);
  return (b) => blocks[b]!;
}

describe('verifying workload', () => {
  it('DS-1 on a healthy device: writes, reads and flushes are recorded, every read checks out online, the final contents check out', async () => {
    const device = createFaultyDevice(BLOCKS * BS);
    const w = startWorkload({ device, blocks: BLOCKS, seed: 1, flushEveryMs: 5, fuaEvery: 7, readRatio: 0.3 });
    await waitFor(() => w.stats().writesOk >= 500, '500 acknowledged writes');
    const h = await w.stop();
    const kinds = new Set(h.entries.map((e) => e.kind));
    expect(kinds).toEqual(new Set(['write', 'read', 'flush']));
    expect(h.entries.some((e) => e.kind === 'write' && e.fua === true)).toBe(true);
    expect(h.entries.every((e) => e.outcome === 'ok' && e.completedAt !== undefined && e.completedAt >= e.invokedAt)).toBe(true);
    expect(new Set(h.entries.filter((e) => e.kind === 'write').map((e) => e.value)).size).toBe(
      h.entries.filter((e) => e.kind === 'write').length,
    );
    expect(w.violations()).toEqual([]);
    expect(checkHistory(h, await finalContents(device, h), { crashes: 'none' })).toEqual([]);
    const s = w.stats();
    expect(s).toMatchObject({ fail: 0, unknown: 0, readViolations: 0 });
    expect(s.ok).toBe(h.entries.length);
    expect(s.lastOkAt).not.toBeNull();
  });

  it('DS-3 after a crash of the device cache, durable writes survive: clean with crashes allowed, DS-1 reported with crashes none', async () => {
    const device = createFaultyDevice(BLOCKS * BS);
    const w = startWorkload({ device, blocks: BLOCKS, seed: 2, flushEveryMs: 20, fuaEvery: 5 });
    // Stop while the cache holds acknowledged writes a crash will lose: the flusher may just have
    // run, and then a crash would lose nothing. Flushes copy synchronously, so no flush can slip in
    // between this check and stop().
    const unflushed = () => !device.memory.data.equals(device.memory.durable);
    await waitFor(() => w.stats().writesOk >= 300 && unflushed(), '300 acknowledged writes, some not yet flushed');
    const h = await w.stop();
    device.crash();
    const final = await finalContents(device, h);
    expect(checkHistory(h, final, { crashes: 'allowed' })).toEqual([]);
    const strict = checkHistory(h, final, { crashes: 'none' });
    expect(strict.length).toBeGreaterThan(0);
    expect(new Set(strict.map((v) => v.invariant))).toEqual(new Set(['DS-1']));
  });

  it('DS-3 a device that silently loses acknowledged FUA writes is caught, with the lost write as evidence', async () => {
    const device = createFaultyDevice(BLOCKS * BS);
    const w = startWorkload({ device, blocks: 4, seed: 3, fuaEvery: 1, readRatio: 0 });
    await waitFor(() => w.stats().writesOk >= 50, '50 acknowledged writes');
    device.loseFuaWrites();
    await waitFor(() => device.damaged.length >= 20, '20 FUA writes to be lost');
    const h = await w.stop();
    const violations = checkHistory(h, await finalContents(device, h), { crashes: 'allowed' });
    expect(violations.length).toBeGreaterThan(0);
    for (const v of violations) {
      expect(v.invariant, formatViolations([v])).toBe('DS-3');
      const lost = v.evidence.filter((e) => e.kind === 'write' && e.fua === true && v.allowed.includes(e.id));
      expect(lost).toHaveLength(1);
      expect(lost[0]!.outcome).toBe('ok');
    }
  });

  it('DS-3 a device whose FLUSH makes nothing durable loses flushed writes at a crash: caught, with the flush as evidence', async () => {
    const device = createFaultyDevice(BLOCKS * BS);
    device.ignoreFlushes();
    const w = startWorkload({ device, blocks: 8, seed: 4, flushEveryMs: 5, readRatio: 0 });
    await waitFor(() => w.stats().writesOk >= 200, '200 acknowledged writes');
    const h = await w.stop();
    device.crash();
    const violations = checkHistory(h, await finalContents(device, h), { crashes: 'allowed' });
    expect(violations.length).toBeGreaterThan(0);
    expect(violations.every((v) => v.invariant === 'DS-3' && v.found.kind === 'zeros' && v.evidence.some((e) => e.kind === 'flush'))).toBe(
      true,
    );
  });

  it('DS-4 a device that returns stale data is caught online by the workload and by the checker', async () => {
    const device = createFaultyDevice(BLOCKS * BS);
    const w = startWorkload({ device, blocks: 8, seed: 5, readRatio: 0.5 });
    await waitFor(() => w.stats().writesOk >= 50, '50 acknowledged writes');
    device.serveStaleReads();
    await waitFor(() => w.stats().readViolations >= 3, 'stale reads to be noticed');
    const h = await w.stop();
    const online = w.violations();
    expect(online[0]).toMatchObject({ invariant: 'DS-4', seenBy: { readId: expect.any(Number) } });
    expect(online[0]!.evidence[0]!.kind).toBe('read');
    const offline = checkHistory(h, (b) => device.memory.data.subarray(b * BS, (b + 1) * BS), { crashes: 'none' });
    expect(offline.length).toBeGreaterThanOrEqual(online.length);
    expect(new Set(offline.map((v) => v.invariant))).toEqual(new Set(['DS-4']));
  });

  it('DS-8 torn writes are caught online by reads and in the final contents', async () => {
    const device = createFaultyDevice(BLOCKS * BS);
    const w = startWorkload({ device, blocks: 1, seed: 6, readRatio: 0.5, concurrency: 1 });
    await waitFor(() => w.stats().writesOk >= 3, 'some writes');
    device.tearWrites();
    await waitFor(() => w.stats().readViolations >= 1, 'a torn block to be read');
    const h = await w.stop();
    expect(w.violations()[0]).toMatchObject({
      invariant: 'DS-8',
      block: 0,
      found: { kind: 'corrupt', reason: expect.stringMatching(/^torn/) },
    });
    const final = checkHistory(h, await finalContents(device, h), { crashes: 'none' });
    expect(final.filter((v) => v.seenBy === 'final-read').map((v) => v.invariant)).toEqual(['DS-8']);
  });

  it('DS-5 misdirected writes (landing on another block) are caught', async () => {
    const device = createFaultyDevice(2 * BS);
    const w = startWorkload({ device, blocks: 2, seed: 7, readRatio: 0.3 });
    await waitFor(() => w.stats().writesOk >= 3, 'some writes');
    device.misdirectWrites(BS);
    await waitFor(() => device.damaged.length >= 20, 'misdirected writes');
    const h = await w.stop();
    const final = checkHistory(h, await finalContents(device, h), { crashes: 'none' }).filter((v) => v.seenBy === 'final-read');
    expect(final.map((v) => v.invariant)).toEqual(['DS-5', 'DS-5']);
    expect(final[0]!.message).toMatch(/holds block 1's value/);
  });

  it('keeps going through errors, recording fail and unknown outcomes honestly; the checker accepts either fate for unknown writes', async () => {
    const device = createFaultyDevice(BLOCKS * BS);
    device.failWrites(0.2, 'unknown');
    const w = startWorkload({ device, blocks: 16, seed: 8, readRatio: 0.3, errorBackoffMs: 0 });
    await waitFor(() => w.stats().unknown >= 20, '20 unknown outcomes');
    device.failWrites(0.2, 'fail');
    await waitFor(() => w.stats().fail >= 20, '20 failures');
    const okBefore = w.stats().ok;
    device.failWrites(0, 'fail');
    await waitFor(() => w.stats().ok >= okBefore + 100, 'the workload to keep going after the errors');
    const h = await w.stop();
    const failed = h.entries.filter((e) => e.outcome !== 'ok');
    expect(failed.every((e) => e.kind === 'write' && e.error !== undefined && e.completedAt !== undefined)).toBe(true);
    expect(w.violations()).toEqual([]);
    expect(
      checkHistory(h, (b) => device.memory.data.subarray(b * BS, (b + 1) * BS), { crashes: 'none' }),
      'unknown writes may or may not have happened',
    ).toEqual([]);
  });

  it('longestPauseMs is the longest gap between acknowledged writes (the pause hosts see)', async () => {
    const device = createFaultyDevice(BLOCKS * BS);
    const w = startWorkload({ device, blocks: BLOCKS, seed: 9 });
    await waitFor(() => w.stats().writesOk >= 20, 'some writes');
    const release = device.holdWrites();
    const heldAt = performance.now();
    await waitFor(() => performance.now() - heldAt >= 150, 'a 150 ms outage', 2000);
    release();
    const okBefore = w.stats().writesOk;
    await waitFor(() => w.stats().writesOk > okBefore + 20, 'writes to resume');
    await w.stop();
    expect(w.stats().longestPauseMs).toBeGreaterThanOrEqual(140);
    expect(w.stats().longestPauseMs).toBeLessThan(2000);
  });

  it('refuses a block range that does not fit the device', () => {
    expect(() => startWorkload({ device: createFaultyDevice(BS), blocks: 2, seed: 1 })).toThrow(/do not fit the device/);
  });
});
