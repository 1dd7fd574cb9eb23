// Mirrored virtual disks on real processes: failover, failback, change logs, log and full
// recovery, both-down handling, forced recovery, link failure (MIR-*, PTH-3, DS-6), on the file
// backend and on Linux loop devices.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, NbdError } from '../../../harness/host/index.js';
import { loopUnavailable, startGroup, type EngineGroup } from '../../helpers/engine-group.js';
import { copyIs, expectConverged, mirrorLine, online, pattern, volumeDetails, waitStatus } from '../../helpers/mirror-group.js';
import { waitFor } from '../../helpers/wait-for.js';

const MiB = 1024 * 1024;
const config = (extra: Record<string, unknown> = {}) => ({
  servers: [{ name: 's1' }, { name: 's2' }],
  hosts: ['h1', 'h2'],
  virtualDisks: [{ name: 'm1', kind: 'mirrored', copies: ['s1', 's2'], sizeMiB: 16 }],
  ...extra,
});

const loopReason = await loopUnavailable();
if (loopReason) console.warn(`skipping the loop-backend mirror tests: ${loopReason}`);

for (const backend of ['file', 'loop'] as const) {
  describe.skipIf(backend === 'loop' && loopReason !== null)(`mirrored virtual disks on real processes (${backend} backend)`, () => {
    let group: EngineGroup | undefined;
    const up = async (extra?: Record<string, unknown>) => (group = await startGroup({ backend, config: config(extra) }));
    afterEach(async () => {
      await group?.down();
      group = undefined;
    });

    it('MIR-1, MIR-4 a write acknowledged through s1 is already held by s2: s1 crashing right after the ack loses nothing', async () => {
      const g = await up();
      expect(mirrorLine(await g.status())).toMatch(/^online\/readWrite s1=upToDate s2=upToDate/);
      const c = await g.connect('m1', 's1');
      const data = pattern(1, MiB);
      await c.write(2 * MiB, data); // no flush, no FUA: only in the caches
      await g.server('crash', 's1');
      await waitStatus(g, copyIs('s1', 'fullRecoveryNeeded'), 's2 to notice the crash');
      const viaS2 = await g.connect('m1', 's2');
      expect((await viaS2.read(2 * MiB, data.length)).equals(data)).toBe(true);
      // Writes through the non-preferred path are read back through the preferred one too.
      await g.server('power-on', 's1');
      await g.server('start', 's1');
      await waitStatus(g, online(), 'm1 online again');
      const w = pattern(2, 64 * 1024);
      await viaS2.write(0, w);
      const viaS1 = await g.connect('m1', 's1');
      expect((await viaS1.read(0, w.length)).equals(w)).toBe(true);
    });

    it('MIR-2, PTH-3 when the preferred server stops, hosts keep going through the other path (now optimized); failback when it is back and up to date', async () => {
      const g = await up();
      let s = await g.status();
      expect(s.paths.filter((p) => p.host === 'h1').map((p) => `${p.server}:${p.alua.m1}`)).toEqual([
        's1:activeOptimized',
        's2:activeNonOptimized',
      ]);
      const c1 = await g.connect('m1', 's1');
      await c1.write(0, pattern(3, 256 * 1024));
      await g.server('stop', 's1');
      const failedOver = 'failedRedundancy/readWrite s1=upToDate s2=upToDate [s1:unavailable,s2:activeOptimized]';
      s = await waitStatus(g, (x) => mirrorLine(x) === failedOver, 'failover to s2', 10_000);
      await expect(c1.read(0, 4096)).rejects.toBeInstanceOf(NbdError);
      const c2 = await g.connect('m1', 's2');
      expect((await c2.read(0, 256 * 1024)).equals(pattern(3, 256 * 1024))).toBe(true);
      await c2.write(MiB, pattern(4, 256 * 1024));
      await waitStatus(g, copyIs('s1', 'logRecoveryNeeded'), 'the change log to cover the write');
      await g.server('start', 's1');
      s = await waitStatus(g, online(), 'failback');
      expect(s.paths.filter((p) => p.host === 'h2').map((p) => `${p.server}:${p.alua.m1}`)).toEqual([
        's1:activeOptimized',
        's2:activeNonOptimized',
      ]);
      const back = await g.connect('m1', 's1');
      expect((await back.read(MiB, 256 * 1024)).equals(pattern(4, 256 * 1024))).toBe(true);
      await expectConverged(g);
    });

    it('MIR-2 a graceful stop of either server is invisible to a single-path host writing through the other: no write fails', async () => {
      const g = await up();
      for (const [stopping, survivor] of [
        ['s2', 's1'],
        ['s1', 's2'],
      ] as const) {
        const c = await g.connect('m1', survivor);
        let errors = 0;
        let acked = 0;
        let writing = true;
        const writer = (async () => {
          for (let i = 0; writing; i++) {
            await c.write(((i * 13) % 2048) * 4096, pattern(i, 4096)).then(
              () => acked++,
              () => errors++,
            );
          }
        })();
        await waitFor(() => acked > 50, '50 acknowledged writes', 20_000);
        await g.server('stop', stopping);
        const after = acked;
        await waitFor(() => acked > after + 50, '50 more acknowledged writes', 20_000);
        writing = false;
        await writer;
        expect(errors, `writes through ${survivor} while ${stopping} stopped`).toBe(0);
        await g.server('start', stopping);
        await waitStatus(g, online(), `${stopping} back`);
      }
      await expectConverged(g);
    });

    it('MIR-3, MIR-5 a gracefully stopped copy needs only log recovery of the regions written while it was away, and none when nothing was', async () => {
      const g = await up();
      await g.server('stop', 's2');
      await g.server('start', 's2');
      await waitStatus(g, online(), 'rejoin without writes');
      expect((await volumeDetails(g, 's1'))!.changedRegions).toBe(0);
      await g.server('stop', 's2');
      await waitStatus(g, (x) => !online()(x), 's1 to see s2 leave', 10_000);
      const c = await g.connect('m1', 's1');
      for (const off of [0, 5 * MiB, 9 * MiB]) await c.write(off, pattern(off, 4096)); // three 64 KiB regions
      expect((await volumeDetails(g, 's1'))!.changedRegions).toBe(3);
      expect(mirrorLine(await g.status())).toMatch(/s2=logRecoveryNeeded/);
      await g.server('start', 's2');
      await waitStatus(g, online(), 'log recovery');
      const log = (await g.report()).servers.s1!.details!.mirror as unknown;
      expect(JSON.stringify(log)).toMatch(/"changedRegions":0/);
      await expectConverged(g);
    });

    it('MIR-6, DS-6 a copy whose server crashed gets full recovery even with nothing written, and the copies converge', async () => {
      const g = await up({ recoveryMiBPerSecond: 16 });
      await g.server('crash', 's2');
      await waitStatus(g, copyIs('s2', 'fullRecoveryNeeded'), 'crash noticed');
      await g.server('power-on', 's2');
      expect(mirrorLine(await g.status())).toMatch(/s2=fullRecoveryPending|s2=fullRecoveryNeeded/);
      await g.server('start', 's2');
      await waitStatus(g, copyIs('s2', 'inFullRecovery'), 'full recovery running', 10_000);
      await waitStatus(g, online(), 'full recovery done');
      await expectConverged(g);
    });

    it('MIR-7 recovery runs while hosts keep writing and reading; writes racing the copy land on both copies', async () => {
      // 16 MiB at 2 MiB/s: the full recovery runs about 8 s, so the 64 writes below race it even on a loaded machine.
      const g = await up({ recoveryMiBPerSecond: 2 });
      await g.server('crash', 's1');
      await waitStatus(g, copyIs('s1', 'fullRecoveryNeeded'), 'crash noticed');
      await g.server('power-on', 's1');
      await g.server('start', 's1');
      await waitStatus(g, copyIs('s1', 'inFullRecovery'), 'recovery running', 10_000);
      const c = await g.connect('m1', 's2');
      const written: Array<[number, Buffer]> = [];
      for (let i = 0; i < 64; i++) {
        const off = ((i * 7919) % 256) * 64 * 1024;
        const data = pattern(100 + i, 16 * 1024);
        await c.write(off, data);
        written.push([off, data]);
      }
      expect(mirrorLine(await g.status())).toMatch(/failedRedundancy\/readWrite s1=inFullRecovery s2=upToDate/);
      await waitStatus(g, online(), 'recovery done', 60_000);
      const viaS1 = await g.connect('m1', 's1');
      const latest = new Map(written);
      for (const [off, data] of latest) expect((await viaS1.read(off, data.length)).equals(data)).toBe(true);
      await expectConverged(g);
    });

    it('MIR-8, MIR-9, MIR-10, MIR-12 both stopped while hosts wrote: access stays disabled until both are back; the last one stopped is the source, whatever the start order', async () => {
      for (const order of [
        ['s2', 's1'],
        ['s1', 's2'],
      ]) {
        const g = await up();
        await g.server('stop', 's1');
        const c = await g.connect('m1', 's2');
        const data = pattern(7, 512 * 1024);
        await c.write(3 * MiB, data);
        await g.server('stop', 's2');
        expect(mirrorLine(await g.status())).toBe('unknown/disabled s1=unknown s2=unknown [s1:unavailable,s2:unavailable]');
        await g.server('start', order[0]!);
        expect(mirrorLine(await g.status())).toMatch(/^unknown\/disabled/);
        await expect(connect({ uri: g.uri('m1', order[0]!), timeoutMs: 3000 })).rejects.toMatchObject({ code: 'NBD_HANDSHAKE_FAILED' });
        await g.server('start', order[1]!);
        await waitStatus(g, online(), `recovery after starting ${order.join(' then ')}`);
        const viaS1 = await g.connect('m1', 's1');
        expect((await viaS1.read(3 * MiB, data.length)).equals(data), order.join(' then ')).toBe(true);
        await expectConverged(g);
        await g.down();
        group = undefined;
      }
    });

    it('MIR-11 both servers crashing while in sync leaves the disk unknown until an operator forces a named copy; the other copy gets full recovery and the decision is recorded', async () => {
      const g = await up();
      const c = await g.connect('m1', 's1');
      await c.write(0, pattern(9, MiB));
      await g.post('/site/crash');
      await g.server('power-on', 's1');
      await g.server('power-on', 's2');
      await g.server('start', 's1');
      await g.server('start', 's2');
      const s = await waitStatus(g, (x) => mirrorLine(x).includes('doubleFailure'), 'undecidable');
      expect(mirrorLine(s)).toBe('unknown/disabled s1=doubleFailure s2=doubleFailure [s1:unavailable,s2:unavailable]');
      const wrong = await g.cli('mirror', 'force-recovery', 'm1', '--copy', 's7');
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/GROUP_UNKNOWN_NAME: m1 has no copy on "s7"/);
      const forced = await g.cli('mirror', 'force-recovery', 'm1', '--copy', 's2');
      expect(forced.code, forced.stderr).toBe(0);
      await waitStatus(g, online(), 'recovery after the forced copy', 60_000);
      const record = (await volumeDetails(g, 's2'))!.record;
      expect(record.forced).toMatchObject({ previousGen: expect.any(String) });
      expect(await g.cli('mirror', 'force-recovery', 'm1', '--copy', 's1')).toMatchObject({
        code: 1,
        stderr: expect.stringMatching(/MIR_FORCE_NOT_NEEDED/),
      });
      await expectConverged(g);
    });

    it('MIR-13 a cut mirror link leaves host access on the preferred side only; the other side refuses I/O; log recovery when the link returns', async () => {
      const g = await up();
      const c2 = await g.connect('m1', 's2');
      await g.cli('link', 'cut', 's1', 's2');
      const partitioned = 'failedRedundancy/readWrite s1=upToDate s2=logRecoveryPending [s1:activeOptimized,s2:unavailable]';
      const s = await waitStatus(g, (x) => mirrorLine(x) === partitioned, 'both sides to act on the cut', 10_000);
      expect(s.mirrorLinks).toEqual([{ servers: ['s1', 's2'], up: false }]);
      await expect(c2.write(0, pattern(10, 4096))).rejects.toBeInstanceOf(NbdError);
      await expect(connect({ uri: g.uri('m1', 's2'), timeoutMs: 3000 })).rejects.toMatchObject({ code: 'NBD_HANDSHAKE_FAILED' });
      const c1 = await g.connect('m1', 's1');
      const data = pattern(11, 128 * 1024);
      await c1.write(MiB, data);
      await g.cli('link', 'restore', 's1', 's2');
      await waitStatus(g, online(), 'log recovery after the link returns');
      const again = await g.connect('m1', 's2');
      expect((await again.read(MiB, data.length)).equals(data)).toBe(true);
      await expectConverged(g);
    });
  });
}
