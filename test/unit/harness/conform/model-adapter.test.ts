// The model adapter as a system under test: it follows the model, serves host I/O where the model
// grants access, and with write-back caches loses what a crash would lose (and nothing else).

import { describe, expect, it } from 'vitest';
import { createModelAdapter, lieNames, loadModelAdapterConfig } from '../../../../adapters/model/index.js';
import type { SystemUnderTest } from '../../../../adapters/types.js';
import { conformanceTopology } from '../../../../models/topology.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const topology = conformanceTopology();
const io = { ioTimeoutMs: 1000, retryForMs: 1000 };
const block = (n: number) => Buffer.alloc(4096, n);

async function open(options: Parameters<typeof createModelAdapter>[0] = {}): Promise<SystemUnderTest> {
  return createModelAdapter(options).open(topology, { workDir: '/nonexistent' });
}

describe('model adapter', () => {
  it('SRV-11 with write-back caches a crash loses unflushed writes and keeps flushed and FUA ones', async () => {
    const sut = await open({ writeBackCache: true });
    const v1 = await sut.device('h1', 'v1', io);
    await v1.write(0, block(1));
    await v1.flush();
    await v1.write(4096, block(2), { fua: true });
    await v1.write(8192, block(3));
    // Cached, not on the backend yet (SRV-6).
    const reader = await sut.copyReader('v1', 's1');
    expect((await reader.read(8192, 4096)).equals(Buffer.alloc(4096))).toBe(true);
    expect((await v1.read(8192, 4096)).equals(block(3))).toBe(true);
    for (const event of [
      { type: 'crash', server: 's1' },
      { type: 'powerOn', server: 's1' },
      { type: 'start', server: 's1' },
    ] as const) {
      expect(await sut.apply(event)).toEqual({ outcome: 'accepted' });
    }
    expect((await v1.read(0, 4096)).equals(block(1))).toBe(true);
    expect((await v1.read(4096, 4096)).equals(block(2))).toBe(true);
    expect((await v1.read(8192, 4096)).equals(Buffer.alloc(4096))).toBe(true);
    await sut.close();
  });

  it('SRV-3 a graceful stop destages the cache: nothing is lost', async () => {
    const sut = await open({ writeBackCache: true });
    const v1 = await sut.device('h1', 'v1', io);
    await v1.write(0, block(7));
    await sut.apply({ type: 'stop', server: 's1' });
    const reader = await sut.copyReader('v1', 's1');
    expect((await reader.read(0, 4096)).equals(block(7))).toBe(true);
    await sut.close();
  });

  it('VD-1 DS-7 I/O to a disk whose host access is disabled fails with outcome fail', async () => {
    const sut = await open();
    const v1 = await sut.device('h1', 'v1', io);
    await sut.apply({ type: 'stop', server: 's1' });
    await expect(v1.write(0, block(1))).rejects.toMatchObject({ code: 'VD_OFFLINE', outcome: 'fail' });
    await expect(v1.read(0, 4096)).rejects.toMatchObject({ code: 'VD_OFFLINE', outcome: 'fail' });
    const m1 = await sut.device('h1', 'm1', io);
    await sut.apply({ type: 'stop', server: 's2' });
    await expect(m1.read(0, 4096)).rejects.toMatchObject({ code: 'MIR_NO_HOST_ACCESS', outcome: 'fail' });
    await sut.close();
  });

  it('PTH-3 a single-path device serves over an active path and fails over an unavailable one (a copy in recovery)', async () => {
    const sut = await open();
    await sut.apply({ type: 'stop', server: 's2' });
    const m1 = await sut.device('h1', 'm1', io);
    await m1.write(0, block(5));
    await sut.apply({ type: 'start', server: 's2' });
    const viaS2 = await sut.pathDevice('h1', 's2', 'm1', io);
    await expect(viaS2.read(0, 4096)).rejects.toMatchObject({ outcome: 'fail' });
    const viaS1 = await sut.pathDevice('h1', 's1', 'm1', io);
    expect((await viaS1.read(0, 4096)).equals(block(5))).toBe(true);
    // MIR-7: the recovery copies s1's data to s2; then s2 serves it.
    await sut.apply({ type: 'recoveryComplete', vdisk: 'm1' });
    expect((await viaS2.read(0, 4096)).equals(block(5))).toBe(true);
    await sut.close();
  });

  it('every lie can be given in a configuration file; unknown fields are SANSPEC_BAD_ADAPTER_CONFIG', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sanspec-model-config-'));
    try {
      const lies = Object.fromEntries(lieNames.map((name) => [name, name === 'dropWrite' ? { vdisk: 'm1', nth: 2 } : true]));
      await writeFile(join(dir, 'all.json'), JSON.stringify({ lies, writeBackCache: true, autoRecoverMs: 10 }));
      expect(loadModelAdapterConfig(join(dir, 'all.json'))).toMatchObject({ lies, writeBackCache: true });
      await writeFile(join(dir, 'bad.json'), JSON.stringify({ lies: { fibs: true } }));
      expect(() => loadModelAdapterConfig(join(dir, 'bad.json'))).toThrow(
        expect.objectContaining({ code: 'SANSPEC_BAD_ADAPTER_CONFIG', message: expect.stringMatching(/\/lies/) }),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
