// The command adapter when a manifest or its system misbehaves: each failure has its code and its
// evidence, refusals are told from failures, and whatever a failing or hanging command started is
// ended (tooling: no SPEC behaviour).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestEventTypes } from '../../../adapters/command/index.js';
import { capabilityFeatures } from '../../../adapters/types.js';
import { commandAdapterFromFile } from '../../../adapters/command/index.js';
import { defaultTopology } from '../../../models/topology.js';
import { waitFor } from '../../helpers/wait-for.js';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

const allReasons = Object.fromEntries(
  [...capabilityFeatures, ...manifestEventTypes.filter((e) => !['stop', 'start', 'recoveryComplete'].includes(e))].map((k) => [
    k,
    'not in this test',
  ]),
);

/** A system from a manifest written for the test: its commands are inline shell. */
async function systemWith(commands: { open?: string; close?: string; status?: string; stop?: string; start?: string; timeoutMs?: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'sanspec-command-'));
  temps.push(dir);
  const manifest = {
    name: 'misbehaving',
    timeoutMs: commands.timeoutMs ?? 10_000,
    open: commands.open ?? 'true',
    close: commands.close ?? 'true',
    status: commands.status ?? 'cat status.json',
    events: { stop: commands.stop ?? 'true', start: commands.start ?? 'true' },
    capabilities: { hostIo: false, mirroredDisks: false, copyReader: false, cacheProbe: false, holdsRecovery: false, reasons: allReasons },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const adapter = await commandAdapterFromFile(join(dir, 'manifest.json'));
  const workDir = join(dir, 'work');
  return { dir, workDir, adapter, open: () => adapter.open(defaultTopology(), { workDir }) };
}

/** Whether a process has ended (gone, or a zombie nobody reaped yet). */
const ended = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] === 'Z';
  } catch {
    return true;
  }
};

describe('command adapter failures', () => {
  it('a placeholder without a value is a manifest error naming it and the placeholders there are', async () => {
    const { open } = await systemWith({ stop: 'echo {srever}' });
    const system = await open();
    await expect(system.apply({ type: 'stop', server: 's1' })).rejects.toMatchObject({
      code: 'SANSPEC_BAD_ADAPTER_CONFIG',
      message: expect.stringMatching(/\/events\/stop: .*\{srever\}.*known: .*\{server\}/),
      details: { missing: ['srever'], template: 'echo {srever}' },
    });
    await system.close();
  });

  it('a status that is not CF-2 fails with SANSPEC_BAD_STATUS, the schema errors and the output', async () => {
    const { dir, open } = await systemWith({});
    const system = await open();
    writeFileSync(join(dir, 'status.json'), JSON.stringify({ servers: [], ports: [], paths: [], virtualDisks: [{ name: 'v1' }] }));
    await expect(system.status()).rejects.toMatchObject({
      code: 'SANSPEC_BAD_STATUS',
      details: {
        errors: expect.arrayContaining([expect.stringMatching(/^\/mirrorLinks: /), expect.stringMatching(/^\/virtualDisks\/0\/copies: /)]),
        stdout: expect.stringContaining('"virtualDisks"'),
      },
    });
    writeFileSync(join(dir, 'status.json'), 'all is well');
    await expect(system.status()).rejects.toMatchObject({ code: 'SANSPEC_BAD_STATUS', details: { stdout: 'all is well' } });
    await system.close();
  });

  it('refusals are the error shape with a refusal code, on stdout or stderr; anything else fails with the output as evidence', async () => {
    const refusal = (code: string, stream = '') => `echo '{"error":{"code":"${code}","message":"no"}}' ${stream}; exit 1`;
    const cases = [
      { stop: refusal('SRV_ALREADY_STOPPED'), expected: { outcome: 'refused', code: 'SRV_ALREADY_STOPPED', message: 'no' } },
      {
        stop: `echo progress; ${refusal('SRV_POWERED_OFF', '>&2')}`,
        expected: { outcome: 'refused', code: 'SRV_POWERED_OFF', message: 'no' },
      },
    ];
    for (const c of cases) {
      const { open } = await systemWith({ stop: c.stop });
      const system = await open();
      expect(await system.apply({ type: 'stop', server: 's1' })).toEqual(c.expected);
      await system.close();
    }
    for (const stop of [refusal('ENGINE_GROUP_FAILED'), 'echo "it broke" >&2; exit 1', 'exit 0; ignored']) {
      const { open } = await systemWith({ stop });
      const system = await open();
      if (stop.startsWith('exit 0')) expect(await system.apply({ type: 'stop', server: 's1' })).toEqual({ outcome: 'accepted' });
      else
        await expect(system.apply({ type: 'stop', server: 's1' })).rejects.toMatchObject({
          code: 'SANSPEC_ADAPTER_FAILED',
          details: { exitCode: 1, command: stop },
        });
      await system.close();
    }
  });

  it('when open fails midway, close still runs and ends what open started', async () => {
    const { open, workDir } = await systemWith({
      open: 'sleep 600 >/dev/null 2>&1 & echo $! > {dir}/pid; exit 3',
      close: 'kill -9 "$(cat {dir}/pid)"',
    });
    await expect(open()).rejects.toMatchObject({
      code: 'SANSPEC_ADAPTER_FAILED',
      details: { open: { exitCode: 3 }, close: { exitCode: 0 } },
    });
    const pid = Number(readFileSync(join(workDir, 'system', 'pid'), 'utf8'));
    await waitFor(() => ended(pid), `the process open started (${pid}) to end`, 5000);
  });

  it('a command that hangs is killed at its timeout, with everything it started', async () => {
    const { open, workDir } = await systemWith({ stop: 'sleep 600 & echo $! > {dir}/pid; wait', timeoutMs: 300 });
    const system = await open();
    const started = Date.now();
    await expect(system.apply({ type: 'stop', server: 's1' })).rejects.toMatchObject({
      code: 'SANSPEC_ADAPTER_FAILED',
      message: expect.stringContaining('timed out'),
      details: { killed: 'timeout' },
    });
    expect(Date.now() - started).toBeLessThan(5000);
    const pid = Number(readFileSync(join(workDir, 'system', 'pid'), 'utf8'));
    await waitFor(() => ended(pid), `the process the command started (${pid}) to end`, 5000);
    await system.close();
  });

  it('an open printing something other than a JSON object is a manifest error', async () => {
    const { open } = await systemWith({ open: 'echo started' });
    await expect(open()).rejects.toMatchObject({ code: 'SANSPEC_BAD_ADAPTER_CONFIG' });
  });

  it("open's JSON becomes placeholders of later commands", async () => {
    const { open, dir } = await systemWith({
      open: `echo '{"port": 10809, "servers": {"s1": {"id": "a b"}}}'`,
      stop: 'echo {port} {servers.s1.id} > out',
    });
    const system = await open();
    expect(await system.apply({ type: 'stop', server: 's1' })).toEqual({ outcome: 'accepted' });
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('10809 a b\n');
    await system.close();
  });
});
