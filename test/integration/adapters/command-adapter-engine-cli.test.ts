// The command adapter against the engine's own command line: examples/engine-cli, the worked
// example of a manifest. It opens a group from a topology, performs and refuses events with the
// engine's codes, reports CF-2 status, serves I/O across a failover, and closes cleanly.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Value } from '@sinclair/typebox/value';
import { afterAll, describe, expect, it } from 'vitest';
import { commandAdapterFromFile } from '../../../adapters/command/index.js';
import { groupLeftovers } from '../../../adapters/engine/index.js';
import { GroupStatusSchema } from '../../../contracts/status.js';
import { conformanceTopology } from '../../../models/topology.js';
import { waitFor } from '../../helpers/wait-for.js';
import { hasTool } from '../../helpers/debian-tools.js';

const manifest = new URL('../../../examples/engine-cli/manifest.json', import.meta.url).pathname;
const jq = hasTool('jq');
if (!jq) console.warn('skipping the engine CLI example: jq is not installed');

describe.skipIf(!jq)('command adapter: the engine CLI example', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'sanspec-engine-cli-'));
  afterAll(async () => {
    // A test that timed out may have left the group up.
    await promisify(execFile)(join(dirname(manifest), 'sanspec'), ['group', 'down', '--dir', join(workDir, 'system')]).catch(() => {});
    rmSync(workDir, { recursive: true, force: true });
  });

  it('MIR-2, MIR-7 opens a group from a topology, refuses with the engine codes, serves I/O across a failover, and closes leaving nothing', async () => {
    const adapter = await commandAdapterFromFile(manifest);
    expect(adapter.capabilities(conformanceTopology())).toMatchObject({
      hostIo: true,
      mirroredDisks: true,
      copyReader: true,
      cacheProbe: true,
    });
    const system = await adapter.open(conformanceTopology(), { workDir });
    try {
      const status = await system.status();
      expect(Value.Check(GroupStatusSchema, status)).toBe(true);
      expect(status.servers.map((s) => [s.name, s.state])).toEqual([
        ['s1', 'running'],
        ['s2', 'running'],
      ]);
      expect(await system.apply({ type: 'stop', server: 's1' })).toEqual({ outcome: 'accepted' });
      expect(await system.apply({ type: 'stop', server: 's1' })).toMatchObject({ outcome: 'refused', code: 'SRV_ALREADY_STOPPED' });

      const device = await system.device('h1', 'm1', { ioTimeoutMs: 3000, retryForMs: 15_000 });
      const data = Buffer.alloc(4096, 0xa5);
      await device.write(8192, data);
      await device.flush();
      expect(device.activePath).toBe('s2');
      const reader = await system.copyReader('m1', 's2');
      expect(await reader.read(8192, 4096)).toEqual(data);
      await reader.close();
      await device.close();

      expect(await system.apply({ type: 'start', server: 's1' })).toEqual({ outcome: 'accepted' });
      // MIR-7: s1 catches up from s2; then both copies hold the write.
      await waitFor(
        async () => (await system.status()).virtualDisks.find((v) => v.name === 'm1')?.status === 'online',
        'm1 online again',
        60_000,
        200,
      );
      const recovered = await system.copyReader('m1', 's1');
      expect(await recovered.read(8192, 4096)).toEqual(data);
    } finally {
      await system.close();
    }
    expect(await groupLeftovers(join(workDir, 'system'))).toEqual([]);
  }, 300_000);
});
