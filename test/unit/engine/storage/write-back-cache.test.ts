import { afterEach, describe, expect, it } from 'vitest';
import { FaultInjectingBackend } from '../../../../engine/storage/fault-injecting-backend.js';
import { MemoryBackend } from '../../../../engine/storage/memory-backend.js';
import { StorageError } from '../../../../engine/storage/storage-error.js';
import type { WriteBackCacheOptions } from '../../../../engine/storage/types.js';
import { WriteBackCache } from '../../../../engine/storage/write-back-cache.js';
import { BlockError } from '../../../../engine/types.js';
import { firstDifference, pattern, track, waitUntil, yieldTurns } from '../../../helpers/storage-fixtures.js';

const BS = 4096;
const MiB = 1024 * 1024;
const NO_FUA = { fua: false };
const FUA = { fua: true };
/** Keeps background destaging from happening during a test, so only FLUSH, FUA and pressure destage. */
const LAZY = { destageDelayMs: 60_000 };

const caches: WriteBackCache[] = [];
afterEach(() => {
  for (const cache of caches.splice(0)) cache.abandon();
});

function setup(size: number, options: Partial<WriteBackCacheOptions> = {}) {
  const memory = new MemoryBackend(size, 'test');
  const faults = new FaultInjectingBackend(memory);
  const cache = new WriteBackCache(faults, { mode: 'writeBack', sizeBytes: 1 * MiB, closeBackend: false, ...options });
  caches.push(cache);
  return { memory, faults, cache };
}

function block(image: Buffer, b: number): Buffer {
  return image.subarray(b * BS, (b + 1) * BS);
}

describe('write-back cache: reads and writes', () => {
  it('a read after a write returns it, for any alignment and length', async () => {
    const { cache } = setup(4 * MiB, { sizeBytes: 256 * 1024 });
    const model = Buffer.alloc(4 * MiB);
    const requests = [
      [0, 1],
      [1, 4095],
      [4095, 2],
      [BS, BS],
      [3 * BS + 100, 5 * BS],
      [MiB - 7, 3 * BS + 11],
      [2 * MiB + 512, 300_000],
      [4 * MiB - 10, 10],
    ] as const;
    for (const [i, [offset, length]] of requests.entries()) {
      const data = pattern(length, i + 1);
      await cache.write(offset, data, NO_FUA);
      data.copy(model, offset);
      expect((await cache.read(offset, length)).equals(data), `write ${length}@${offset} reads back`).toBe(true);
    }
    const whole = await cache.read(0, 4 * MiB);
    expect(firstDifference(whole, model)).toBe(-1);
  });

  it('a 32 MiB write through a smaller cache reads back whole, and is on the backend after flush', async () => {
    const { cache, memory } = setup(48 * MiB, { sizeBytes: 8 * MiB });
    const data = pattern(32 * MiB, 7);
    await cache.write(8 * MiB + 1000, data, NO_FUA);
    expect(firstDifference(await cache.read(8 * MiB + 1000, 32 * MiB), data)).toBe(-1);
    await cache.flush();
    expect(firstDifference(memory.durableImage().subarray(8 * MiB + 1000, 40 * MiB + 1000), data)).toBe(-1);
    expect(cache.stats().maxDirtyBytes).toBeLessThanOrEqual(8 * MiB);
  });

  it('DS-4 a read sees an acknowledged write while its block is being destaged', async () => {
    const { cache, faults } = setup(MiB);
    faults.hold('write');
    const a = pattern(BS, 1);
    await cache.write(5 * BS, a, NO_FUA);
    await faults.whenHeld('write');
    expect((await cache.read(5 * BS, BS)).equals(a)).toBe(true);
    faults.release('write');
  });

  it('DS-4 a newer write that lands while an older one is destaged is never overwritten or marked clean by it', async () => {
    const { cache, faults, memory } = setup(MiB);
    faults.hold('write');
    const older = pattern(BS, 1);
    const newer = pattern(BS, 2);
    await cache.write(3 * BS, older, NO_FUA);
    await faults.whenHeld('write'); // the older version is in flight
    await cache.write(3 * BS + 100, newer.subarray(100, 200), NO_FUA); // partial overwrite
    const expected = Buffer.from(older);
    newer.copy(expected, 100, 100, 200);
    expect((await cache.read(3 * BS, BS)).equals(expected)).toBe(true);
    faults.release('write');
    await cache.drain();
    expect(block(memory.durableImage(), 3).equals(expected)).toBe(true);
    expect(cache.stats().dirtyBytes).toBe(0);
  });

  it('counts read hits and misses, cached, dirty and destaged bytes', async () => {
    const { cache } = setup(MiB, { ...LAZY, readPopulateMaxBytes: 0 });
    await cache.write(0, pattern(2 * BS, 1), NO_FUA);
    expect(cache.stats()).toMatchObject({ dirtyBytes: 2 * BS, cachedBytes: 2 * BS, destagedBytes: 0 });
    await cache.read(0, 4 * BS);
    expect(cache.stats()).toMatchObject({ readHitBlocks: 2, readMissBlocks: 2 });
    await cache.flush();
    expect(cache.stats()).toMatchObject({ dirtyBytes: 0, cachedBytes: 2 * BS, destagedBytes: 2 * BS, syncs: 1 });
  });

  it('keeps clean copies of small reads that missed, and serves the next read from them', async () => {
    const { cache, faults } = setup(MiB, { readPopulateMaxBytes: 64 * 1024 });
    await cache.read(0, 8 * BS);
    const reads = faults.calls.read;
    await cache.read(BS, 2 * BS);
    expect(faults.calls.read).toBe(reads);
    expect(cache.stats().readHitBlocks).toBe(2);
  });

  it('coalesces adjacent dirty blocks into one backend write', async () => {
    const { cache, faults } = setup(4 * MiB, LAZY);
    for (let b = 0; b < 64; b++) await cache.write(b * BS, pattern(BS, b), NO_FUA);
    await cache.flush();
    expect(faults.calls.write).toBe(1);
    expect(cache.stats()).toMatchObject({ destageWrites: 1, destagedBytes: 64 * BS });
  });

  it('refuses requests outside the disk: EINVAL for reads and trims, ENOSPC for writes', async () => {
    const { cache } = setup(MiB);
    await expect(cache.read(MiB - 1, 2)).rejects.toMatchObject({ name: 'BlockError', code: 'EINVAL' });
    await expect(cache.trim(MiB, 1, NO_FUA)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(cache.write(MiB - 1, Buffer.alloc(2), NO_FUA)).rejects.toMatchObject({ code: 'ENOSPC' });
    await expect(cache.writeZeroes(-1, 2, NO_FUA)).rejects.toMatchObject({ code: 'EINVAL' });
  });

  it('refuses a backend size or cache size that is not whole 4 KiB blocks, with STORAGE_BAD_OPTIONS', () => {
    expect(() => new WriteBackCache(new MemoryBackend(BS + 512), { mode: 'writeBack', sizeBytes: MiB })).toThrow(StorageError);
    expect(() => new WriteBackCache(new MemoryBackend(MiB), { mode: 'writeBack', sizeBytes: 1000 })).toThrow(/sizeBytes 1000/);
  });
});

describe('write-back cache: durability', () => {
  it('SRV-11 a crash loses writes that were only in the cache', async () => {
    const { cache, memory } = setup(MiB, LAZY);
    await cache.write(0, pattern(BS, 1), NO_FUA);
    cache.abandon();
    expect(block(memory.durableImage(), 0).equals(Buffer.alloc(BS))).toBe(true);
  });

  it('DS-3 SRV-11 after a crash every write acknowledged before an acknowledged flush survives', async () => {
    const { cache, memory } = setup(MiB, LAZY);
    const before = pattern(10 * BS + 123, 1);
    await cache.write(777, before, NO_FUA);
    await cache.flush();
    await cache.write(20 * BS, pattern(BS, 2), NO_FUA); // after the flush: may be lost
    cache.abandon();
    const image = memory.durableImage();
    expect(firstDifference(image.subarray(777, 777 + before.length), before)).toBe(-1);
    expect(block(image, 20).equals(Buffer.alloc(BS))).toBe(true);
  });

  it('DS-3 a FUA write survives a crash while other dirty data stays volatile', async () => {
    const { cache, memory } = setup(MiB, LAZY);
    await cache.write(0, pattern(BS, 1), NO_FUA);
    const fua = pattern(2 * BS, 2);
    await cache.write(8 * BS, fua, FUA);
    cache.abandon();
    const image = memory.durableImage();
    expect(firstDifference(image.subarray(8 * BS, 10 * BS), fua)).toBe(-1);
    expect(block(image, 0).equals(Buffer.alloc(BS))).toBe(true);
  });

  it('DS-3 a FUA write waits for an older destage of its block, then writes and syncs its own data', async () => {
    const { cache, faults, memory } = setup(MiB);
    faults.hold('write');
    await cache.write(0, pattern(BS, 1), NO_FUA);
    await faults.whenHeld('write');
    const fua = pattern(BS, 2);
    const write = track(cache.write(0, fua, FUA));
    faults.release('write');
    await write.promise;
    cache.abandon();
    expect(block(memory.durableImage(), 0).equals(fua)).toBe(true);
  });

  it("DS-3 flushes and writes from many connections at once: each flush covers its connection's writes", async () => {
    const memory = new MemoryBackend(4 * MiB, 'many');
    let tick = 0;
    const faults = new FaultInjectingBackend(memory, {
      gate: () => new Promise((resolve) => (++tick % 3 === 0 ? setImmediate(resolve) : queueMicrotask(resolve))),
    });
    const cache = new WriteBackCache(faults, { mode: 'writeBack', sizeBytes: 64 * 1024, destageConcurrency: 4, closeBackend: false });
    caches.push(cache);
    const connection = async (c: number): Promise<void> => {
      for (let round = 0; round < 12; round++) {
        const offset = (c * 16 + (round % 16)) * BS + (round % 3) * 512;
        const data = pattern(BS + 700, c * 1000 + round);
        await cache.write(offset, data, NO_FUA);
        await cache.flush();
        const durable = memory.durableImage().subarray(offset, offset + data.length);
        const at = firstDifference(durable, data);
        if (at >= 0) throw new Error(`connection ${c} round ${round}: byte ${offset + at} is not durable after its flush resolved`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, c) => connection(c)));
    expect(cache.stats().maxDirtyBytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('SRV-3 drain leaves every acknowledged write on the backend, synced', async () => {
    const { cache, memory } = setup(2 * MiB, { ...LAZY, sizeBytes: 512 * 1024 });
    const model = Buffer.alloc(2 * MiB);
    for (let i = 0; i < 200; i++) {
      const offset = (i * 7919 * 13) % (2 * MiB - 9000);
      const data = pattern(1 + ((i * 977) % 9000), i);
      await cache.write(offset, data, NO_FUA);
      data.copy(model, offset);
    }
    await cache.drain();
    expect(cache.stats().dirtyBytes).toBe(0);
    expect(firstDifference(memory.durableImage(), model)).toBe(-1);
  });

  it('SRV-3 close waits for requests in progress, refuses new ones with ESHUTDOWN, and leaves nothing unsynced', async () => {
    const { cache, faults, memory } = setup(MiB, { sizeBytes: 2 * BS });
    faults.hold('write');
    // Partial-block writes (they cannot bypass a full cache): two fill it, two wait for room.
    const writes = [0, 1, 2, 3].map((b) => track(cache.write(b * BS + 1, pattern(BS - 2, b + 1), NO_FUA)));
    await waitUntil(() => cache.stats().backpressureWaits > 0, 'a writer to wait for room');
    const closing = track(cache.close());
    await expect(cache.write(9 * BS, Buffer.alloc(BS), NO_FUA)).rejects.toMatchObject({ code: 'ESHUTDOWN' });
    expect(closing.settled()).toBe(false);
    faults.release('write');
    await Promise.all(writes.map((w) => w.promise));
    await closing.promise;
    const image = memory.durableImage();
    for (let b = 0; b < 4; b++) expect(image.subarray(b * BS + 1, b * BS + BS - 1).equals(pattern(BS - 2, b + 1)), `block ${b}`).toBe(true);
    await expect(cache.read(0, BS)).rejects.toBeInstanceOf(BlockError);
  });

  it('DS-3 a flush fails with EIO when the backend cannot take the data, and succeeds once it can', async () => {
    const { cache, faults, memory } = setup(MiB, { ...LAZY, retryDelayMs: 1 });
    const data = pattern(BS, 3);
    await cache.write(0, data, NO_FUA);
    faults.failNext('write');
    await expect(cache.flush()).rejects.toMatchObject({ code: 'EIO' });
    expect((await cache.read(0, BS)).equals(data)).toBe(true); // still cached, not lost
    await cache.flush();
    expect(block(memory.durableImage(), 0).equals(data)).toBe(true);
    expect(cache.stats().destageErrors).toBe(1);
  });

  it('DS-3 a flush fails with EIO when the backend sync fails', async () => {
    const { cache, faults } = setup(MiB);
    await cache.write(0, pattern(BS, 3), NO_FUA);
    faults.failNext('sync');
    await expect(cache.flush()).rejects.toMatchObject({ code: 'EIO' });
    await cache.flush();
  });

  it('DS-3 a FUA write fails with EIO while the backend cannot write it, and is durable once it can', async () => {
    const { cache, faults, memory } = setup(MiB, { retryDelayMs: 1 });
    faults.failAlways('write');
    await expect(cache.write(0, pattern(BS, 3), FUA)).rejects.toMatchObject({ code: 'EIO' });
    faults.failNext('write', 0);
    await cache.flush();
    expect(block(memory.durableImage(), 0).equals(pattern(BS, 3))).toBe(true);
  });
});

describe('write-back cache: bounded size', () => {
  it('the configured cache size bounds dirty data: writers wait instead of growing it', async () => {
    const size = 4 * BS;
    const { cache, faults, memory } = setup(MiB, { sizeBytes: size });
    faults.hold('write');
    for (let b = 0; b < 4; b++) await cache.write(b * BS, pattern(BS, b), NO_FUA);
    // A partial-block write cannot bypass the cache: it waits for room.
    const fifth = track(cache.write(10 * BS + 1, pattern(100, 10), NO_FUA));
    await waitUntil(() => cache.stats().backpressureWaits > 0, 'the fifth writer to wait for room');
    expect(fifth.settled()).toBe(false);
    expect(cache.stats().dirtyBytes).toBe(size);
    faults.release('write');
    await fifth.promise;
    await cache.drain();
    expect(cache.stats().maxDirtyBytes).toBeLessThanOrEqual(size);
    expect(
      memory
        .durableImage()
        .subarray(10 * BS + 1, 10 * BS + 101)
        .equals(pattern(100, 10)),
    ).toBe(true);
  });

  it('a full cache writes whole uncached blocks straight to the backend, ordered with later writes to them', async () => {
    const { cache, faults, memory } = setup(MiB, { sizeBytes: 2 * BS });
    faults.hold('write');
    await cache.write(0, pattern(2 * BS, 1), NO_FUA); // fills the cache; its destage is held
    await faults.whenHeld('write');
    const around = track(cache.write(8 * BS, pattern(BS, 2), NO_FUA)); // bypasses: held on the backend
    await faults.whenHeld('write', 2);
    expect(cache.stats()).toMatchObject({ dirtyBytes: 2 * BS, backpressureWaits: 0 });
    const patch = track(cache.write(8 * BS + 10, pattern(20, 3), NO_FUA)); // must apply on top of the bypassing write
    const read = track(cache.read(8 * BS, BS));
    faults.release('write');
    await Promise.all([around.promise, patch.promise]);
    expect(cache.stats().bypassedBytes).toBe(BS);
    const expected = pattern(BS, 2);
    pattern(20, 3).copy(expected, 10);
    const seen = await read.promise;
    expect(seen.equals(pattern(BS, 2)) || seen.equals(expected), 'a read concurrent with both sees one of their results').toBe(true);
    expect((await cache.read(8 * BS, BS)).equals(expected)).toBe(true);
    await cache.drain();
    expect(block(memory.durableImage(), 8).equals(expected)).toBe(true);
  });

  it('cached data, clean and dirty, never exceeds the configured size', async () => {
    const { cache } = setup(4 * MiB, { sizeBytes: 64 * 1024 });
    for (let i = 0; i < 300; i++) {
      await cache.write(((i * 37) % 1000) * BS, pattern(BS, i), NO_FUA);
      await cache.read(((i * 91) % 1000) * BS, BS);
      expect(cache.stats().cachedBytes).toBeLessThanOrEqual(64 * 1024);
    }
  });
});

describe('write-back cache: write-through', () => {
  it('write-through: a write is on the backend and synced before it is acknowledged', async () => {
    const { cache, memory } = setup(MiB, { mode: 'writeThrough' });
    const data = pattern(3 * BS + 5, 4);
    await cache.write(BS - 5, data, NO_FUA);
    expect(firstDifference(memory.durableImage().subarray(BS - 5, BS - 5 + data.length), data)).toBe(-1);
    await cache.writeZeroes(BS, BS, NO_FUA);
    expect(block(memory.durableImage(), 1).equals(Buffer.alloc(BS))).toBe(true);
    cache.abandon();
    expect(cache.stats().mode).toBe('writeThrough');
  });

  it('SRV-13 forcing write-through flushes what is cached, makes later writes durable at once, and returning restores write-back', async () => {
    const { cache, memory } = setup(MiB, LAZY);
    await cache.write(0, pattern(BS, 1), NO_FUA);
    await cache.forceWriteThrough(true);
    expect(block(memory.durableImage(), 0).equals(pattern(BS, 1))).toBe(true);
    expect(cache.mode).toBe('writeThrough');
    await cache.write(BS, pattern(BS, 2), NO_FUA);
    expect(block(memory.durableImage(), 1).equals(pattern(BS, 2))).toBe(true);
    await cache.forceWriteThrough(false);
    expect(cache.stats()).toMatchObject({ mode: 'writeBack', configuredMode: 'writeBack' });
    await cache.write(2 * BS, pattern(BS, 3), NO_FUA);
    expect(block(memory.durableImage(), 2).equals(Buffer.alloc(BS))).toBe(true);
  });
});

describe('write-back cache: trim and write zeroes', () => {
  it('trim: whole blocks read as zeros (also after drain), partial blocks at the ends keep their data', async () => {
    const { cache, memory } = setup(4 * MiB, LAZY);
    const data = pattern(2 * MiB, 9);
    await cache.write(0, data, NO_FUA);
    const from = 100 * BS + 10;
    const to = 400 * BS + 20;
    await cache.trim(from, to - from, NO_FUA);
    const expected = Buffer.from(data);
    expected.fill(0, 101 * BS, 400 * BS);
    expect(firstDifference(await cache.read(0, 2 * MiB), expected)).toBe(-1);
    await cache.drain();
    expect(firstDifference(memory.durableImage().subarray(0, 2 * MiB), expected)).toBe(-1);
  });

  it('write zeroes: exactly the range reads as zeros, small and large, aligned or not', async () => {
    const { cache, memory } = setup(4 * MiB, { sizeBytes: 256 * 1024 });
    const expected = pattern(4 * MiB, 5);
    await cache.write(0, expected, NO_FUA);
    for (const [offset, length] of [
      [10, 20],
      [BS - 1, 2],
      [5 * BS, 3 * BS],
      [MiB + 333, MiB + 777],
    ] as const) {
      await cache.writeZeroes(offset, length, NO_FUA);
      expected.fill(0, offset, offset + length);
    }
    expect(firstDifference(await cache.read(0, 4 * MiB), expected)).toBe(-1);
    await cache.flush();
    expect(firstDifference(memory.durableImage(), expected)).toBe(-1);
  });

  it('DS-4 a trim waits for an older destage in its range, so the old data never lands after the discard', async () => {
    const { cache, faults, memory } = setup(4 * MiB);
    faults.hold('write');
    await cache.write(50 * BS, pattern(BS, 1), NO_FUA);
    await faults.whenHeld('write');
    const trim = track(cache.trim(0, MiB, NO_FUA));
    await cache.write(60 * BS, pattern(BS, 2), NO_FUA); // lands in the range while the trim waits
    faults.release('write');
    await trim.promise;
    await cache.drain();
    const image = memory.durableImage();
    expect(block(image, 50).equals(Buffer.alloc(BS))).toBe(true);
    const sixty = await cache.read(60 * BS, BS);
    expect(block(image, 60).equals(sixty)).toBe(true);
  });

  it('DS-3 a flush that covers a trimmed dirty block resolves only once the discard is on the backend', async () => {
    const { cache, faults, memory } = setup(4 * MiB, LAZY);
    await cache.write(100 * BS, pattern(BS, 1), NO_FUA);
    faults.hold('discard');
    const trim = track(cache.trim(0, MiB, NO_FUA));
    await faults.whenHeld('discard');
    const flush = track(cache.flush());
    await yieldTurns();
    expect(flush.settled()).toBe(false);
    expect(faults.calls.sync).toBe(0);
    faults.release('discard');
    await trim.promise;
    await flush.promise;
    expect(block(memory.durableImage(), 100).equals(Buffer.alloc(BS))).toBe(true);
  });

  it('DS-3 a FUA trim is durable when acknowledged', async () => {
    const { cache, memory } = setup(4 * MiB, LAZY);
    await cache.write(0, pattern(MiB, 1), FUA);
    await cache.trim(0, MiB, FUA);
    cache.abandon();
    expect(memory.durableImage().subarray(0, MiB).equals(Buffer.alloc(MiB))).toBe(true);
  });
});

describe('write-back cache: abandon', () => {
  it('SRV-11 abandon fails requests in progress with ESHUTDOWN and writes nothing more', async () => {
    const { cache, faults, memory } = setup(MiB, { sizeBytes: BS });
    faults.hold('write');
    await cache.write(0, pattern(BS, 1), NO_FUA);
    const waiting = track(cache.write(BS + 1, pattern(100, 2), NO_FUA)); // partial: waits for room
    const flush = track(cache.flush());
    await waitUntil(() => cache.stats().backpressureWaits > 0, 'the second writer to wait');
    cache.abandon();
    await expect(waiting.promise).rejects.toMatchObject({ code: 'ESHUTDOWN' });
    await expect(flush.promise).rejects.toMatchObject({ code: 'ESHUTDOWN' });
    const syncs = memory.stats.syncs;
    faults.release('write');
    await waitUntil(() => faults.heldCount('write') === 0, 'held writes to finish');
    expect(memory.stats.syncs).toBe(syncs);
    expect(block(memory.durableImage(), 1).equals(Buffer.alloc(BS))).toBe(true);
  });
});
