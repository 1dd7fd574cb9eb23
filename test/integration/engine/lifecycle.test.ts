// The server lifecycle on real processes, real NBD clients and real backing storage:
// SRV-*, PRT-*, PTH-1..2, VD-* of the spec, on the file backend and on Linux loop devices.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { NbdError } from '../../../harness/host/index.js';
import { loopUnavailable, startGroup, type EngineGroup } from '../../helpers/engine-group.js';

const MiB = 1024 * 1024;
const pattern = (seed: number, length: number) => {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(b, i);
  return b;
};

/** Bytes of a copy's backing storage, read from the file itself (what survives any crash). */
async function onBackend(g: EngineGroup, vdisk: string, server: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(g.backingFile(vdisk, server), 'r');
  try {
    const b = Buffer.alloc(length);
    await fh.read(b, 0, length, offset);
    return b;
  } finally {
    await fh.close();
  }
}

const loopReason = await loopUnavailable();
if (loopReason) console.warn(`skipping the loop-backend lifecycle tests: ${loopReason}`);

for (const backend of ['file', 'loop'] as const) {
  describe.skipIf(backend === 'loop' && loopReason !== null)(`server lifecycle on real processes (${backend} backend)`, () => {
    let group: EngineGroup | undefined;
    const up = async (config?: unknown) => (group = await startGroup({ backend, config }));
    afterEach(async () => {
      await group?.down();
      group = undefined;
    });

    it('SRV-1, SRV-5, PTH-2, VD-1 stop takes the server offline: its paths go offline and its single disk refuses I/O with an error, not a hang', async () => {
      const g = await up();
      const client = await g.connect('v1', 's1', 3000);
      await client.write(0, pattern(1, 64 * 1024));
      await g.server('stop', 's1');
      const s = await g.status();
      expect(s.servers.find((x) => x.name === 's1')).toMatchObject({ power: 'on', state: 'stopped', seenAs: 'Stopped' });
      expect(s.paths.filter((p) => p.server === 's1').map((p) => p.online)).toEqual([false, false]);
      expect(s.virtualDisks.find((v) => v.name === 'v1')).toMatchObject({ status: 'offline', hostAccess: 'disabled' });
      const started = Date.now();
      await expect(client.read(0, 4096)).rejects.toBeInstanceOf(NbdError);
      await expect(g.connect('v1', 's1', 3000)).rejects.toMatchObject({ code: 'NBD_CONNECTION_REFUSED' });
      expect(Date.now() - started).toBeLessThan(6000);
      // The other server still serves its disk.
      const v2 = await g.connect('v2', 's2');
      await v2.write(0, pattern(2, 4096));
      expect(s.servers.map((x) => x.name)).toEqual(['s1', 's2']); // SRV-1: still in the group
    });

    it('SRV-3, VD-2 stop flushes the cache: every acknowledged write is on the backend when the server reports stopped, and is read back after start', async () => {
      const g = await up({
        servers: [{ name: 's1' }, { name: 's2' }],
        hosts: ['h1'],
        virtualDisks: [{ name: 'v1', kind: 'single', server: 's1', sizeMiB: 16 }],
        tuning: { destageDelayMs: 600_000 },
      });
      const client = await g.connect('v1', 's1');
      const data = pattern(3, 2 * MiB);
      await client.write(MiB, data); // acknowledged, no flush: it sits in the write-back cache
      expect((await onBackend(g, 'v1', 's1', MiB, data.length)).equals(data)).toBe(false);
      await g.server('stop', 's1');
      expect((await onBackend(g, 'v1', 's1', MiB, data.length)).equals(data)).toBe(true);
      await g.server('start', 's1');
      const again = await g.connect('v1', 's1');
      expect((await again.read(MiB, data.length)).equals(data)).toBe(true);
    });

    it('SRV-11, VD-2, DS-3 a crash loses exactly what was not destaged: flushed and FUA writes survive crash, power-on and start', async () => {
      const g = await up({
        servers: [{ name: 's1' }, { name: 's2' }],
        hosts: ['h1'],
        virtualDisks: [{ name: 'v1', kind: 'single', server: 's1', sizeMiB: 16 }],
        tuning: { destageDelayMs: 600_000 },
      });
      const client = await g.connect('v1', 's1');
      const flushed = pattern(4, 256 * 1024);
      const fua = pattern(5, 64 * 1024);
      const volatile = pattern(6, 64 * 1024);
      await client.write(0, flushed);
      await client.flush();
      await client.write(MiB, fua, { fua: true });
      await client.write(2 * MiB, volatile);
      await g.server('crash', 's1');
      await g.server('power-on', 's1');
      await g.server('start', 's1');
      const after = await g.connect('v1', 's1');
      expect((await after.read(0, flushed.length)).equals(flushed)).toBe(true);
      expect((await after.read(MiB, fua.length)).equals(fua)).toBe(true);
      // Held only in the volatile cache (destage delayed for the test): gone with the crash.
      expect((await after.read(2 * MiB, volatile.length)).equals(Buffer.alloc(volatile.length))).toBe(true);
    });

    it('SRV-10 after a crash the server comes up stopped and is not started automatically; SRV-8, SRV-9 after a shutdown it restores its last state', async () => {
      const g = await up();
      await g.server('crash', 's1');
      let s = await g.status();
      expect(s.servers[0]).toMatchObject({ power: 'off', seenAs: 'Failed' });
      await g.server('power-on', 's1');
      s = await g.status();
      expect(s.servers[0]).toMatchObject({ power: 'on', state: 'stopped', seenAs: 'Stopped' });
      await g.server('start', 's1');
      await g.server('shutdown', 's1');
      expect((await g.status()).servers[0]).toMatchObject({ power: 'off', seenAs: 'Unavailable' });
      await g.server('power-on', 's1');
      expect((await g.status()).servers[0]!.state).toBe('running');
      await g.server('stop', 's2');
      await g.server('restart', 's2');
      expect((await g.status()).servers[1]).toMatchObject({ power: 'on', state: 'stopped' });
    });

    it('SRV-10 with one automatic restart attempt, the first crash restarts the server, the second in the window leaves it stopped', async () => {
      const g = await up({
        servers: [{ name: 's1', autoRestartAttempts: 1 }, { name: 's2' }],
        hosts: ['h1'],
        virtualDisks: [{ name: 'v1', kind: 'single', server: 's1', sizeMiB: 8 }],
      });
      await g.server('crash', 's1');
      await g.server('power-on', 's1');
      expect((await g.status()).servers[0]).toMatchObject({ state: 'running', autoRestartsUsed: 1 });
      await g.server('crash', 's1');
      await g.server('power-on', 's1');
      expect((await g.status()).servers[0]).toMatchObject({ state: 'stopped', autoRestartsUsed: 1 });
    });

    it('SRV-2, PRT-1, PRT-2, PRT-3 ports: Target Only disabled while stopped, Initiator and Initiator/Target stay enabled, all down with power', async () => {
      const g = await up();
      await g.server('stop', 's2');
      const ports = (await g.status()).ports.filter((p) => p.server === 's2');
      expect(ports.map((p) => `${p.name}:${p.mode}:${p.enabled}`)).toEqual([
        'fe1:targetOnly:false',
        'mr1:initiatorTarget:true',
        'be1:initiator:true',
      ]);
      await g.server('crash', 's2');
      expect((await g.status()).ports.filter((p) => p.server === 's2').every((p) => !p.enabled)).toBe(true);
      await g.server('power-on', 's2');
      expect((await g.status()).ports.filter((p) => p.server === 's2').map((p) => p.enabled)).toEqual([false, true, true]);
    });

    it('SRV-7, PTH-1, PTH-2 start brings ports, paths and single disks back; hosts reconnect and read what they wrote', async () => {
      const g = await up();
      const c = await g.connect('v2', 's2');
      const data = pattern(7, 128 * 1024);
      await c.write(4096, data, { fua: true });
      await g.server('stop', 's2');
      await g.server('start', 's2');
      const s = await g.status();
      expect(s.paths.filter((p) => p.server === 's2').every((p) => p.online && p.alua.v2 === 'activeOptimized')).toBe(true);
      expect(s.ports.find((p) => p.server === 's2' && p.name === 'fe1')!.enabled).toBe(true);
      const again = await g.connect('v2', 's2');
      expect((await again.read(4096, data.length)).equals(data)).toBe(true);
    });

    it('SRV-12 commands that do not apply are refused with a stable code and change nothing', async () => {
      const g = await up();
      const before = await g.status();
      expect(await g.refused('start', 's1')).toBe('SRV_ALREADY_RUNNING');
      expect(await g.refused('power-on', 's1')).toBe('SRV_ALREADY_ON');
      expect(await g.status()).toEqual(before);
      await g.server('stop', 's1');
      expect(await g.refused('stop', 's1')).toBe('SRV_ALREADY_STOPPED');
      await g.server('shutdown', 's1');
      for (const action of ['start', 'stop', 'shutdown', 'restart', 'crash']) expect(await g.refused(action, 's1')).toBe('SRV_POWERED_OFF');
      expect(await g.refused('cache', 's1', { mode: 'writeThrough' })).toBe('SRV_POWERED_OFF');
      const cli = await g.cli('server', 'stop', 's1');
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/SRV_POWERED_OFF: s1 is powered off; power it on first/);
    });

    it('SRV-4, SRV-6 cache settings changed while stopped are persisted and apply only at the next start', async () => {
      const g = await up();
      await g.server('stop', 's1');
      await g.server('cache', 's1', { mode: 'writeThrough' });
      expect((await g.status()).servers[0]!.cache).toEqual({ applied: 'writeBack', pending: 'writeThrough', effective: 'writeBack' });
      // Persisted: survives a shutdown and power-on while still pending.
      await g.server('shutdown', 's1');
      expect((await g.status()).servers[0]!.cache.pending).toBe('writeThrough');
      await g.server('power-on', 's1');
      expect((await g.status()).virtualDisks.find((v) => v.name === 'v1')!.status).toBe('offline');
      await g.server('start', 's1');
      expect((await g.status()).servers[0]!.cache).toEqual({ applied: 'writeThrough', pending: null, effective: 'writeThrough' });
      const details = (await g.report()).servers.s1!.details!;
      expect(details.disks.every((d) => d.cache.mode === 'writeThrough')).toBe(true);
    });

    it('SRV-13 on battery the cache runs write-through; battery low stops the server gracefully; mains restores write-back', async () => {
      const g = await up({
        servers: [
          { name: 's1', ups: true },
          { name: 's2', ups: true },
        ],
        hosts: ['h1'],
        virtualDisks: [{ name: 'v1', kind: 'single', server: 's1', sizeMiB: 8 }],
      });
      await g.server('ups', 's1', { event: 'battery' });
      let s = await g.status();
      expect(s.servers[0]).toMatchObject({ ups: 'battery', cache: { applied: 'writeBack', effective: 'writeThrough' } });
      expect((await g.report()).servers.s1!.details!.disks[0]!.cache.mode).toBe('writeThrough');
      const c = await g.connect('v1', 's1');
      const data = pattern(8, 64 * 1024);
      await c.write(0, data);
      expect((await onBackend(g, 'v1', 's1', 0, data.length)).equals(data)).toBe(true); // written through before the ack
      await g.server('ups', 's1', { event: 'low' });
      s = await g.status();
      expect(s.servers[0]).toMatchObject({ power: 'on', state: 'stopped' });
      await g.server('ups', 's1', { event: 'mains' });
      expect((await g.status()).servers[0]).toMatchObject({ ups: 'mains', state: 'stopped', cache: { effective: 'writeBack' } });
      expect(await g.refused('ups', 's2', { event: 'low' })).toBe('UPS_ON_MAINS');
    });
  });
}

describe('engine robustness', () => {
  let group: EngineGroup | undefined;
  afterEach(async () => {
    await group?.down();
    group = undefined;
  });

  it('management APIs answer malformed and unknown requests with a 4xx and a message, and keep working', async () => {
    const g = (group = await startGroup());
    const report = await g.report();
    const mgmt = report.servers.s1!.managementUrl;
    const raw = async (url: string, method: string, body?: string) => {
      const res = await fetch(url, { method, body, headers: { 'content-type': 'application/json' } });
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string; details?: unknown } } };
    };
    expect(await raw(`${mgmt}/nope`, 'GET')).toMatchObject({ status: 404, body: { error: { code: 'API_NOT_FOUND' } } });
    expect(await raw(`${mgmt}/stop`, 'GET')).toMatchObject({ status: 405, body: { error: { code: 'API_NOT_FOUND' } } });
    expect(await raw(`${mgmt}/cache`, 'POST', '{not json')).toMatchObject({ status: 400, body: { error: { code: 'API_BAD_REQUEST' } } });
    const badMode = await raw(`${mgmt}/cache`, 'POST', '{"mode":"fast"}');
    expect(badMode).toMatchObject({ status: 400, body: { error: { code: 'API_BAD_REQUEST' } } });
    expect(badMode.body.error!.message).toContain('mode: must be one of writeBack, writeThrough (got "fast")');
    expect(badMode.body.error!.details).toEqual({
      problems: [{ field: 'mode', problem: 'must be one of writeBack, writeThrough (got "fast")' }],
    });
    expect(await raw(`${g.url}/servers/s1/cache`, 'POST', '{"sizeMiB":0}')).toMatchObject({
      status: 400,
      body: { error: { code: 'API_BAD_REQUEST', details: { problems: [{ field: 'sizeMiB' }] } } },
    });
    expect(await raw(`${g.url}/servers/s1/ups`, 'POST', '{}')).toMatchObject({
      status: 400,
      body: { error: { code: 'API_BAD_REQUEST', details: { problems: [{ field: 'event', problem: 'is required' }] } } },
    });
    expect(await raw(`${g.url}/servers/s9/stop`, 'POST', '{}')).toMatchObject({
      status: 404,
      body: { error: { code: 'GROUP_UNKNOWN_NAME' } },
    });
    expect(await raw(`${g.url}/servers/s1/explode`, 'POST', '{}')).toMatchObject({
      status: 404,
      body: { error: { code: 'API_NOT_FOUND' } },
    });
    expect(await raw(`${g.url}/mirror/m1/force`, 'POST', '{"copy":7}')).toMatchObject({
      status: 400,
      body: { error: { code: 'API_BAD_REQUEST', details: { problems: [{ field: 'copy' }] } } },
    });
    expect((await g.status()).servers.every((s) => s.state === 'running')).toBe(true);
  });

  it('a configuration error names the field and the problem; group up exits 2 and leaves nothing running', async () => {
    const { sanspec } = await import('../../helpers/engine-group.js');
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'sanspec-badconfig-'));
    try {
      writeFileSync(
        join(dir, 'c.json'),
        JSON.stringify({
          servers: [{ name: 's1', cache: { mode: 'fast' } }, { name: 's2' }],
          hosts: ['h1'],
          virtualDisks: [{ name: 'v1', kind: 'single', server: 's3' }],
        }),
      );
      const r = await sanspec(['group', 'up', '--dir', join(dir, 'g'), '--config', join(dir, 'c.json')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^sanspec: ENGINE_BAD_CONFIG: invalid configuration/);
      expect(r.stderr).toMatch(/servers\[0\]\.cache\.mode: must be one of writeBack, writeThrough \(got "fast"\)/);
      expect(r.stderr).toMatch(/virtualDisks\[0\]\.server: no server named "s3"/);
      expect(() => readFileSync(join(dir, 'g', 'supervisor.json'))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
