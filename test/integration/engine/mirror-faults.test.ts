// Killing servers at the worst moments while hosts keep writing through both paths: during a
// stop's cache flush, during recovery (as source and as target), during failback, and both at
// once. Afterwards every block is read back and checked against the history (DS-1..DS-8), and
// the two copies' backends must be byte-identical (DS-6).
import { afterEach, describe, expect, it } from 'vitest';
import type { MultipathDevice } from '../../../harness/host/index.js';
import { checkHistory, formatViolations, readBlocks, startWorkload, type Workload } from '../../../harness/workload/index.js';
import { loopUnavailable, startGroup, type EngineGroup } from '../../helpers/engine-group.js';
import { copyIs, expectConverged, online, volumeDetails, waitStatus } from '../../helpers/mirror-group.js';
import { openMirroredDevice } from '../../helpers/mirrored-device.js';
import { waitFor } from '../../helpers/wait-for.js';

const BLOCKS = 2048; // 8 MiB of the 16 MiB disk
const config = (extra: Record<string, unknown> = {}) => ({
  servers: [{ name: 's1' }, { name: 's2' }],
  hosts: ['h1'],
  virtualDisks: [{ name: 'm1', kind: 'mirrored', copies: ['s1', 's2'], sizeMiB: 16 }],
  ...extra,
});

const loopReason = await loopUnavailable();
if (loopReason) console.warn(`skipping the loop-backend fault tests: ${loopReason}`);

for (const backend of ['file', 'loop'] as const) {
  describe.skipIf(backend === 'loop' && loopReason !== null)(`mirrored disks killed at the worst moments (${backend} backend)`, () => {
    let group: EngineGroup | undefined;
    let device: MultipathDevice | undefined;
    let workload: Workload | undefined;
    afterEach(async () => {
      await workload?.stop({ timeoutMs: 5000 }).catch(() => {});
      await device?.close().catch(() => {});
      await group?.down();
      group = undefined;
      device = undefined;
      workload = undefined;
    });

    /** A group, a two-path device (preferred s1 first) and a workload writing through it. */
    async function running(extra?: Record<string, unknown>) {
      const g = (group = await startGroup({ backend, config: config(extra) }));
      device = await openMirroredDevice(g, {
        retryForMs: 8000,
        failbackProbeMs: 200,
      });
      workload = startWorkload({ device, blocks: BLOCKS, seed: 7, concurrency: 8, flushEveryMs: 200, fuaEvery: 17, disk: `m1-${backend}` });
      await waitFor(() => workload!.stats().writesOk > 200, 'the workload to get going', 10_000);
      return { g, device, workload };
    }

    /** Stops the workload, waits for m1 to be online, reads every block and checks the history. */
    async function verify(g: EngineGroup, options: { forced?: boolean } = {}) {
      const history = await workload!.stop();
      await waitStatus(g, online(), 'm1 online before the final read', 60_000);
      const blocks = await readBlocks(device!, BLOCKS, 4096);
      const violations = [
        ...workload!.violations(),
        ...checkHistory(history, (b) => blocks[b]!, { crashes: 'allowed', forced: options.forced }),
      ];
      expect(violations, formatViolations(violations)).toEqual([]);
      await expectConverged(g);
      return history;
    }

    it('MIR-2, DS-2, DS-3 the preferred server crashing in the middle of its own stop flush loses nothing acknowledged; hosts keep writing through s2', async () => {
      const { g, workload: w } = await running({ tuning: { destageDelayMs: 60_000 } });
      const stopping = g.server('stop', 's1').catch(() => {});
      await waitFor(async () => (await g.status()).servers[0]!.state !== 'running', 's1 to begin stopping', 10_000);
      await g.server('crash', 's1').catch(() => {}); // may race with the end of the stop
      await stopping;
      const crashAt = w.stats().writesOk;
      await waitFor(() => w.stats().writesOk > crashAt + 200, 'hosts to keep writing through s2', 20_000);
      await g.server('power-on', 's1');
      if ((await g.status()).servers[0]!.state !== 'running') await g.server('start', 's1');
      await verify(g);
    });

    it('MIR-7, DS-3, DS-6 the recovery source crashing mid-recovery: access waits for it (MIR-9); it comes back as the source and the copies converge', async () => {
      const { g } = await running({ recoveryMiBPerSecond: 4 });
      await g.server('crash', 's2');
      await waitStatus(g, copyIs('s2', 'fullRecoveryNeeded'), 's1 to notice');
      await g.server('power-on', 's2');
      await g.server('start', 's2');
      await waitFor(async () => ((await volumeDetails(g, 's1'))?.recovery?.done ?? 0) > 8, 'recovery under way', 20_000);
      await g.server('crash', 's1');
      const s = await waitStatus(g, (x) => x.virtualDisks[0]!.hostAccess === 'disabled', 'no access while the newest copy is down');
      expect(s.virtualDisks[0]!.status).toBe('unknown');
      await g.server('power-on', 's1');
      await g.server('start', 's1');
      await verify(g);
    });

    it('MIR-6, MIR-7, DS-6 the recovery target crashing mid-recovery gets full recovery when it returns; hosts keep access throughout', async () => {
      const { g, workload: w } = await running({ recoveryMiBPerSecond: 4 });
      await g.server('crash', 's2');
      await waitStatus(g, copyIs('s2', 'fullRecoveryNeeded'), 's1 to notice');
      await g.server('power-on', 's2');
      await g.server('start', 's2');
      await waitFor(async () => ((await volumeDetails(g, 's1'))?.recovery?.done ?? 0) > 8, 'recovery under way', 20_000);
      await g.server('crash', 's2');
      await waitStatus(g, copyIs('s2', 'fullRecoveryNeeded'), 's1 to notice the second crash');
      const before = w.stats().writesOk;
      await waitFor(() => w.stats().writesOk > before + 100, 'hosts to keep writing through s1', 20_000);
      await g.server('power-on', 's2');
      await g.server('start', 's2');
      await verify(g);
    });

    it('PTH-3, MIR-7 the preferred server crashing during its own failback (while being recovered) is recovered in full later; no acknowledged write is lost', async () => {
      const { g } = await running({ recoveryMiBPerSecond: 4 });
      await g.server('crash', 's1');
      await waitStatus(g, copyIs('s1', 'fullRecoveryNeeded'), 's2 to take over');
      await g.server('power-on', 's1');
      await g.server('start', 's1');
      await waitStatus(g, copyIs('s1', 'inFullRecovery'), 'failback under way', 20_000);
      await g.server('crash', 's1');
      await waitStatus(g, copyIs('s1', 'fullRecoveryNeeded'), 's2 to notice');
      await g.server('power-on', 's1');
      await g.server('start', 's1');
      await verify(g);
    });

    it('MIR-11, DS-4 both servers crashing with writes in flight: unknown until forced; after forcing a copy only recorded loss is allowed and the copies converge', async () => {
      const { g } = await running();
      await g.post('/site/crash');
      for (const s of ['s1', 's2']) await g.server('power-on', s);
      for (const s of ['s1', 's2']) await g.server('start', s);
      await waitStatus(g, (x) => x.virtualDisks[0]!.copies.every((c) => c.dataStatus === 'doubleFailure'), 'undecidable');
      await g.post('/mirror/m1/force', { copy: 's1' });
      await verify(g, { forced: true });
    });
  });
}
