// The command adapter against a product nobody here wrote: examples/nbdkit-group, `nbdkit file`
// servers driven by shell scripts. Its events answer as the model says, its status is the model's
// prediction in the CF-2 shape, hosts do I/O, and close leaves no nbdkit behind.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandAdapterFromFile } from '../../../adapters/command/index.js';
import type { SystemUnderTest } from '../../../adapters/types.js';
import { createGroupModel, type GroupState } from '../../../models/group.js';
import { groupStatus } from '../../../models/status.js';
import type { GroupEvent, Topology } from '../../../models/types.js';

const example = new URL('../../../examples/nbdkit-group/', import.meta.url).pathname;
const topology = JSON.parse(readFileSync(join(example, 'topology.json'), 'utf8')) as Topology;
const io = { ioTimeoutMs: 2000, retryForMs: 3000 };

const missing = (['nbdkit', 'jq', 'bash'] as const).filter((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`]);
    return false;
  } catch {
    return true;
  }
});
if (missing.length > 0) console.warn(`skipping the nbdkit group example: ${missing.join(', ')} not installed`);

/** Processes serving files of the system in `dir`: nbdkit's `dir=` argument names them. */
function nbdkitsOf(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
        return state !== 'Z' && args.some((a) => a.startsWith(`dir=${dir}/`));
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe.skipIf(missing.length > 0)('command adapter: the nbdkit group example', () => {
  const dirs: string[] = [];
  // Every system opened, closed again at the end: a test that timed out may have left one open.
  const opened: Array<Promise<SystemUnderTest>> = [];
  const open = async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'sanspec-nbdkit-'));
    dirs.push(workDir);
    const adapter = await commandAdapterFromFile(join(example, 'manifest.json'));
    const system = adapter.open(topology, { workDir });
    opened.push(system);
    return { adapter, workDir, system: await system };
  };
  afterAll(async () => {
    await Promise.allSettled(opened.map(async (s) => (await s).close()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('declares what nbdkit cannot do, with reasons', async () => {
    const adapter = await commandAdapterFromFile(join(example, 'manifest.json'));
    const c = adapter.capabilities(topology);
    expect(c).toMatchObject({ hostIo: true, mirroredDisks: false, copyReader: true, cacheProbe: false, holdsRecovery: false });
    expect([...c.events].sort()).toEqual([
      'autoRestartWindowElapsed',
      'crash',
      'powerOn',
      'restart',
      'shutdown',
      'siteCrash',
      'start',
      'stop',
    ]);
    for (const left of ['mirroredDisks', 'cacheProbe', 'setCache', 'onBattery', 'linkDown'] as const)
      expect(c.reasons?.[left]).toBeTruthy();
  });

  it('SRV-12 every event is accepted and refused as the model says, and the status is the model prediction after each (CF-1, CF-2)', async () => {
    const { system, workDir } = await open();
    try {
      const model = createGroupModel(topology);
      let state: GroupState = model.initial;
      expect(await system.status()).toEqual(groupStatus(model, state));
      const seen = new Map<string, Set<string>>();
      const step = async (event: GroupEvent) => {
        const predicted = model.step(state, event);
        const result = await system.apply(event);
        expect(result.outcome === 'refused' ? result.code : 'accepted', JSON.stringify(event)).toBe(predicted.refusal?.code ?? 'accepted');
        state = predicted.state;
        expect(await system.status(), `status after ${JSON.stringify(event)}`).toEqual(groupStatus(model, state));
        seen.set(event.type, (seen.get(event.type) ?? new Set()).add(result.outcome));
      };
      const s1 = { server: 's1' } as const;
      const s2 = { server: 's2' } as const;
      await step({ type: 'start', ...s1 });
      await step({ type: 'stop', ...s1 });
      await step({ type: 'stop', ...s1 });
      await step({ type: 'restart', ...s1 }); // a stopped server restarts stopped (SRV-9)
      await step({ type: 'start', ...s1 });
      await step({ type: 'powerOn', ...s1 });
      await step({ type: 'restart', ...s1 });
      await step({ type: 'shutdown', ...s2 }); // seen as Unavailable (clean)
      await step({ type: 'shutdown', ...s2 });
      await step({ type: 'restart', ...s2 });
      await step({ type: 'crash', ...s2 });
      await step({ type: 'powerOn', ...s2 }); // resumes running (SRV-9)
      await step({ type: 'crash', ...s1 }); // seen as Failed
      await step({ type: 'powerOn', ...s1 }); // comes up stopped (SRV-10)
      await step({ type: 'autoRestartWindowElapsed', ...s1 }); // none used
      await step({ type: 'siteCrash' });
      await step({ type: 'siteCrash' });
      await step({ type: 'powerOn', ...s1 });
      await step({ type: 'powerOn', ...s2 });
      await step({ type: 'start', ...s2 });
      expect(nbdkitsOf(join(workDir, 'system'))).toHaveLength(1);
      for (const type of ['stop', 'start', 'shutdown', 'restart', 'crash', 'powerOn', 'siteCrash'])
        expect([type, [...(seen.get(type) ?? [])].sort()]).toEqual([type, ['accepted', 'refused']]);
    } finally {
      await system.close();
    }
  }, 120_000);

  it('VD-1, VD-2 hosts read back what they wrote, across a stop and start; a stopped server refuses I/O within the timeout; copy readers read the files', async () => {
    const { system, workDir } = await open();
    try {
      const device = await system.device('h1', 'v1', io);
      expect(device.size).toBe(16 * 1024 * 1024);
      const data = Buffer.alloc(8192, 0x5a);
      await device.write(4096, data);
      await device.flush();
      const reader = await system.copyReader('v1', 's1');
      expect(await reader.read(4096, 8192)).toEqual(data);
      await reader.close();

      expect(await system.apply({ type: 'stop', server: 's1' })).toEqual({ outcome: 'accepted' });
      const started = Date.now();
      await expect(device.read(0, 4096)).rejects.toMatchObject({ code: expect.stringMatching(/^MPATH_/) });
      await expect(system.pathDevice('h1', 's1', 'v1', io)).rejects.toMatchObject({ outcome: 'fail' });
      expect(Date.now() - started).toBeLessThan(io.retryForMs + io.ioTimeoutMs + 2000);
      await device.close();

      expect(await system.apply({ type: 'start', server: 's1' })).toEqual({ outcome: 'accepted' });
      const path = await system.pathDevice('h1', 's1', 'v1', io);
      expect(await path.read(4096, 8192)).toEqual(data);
      expect(path.activePath).toBe('s1'); // left open on purpose: close() closes it
    } finally {
      await system.close();
    }
    expect(nbdkitsOf(join(workDir, 'system'))).toEqual([]);
    expect(readdirSync(join(workDir, 'system', 'run')).filter((f) => f.endsWith('.sock') || f.endsWith('.pid'))).toEqual([]);
    await system.close(); // idempotent
  }, 120_000);

  it('close ends every nbdkit, also one whose pid file was lost, and when open fails after starting servers', async () => {
    const { system, workDir } = await open();
    rmSync(join(workDir, 'system', 'run', 's1.pid'));
    expect(nbdkitsOf(join(workDir, 'system'))).toHaveLength(2);
    await system.close();
    expect(nbdkitsOf(join(workDir, 'system'))).toEqual([]);

    // A manifest whose open starts every server and then fails.
    const dir = mkdtempSync(join(tmpdir(), 'sanspec-nbdkit-'));
    dirs.push(dir);
    const manifest = JSON.parse(readFileSync(join(example, 'manifest.json'), 'utf8'));
    manifest.open = `${join(example, 'open.sh')} {dir} {topology} && echo 'then it failed' >&2 && exit 7`;
    manifest.close = `${join(example, 'close.sh')} {dir}`;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    const failing = await commandAdapterFromFile(join(dir, 'manifest.json'));
    await expect(failing.open(topology, { workDir: join(dir, 'work') })).rejects.toMatchObject({
      code: 'SANSPEC_ADAPTER_FAILED',
      details: { open: { exitCode: 7, stderr: expect.stringContaining('then it failed') }, close: { exitCode: 0 } },
    });
    expect(nbdkitsOf(join(dir, 'work', 'system'))).toEqual([]);
  }, 120_000);

  it('a topology with a mirrored disk is refused by open, which leaves nothing behind', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'sanspec-nbdkit-'));
    dirs.push(workDir);
    const adapter = await commandAdapterFromFile(join(example, 'manifest.json'));
    const mirrored: Topology = {
      ...topology,
      virtualDisks: [...topology.virtualDisks, { name: 'm1', kind: 'mirrored', copies: ['s1', 's2'] }],
    };
    await expect(adapter.open(mirrored, { workDir })).rejects.toMatchObject({
      code: 'SANSPEC_ADAPTER_FAILED',
      details: { open: { stdout: expect.stringContaining('single virtual disks only') } },
    });
    expect(nbdkitsOf(join(workDir, 'system'))).toEqual([]);
  });
});
