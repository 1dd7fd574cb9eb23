// Power-loss mode (engine/layers/power-loss-layer.ts): writes the backend has not synced stay in
// the overlay, which reads see, until a flush; losing the overlay (a crash) loses exactly them.
import { describe, expect, it } from 'vitest';
import { PowerLossLayer } from '../../../../engine/layers/power-loss-layer.js';
import { MemoryBackend } from '../../../../engine/storage/index.js';
import { NO_FUA } from '../../../../engine/types.js';

const block = (byte: number) => Buffer.alloc(4096, byte);

describe('power-loss overlay', () => {
  it('SRV-11 reads see unsynced writes; the backend holds only what a flush synced', async () => {
    const backend = new MemoryBackend(1 << 20, 'memory:test');
    const layer = new PowerLossLayer(backend);
    await layer.write(0, block(1), NO_FUA);
    await layer.writev(4096, [block(2), block(3)], NO_FUA);
    expect((await layer.read(0, 4096)).equals(block(1))).toBe(true);
    expect((await layer.read(8192, 4096)).equals(block(3))).toBe(true);
    expect((await backend.read(0, 12288)).equals(Buffer.alloc(12288))).toBe(true);
    expect(layer.unsyncedBytes).toBe(12288);

    await layer.flush();
    expect((await backend.read(0, 4096)).equals(block(1))).toBe(true);
    expect(layer.unsyncedBytes).toBe(0);

    // After the sync: a write and a zeroing, both unsynced, then "the process dies" (the layer is dropped).
    await layer.write(0, block(9), NO_FUA);
    await layer.writeZeroes(4096, 4096, NO_FUA);
    expect((await layer.read(0, 8192)).equals(Buffer.concat([block(9), Buffer.alloc(4096)]))).toBe(true);
    const survivor = new PowerLossLayer(backend);
    expect((await survivor.read(0, 8192)).equals(Buffer.concat([block(1), block(2)]))).toBe(true);
  });

  it('SRV-11 a FUA write is synced before it completes; overlapping writes apply in order', async () => {
    const backend = new MemoryBackend(1 << 20, 'memory:test');
    const layer = new PowerLossLayer(backend);
    await layer.write(0, block(1), NO_FUA);
    await layer.write(2048, Buffer.alloc(4096, 7), NO_FUA);
    await layer.write(4096, block(5), { fua: true });
    const expected = Buffer.concat([block(1).subarray(0, 2048), Buffer.alloc(2048, 7), block(5)]);
    expect((await backend.read(0, 8192)).equals(expected)).toBe(true);
    expect((await layer.read(0, 8192)).equals(expected)).toBe(true);
  });

  it('SRV-11 a graceful close keeps the pending writes', async () => {
    const backend = new MemoryBackend(1 << 20, 'memory:test');
    const layer = new PowerLossLayer(backend);
    await layer.write(0, block(4), NO_FUA);
    await layer.close();
    expect((await backend.read(0, 4096)).equals(block(4))).toBe(true);
  });
});
