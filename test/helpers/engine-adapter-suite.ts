// The engine adapter's suite, run on real engine groups by engine-adapter-file.test.ts and
// engine-adapter-loop.test.ts (two files, so that vitest runs the backends side by side): every
// supported event is performed and refused as the model says, the status is CF-2, hosts do I/O
// over multipath and single paths, copy readers see the backend beneath the cache, and close
// leaves nothing behind.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineAdapter, groupLeftovers } from '../../adapters/engine/index.js';
import type { HostDevice, SystemUnderTest } from '../../adapters/types.js';
import { GroupStatusSchema } from '../../contracts/status.js';
import { createGroupModel, type GroupState } from '../../models/group.js';
import { groupStatus } from '../../models/status.js';
import { conformanceTopology } from '../../models/topology.js';
import type { GroupEvent, GroupStatus } from '../../models/types.js';
import { loopUnavailable } from './engine-group.js';
import { waitFor } from './wait-for.js';

const io = { ioTimeoutMs: 3000, retryForMs: 15_000 };
const block = (seed: number, length = 4096) => {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(b, i);
  return b;
};

/** A status where nothing is in motion: no server starting or stopping, no recovery running. */
const settled = (s: GroupStatus) =>
  s.servers.every((x) => x.state !== 'starting' && x.state !== 'stopping') &&
  s.virtualDisks.every((v) => v.copies.every((c) => c.dataStatus !== 'inLogRecovery' && c.dataStatus !== 'inFullRecovery'));

/** Waits until nothing is in motion, and returns that status. */
async function settledStatus(system: SystemUnderTest): Promise<GroupStatus> {
  let status: GroupStatus | undefined;
  await waitFor(async () => settled((status = await system.status())), 'a settled status', 20_000);
  return status!;
}

/** Waits until m1 is online: both copies up to date and serving (a fresh group, or a recovery done). */
async function mirrorOnline(system: SystemUnderTest): Promise<void> {
  await waitFor(
    async () => (await settledStatus(system)).virtualDisks.find((v) => v.name === 'm1')?.status === 'online',
    'm1 online with both copies up to date',
    30_000,
  );
}

/** Declares the suite for one backend; the loop backend's is skipped, with the reason printed, where loop devices are unavailable. */
export async function engineAdapterSuite(backend: 'file' | 'loop'): Promise<void> {
  const loopReason = backend === 'loop' ? await loopUnavailable() : null;
  if (loopReason) console.warn(`skipping the engine adapter on the loop backend: ${loopReason}`);
  describe.skipIf(loopReason !== null)(`engine adapter (${backend} backend)`, () => {
    const adapter = engineAdapter({ backend });
    const topology = conformanceTopology();
    const dirs: string[] = [];
    // Every system opened, closed again at the end: a test that timed out may have left one open.
    const opened: Array<Promise<SystemUnderTest>> = [];
    const open = async () => {
      const workDir = mkdtempSync(join(tmpdir(), 'sanspec-engine-adapter-'));
      dirs.push(workDir);
      const system = adapter.open(topology, { workDir });
      opened.push(system);
      return { workDir, system: await system };
    };
    afterAll(async () => {
      await Promise.allSettled(opened.map(async (s) => (await s).close()));
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('SRV-12 performs every event it declares, accepted and refused exactly as the model says, and reports the predicted CF-2 status (CF-1)', async () => {
      const capabilities = adapter.capabilities(topology);
      expect(capabilities).toMatchObject({ hostIo: true, mirroredDisks: true, copyReader: true, cacheProbe: true, holdsRecovery: false });
      expect(capabilities.reasons?.autoRestartWindowElapsed).toBeTruthy();
      const { system } = await open();
      try {
        const model = createGroupModel(topology);
        let state: GroupState = model.initial;
        const seen = new Map<string, Set<string>>();
        const step = async (event: GroupEvent, expected: 'accepted' | string) => {
          const predicted = model.step(state, event);
          // The sequence below is chosen so that the model says what `expected` says.
          expect(predicted.refusal?.code ?? 'accepted', `model for ${JSON.stringify(event)}`).toBe(expected);
          const result = await system.apply(event);
          expect(result.outcome === 'refused' ? result.code : 'accepted', `engine for ${JSON.stringify(event)}`).toBe(expected);
          state = predicted.state;
          const outcomes = seen.get(event.type) ?? new Set();
          outcomes.add(result.outcome);
          seen.set(event.type, outcomes);
          // The engine completes recoveries by itself, so the model is told (as the runner does), and
          // asynchronous consequences (mirror meetings, recoveries) settle into its prediction
          // before the next event.
          for (const v of topology.virtualDisks) {
            const done = model.step(state, { type: 'recoveryComplete', vdisk: v.name });
            if (done.refusal === null) state = done.state;
          }
          await expect
            .poll(() => system.status(), { timeout: 30_000, interval: 100, message: `status after ${JSON.stringify(event)}` })
            .toEqual(groupStatus(model, state));
          const status = await system.status();
          expect(
            Value.Check(GroupStatusSchema, status),
            [...Value.Errors(GroupStatusSchema, status)].map((e) => e.message).join('; '),
          ).toBe(true);
        };
        const s1 = 's1';
        const s2 = 's2';
        await step({ type: 'start', server: s1 }, 'SRV_ALREADY_RUNNING');
        await step({ type: 'stop', server: s1 }, 'accepted');
        await step({ type: 'stop', server: s1 }, 'SRV_ALREADY_STOPPED');
        await step({ type: 'start', server: s1 }, 'accepted');
        await step({ type: 'powerOn', server: s1 }, 'SRV_ALREADY_ON');
        await step({ type: 'setCache', server: s1, mode: 'writeThrough' }, 'accepted');
        await step({ type: 'onBattery', server: s1 }, 'accepted');
        await step({ type: 'onBattery', server: s1 }, 'UPS_ON_BATTERY');
        await step({ type: 'mainsRestored', server: s1 }, 'accepted');
        await step({ type: 'mainsRestored', server: s1 }, 'UPS_ON_MAINS');
        await step({ type: 'batteryLow', server: s1 }, 'UPS_ON_MAINS');
        await step({ type: 'onBattery', server: s2 }, 'accepted');
        await step({ type: 'batteryLow', server: s2 }, 'accepted');
        await step({ type: 'batteryLow', server: s2 }, 'SRV_NOT_RUNNING');
        await step({ type: 'mainsRestored', server: s2 }, 'accepted');
        await step({ type: 'start', server: s2 }, 'accepted');
        await step({ type: 'linkUp', servers: [s1, s2] }, 'LINK_ALREADY_UP');
        await step({ type: 'linkDown', servers: [s1, s2] }, 'accepted');
        await step({ type: 'linkDown', servers: [s1, s2] }, 'LINK_ALREADY_DOWN');
        await step({ type: 'linkUp', servers: [s1, s2] }, 'accepted');
        await step({ type: 'forceMirrorRecovery', vdisk: 'm1', copy: s1 }, 'MIR_FORCE_NOT_NEEDED');
        await step({ type: 'forceMirrorRecovery', vdisk: 'v1', copy: s1 }, 'VD_NOT_MIRRORED');
        await step({ type: 'restart', server: s2 }, 'accepted');
        await step({ type: 'shutdown', server: s2 }, 'accepted');
        await step({ type: 'shutdown', server: s2 }, 'SRV_POWERED_OFF');
        await step({ type: 'restart', server: s2 }, 'SRV_POWERED_OFF');
        await step({ type: 'crash', server: s2 }, 'SRV_POWERED_OFF');
        await step({ type: 'setCache', server: s2, mode: 'writeThrough' }, 'SRV_POWERED_OFF');
        await step({ type: 'powerOn', server: s2 }, 'accepted');
        await step({ type: 'crash', server: s1 }, 'accepted');
        await step({ type: 'powerOn', server: s1 }, 'accepted');
        await step({ type: 'start', server: s1 }, 'accepted');
        await step({ type: 'siteCrash' }, 'accepted');
        await step({ type: 'siteCrash' }, 'SRV_POWERED_OFF');
        await step({ type: 'forceMirrorRecovery', vdisk: 'm1', copy: s1 }, 'MIR_COPY_SERVER_DOWN');
        await step({ type: 'powerOn', server: s1 }, 'accepted');
        await step({ type: 'powerOn', server: s2 }, 'accepted');
        await step({ type: 'start', server: s1 }, 'accepted');
        await step({ type: 'start', server: s2 }, 'accepted');
        // MIR-11: both copies lost their cache at once; nobody can tell which is newer (the status is the model's).
        await step({ type: 'forceMirrorRecovery', vdisk: 'm1', copy: s1 }, 'accepted');

        for (const type of capabilities.events) expect([type, [...(seen.get(type) ?? [])].sort()]).toEqual([type, ['accepted', 'refused']]);
      } finally {
        await system.close();
      }
    }, 180_000);

    describe('host I/O, copy readers and close', () => {
      let workDir: string;
      let system: SystemUnderTest;
      beforeAll(async () => {
        ({ workDir, system } = await open());
      });
      afterAll(async () => {
        await system?.close();
      });

      it('MIR-2 a multipath device keeps serving a mirrored disk across a stop of the preferred server (failover)', async () => {
        await mirrorOnline(system);
        const device = await system.device('h1', 'm1', io);
        let stopped = false;
        try {
          expect(device.size).toBe(16 * 1024 * 1024);
          await device.write(0, block(1));
          // On a loaded machine the first connection to s1 may time out; the device then fails back to it.
          await expect
            .poll(() => device.activePath, { timeout: 20_000, message: 'the device on the preferred path s1 before the stop' })
            .toBe('s1');
          expect(await system.apply({ type: 'stop', server: 's1' })).toEqual({ outcome: 'accepted' });
          stopped = true;
          await device.write(4096, block(2));
          expect(await device.read(0, 8192)).toEqual(Buffer.concat([block(1), block(2)]));
          expect(device.activePath).toBe('s2');
        } finally {
          await device.close();
          if (stopped) await system.apply({ type: 'start', server: 's1' });
        }
      });

      it('VD-1 a single-path device serves a running server and is refused, within the I/O timeout, by a stopped one', async () => {
        const path = await system.pathDevice('h2', 's2', 'v2', io);
        await path.write(0, block(3));
        await path.close();
        expect(await system.apply({ type: 'stop', server: 's2' })).toEqual({ outcome: 'accepted' });
        const started = Date.now();
        await expect(system.pathDevice('h2', 's2', 'v2', io)).rejects.toMatchObject({ outcome: 'fail' });
        expect(Date.now() - started).toBeLessThan(io.ioTimeoutMs + 1000);
        expect(await system.apply({ type: 'start', server: 's2' })).toEqual({ outcome: 'accepted' });
      });

      it('a copy reader sees a flushed write on the backend of every copy', async () => {
        await mirrorOnline(system);
        const device = await system.device('h1', 'm1', io);
        await device.write(64 * 1024, block(4));
        await device.flush();
        await device.close();
        for (const server of ['s1', 's2']) {
          const reader = await system.copyReader('m1', server);
          expect(reader.size).toBe(16 * 1024 * 1024);
          expect(await reader.read(64 * 1024, 4096), `copy on ${server}`).toEqual(block(4));
          await reader.close();
        }
        await expect(system.copyReader('v1', 's2')).rejects.toMatchObject({ code: 'SANSPEC_ADAPTER_FAILED' });
      });

      it('SRV-6 cache probe: in write-back an acknowledged write is not yet on the backend; after setCache and a restart, write-through puts it there before the acknowledgement', async () => {
        const probe = async (device: HostDevice, offset: number, seed: number) => {
          const reader = await system.copyReader('v1', 's1');
          try {
            await device.write(offset, block(seed));
            return (await reader.read(offset, 4096)).equals(block(seed));
          } finally {
            await reader.close();
          }
        };
        let device = await system.device('h1', 'v1', io);
        expect(await probe(device, 128 * 1024, 5)).toBe(false);
        await device.close();
        expect(await system.apply({ type: 'setCache', server: 's1', mode: 'writeThrough' })).toEqual({ outcome: 'accepted' });
        expect(await system.apply({ type: 'restart', server: 's1' })).toEqual({ outcome: 'accepted' });
        expect((await system.status()).servers[0]!.cache).toEqual({ applied: 'writeThrough', pending: null, effective: 'writeThrough' });
        device = await system.device('h1', 'v1', io);
        expect(await probe(device, 192 * 1024, 6)).toBe(true);
        // The write-back write of before the restart was flushed by it (SRV-8).
        expect(await device.read(128 * 1024, 4096)).toEqual(block(5));
        // Left open on purpose: close() must close it.
      });

      it('close ends every process, loop device and port reservation of the group, and is idempotent', async () => {
        const open = await system.pathDevice('h1', 's1', 'v1', io);
        await system.close();
        await expect(open.read(0, 4096)).rejects.toThrow();
        expect(await groupLeftovers(workDir)).toEqual([]);
        await system.close();
      });
    });
  });
}
