import { describe, expect, it } from 'vitest';
import { MemoryBackend } from '../../../../engine/storage/memory-backend.js';
import { pattern } from '../../../helpers/storage-fixtures.js';

describe('memory backend (unit-test storage with a volatile write cache)', () => {
  it('reads zeros where nothing was written and returns what was written elsewhere', async () => {
    const backend = new MemoryBackend(64 * 1024);
    expect((await backend.read(0, 8192)).equals(Buffer.alloc(8192))).toBe(true);
    const data = pattern(5000, 1);
    await backend.write(4000, data);
    await backend.writev(20_000, [pattern(10, 2), pattern(5000, 3)]);
    expect((await backend.read(4000, 5000)).equals(data)).toBe(true);
    expect((await backend.read(20_010, 5000)).equals(pattern(5000, 3))).toBe(true);
  });

  it('SRV-11 only synced writes are in the durable image a crash leaves', async () => {
    const backend = new MemoryBackend(64 * 1024);
    await backend.write(0, pattern(100, 1));
    await backend.sync();
    await backend.write(8192, pattern(100, 2));
    const durable = backend.durableImage();
    expect(durable.subarray(0, 100).equals(pattern(100, 1))).toBe(true);
    expect(durable.subarray(8192, 8292).equals(Buffer.alloc(100))).toBe(true);
    expect(backend.image().subarray(8192, 8292).equals(pattern(100, 2))).toBe(true);
  });

  it('discard makes the range read as zeros, durably after a sync', async () => {
    const backend = new MemoryBackend(64 * 1024);
    await backend.write(0, pattern(64 * 1024, 1));
    await backend.sync();
    await backend.discard(100, 20_000);
    expect((await backend.read(100, 20_000)).equals(Buffer.alloc(20_000))).toBe(true);
    expect((await backend.read(0, 100)).equals(pattern(100, 1))).toBe(true);
    expect(backend.durableImage().subarray(100, 20_100).equals(Buffer.alloc(20_000))).toBe(false);
    await backend.sync();
    expect(backend.durableImage().subarray(100, 20_100).equals(Buffer.alloc(20_000))).toBe(true);
  });

  it('refuses requests outside it (STORAGE_OUT_OF_RANGE) and use after close (STORAGE_CLOSED)', async () => {
    const backend = new MemoryBackend(4096);
    await expect(backend.read(4000, 200)).rejects.toMatchObject({ code: 'STORAGE_OUT_OF_RANGE' });
    await backend.close();
    await expect(backend.write(0, Buffer.alloc(1))).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
  });
});
