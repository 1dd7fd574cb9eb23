import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileBackend, openFileBackend, PUNCH_HOLE_MIN_BYTES } from '../../../../engine/storage/file-backend.js';
import { MemoryBackend } from '../../../../engine/storage/memory-backend.js';
import { openBackend } from '../../../../engine/storage/open-backend.js';
import { hasTool } from '../../../helpers/debian-tools.js';
import { makeTempDir, pattern, removeTempDir } from '../../../helpers/storage-fixtures.js';

const MiB = 1024 * 1024;
const hasFallocate = hasTool('fallocate');
if (!hasFallocate) console.warn('skipping the hole-punching test: fallocate (util-linux) is not installed');
let dir = '';
const open: FileBackend[] = [];

beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  for (const backend of open.splice(0)) await backend.close();
  await removeTempDir(dir);
});

async function openFile(name: string, size: number): Promise<FileBackend> {
  const backend = await openFileBackend(join(dir, name), size);
  open.push(backend);
  return backend;
}

describe('file backend', () => {
  it('creates a missing backing file sparse, with the requested size', async () => {
    const backend = await openFile('disk.img', 64 * MiB);
    expect(backend.created).toBe(true);
    const info = await stat(join(dir, 'disk.img'));
    expect(info.size).toBe(64 * MiB);
    expect(info.blocks * 512).toBeLessThan(MiB);
    expect((await backend.read(10 * MiB, 4096)).equals(Buffer.alloc(4096))).toBe(true);
  });

  it('refuses an existing file of another size with STORAGE_SIZE_MISMATCH, naming both sizes, and leaves it alone', async () => {
    await writeFile(join(dir, 'disk.img'), pattern(5000, 1));
    const opening = openFileBackend(join(dir, 'disk.img'), 8192);
    await expect(opening).rejects.toMatchObject({ code: 'STORAGE_SIZE_MISMATCH' });
    await expect(opening).rejects.toThrow(/is 5000 bytes but 8192 bytes were asked for/);
    expect((await readFile(join(dir, 'disk.img'))).equals(pattern(5000, 1))).toBe(true);
  });

  it('VD-2 data written and synced is there after closing and opening again', async () => {
    const first = await openFile('disk.img', 4 * MiB);
    await first.write(MiB + 3, pattern(70_000, 2));
    await first.writev(3 * MiB, [pattern(4096, 3), pattern(8192, 4)]);
    await first.sync();
    await first.close();
    const second = await openFile('disk.img', 4 * MiB);
    expect(second.created).toBe(false);
    expect((await second.read(MiB + 3, 70_000)).equals(pattern(70_000, 2))).toBe(true);
    expect((await second.read(3 * MiB + 4096, 8192)).equals(pattern(8192, 4))).toBe(true);
  });

  it('does positional I/O: many concurrent requests at different offsets all land where asked', async () => {
    const backend = await openFile('disk.img', 4 * MiB);
    await Promise.all(Array.from({ length: 64 }, (_, i) => backend.write(i * 65_536 + i, pattern(60_000, i))));
    const reads = await Promise.all(Array.from({ length: 64 }, (_, i) => backend.read(i * 65_536 + i, 60_000)));
    for (const [i, data] of reads.entries()) expect(data.equals(pattern(60_000, i)), `request ${i}`).toBe(true);
  });

  it('discard makes small and large ranges read back as zeros, and leaves the rest', async () => {
    const backend = await openFile('disk.img', 8 * MiB);
    await backend.write(0, pattern(8 * MiB, 5));
    await backend.discard(100, 1000);
    await backend.discard(2 * MiB + 7, 4 * MiB);
    const expected = pattern(8 * MiB, 5);
    expected.fill(0, 100, 1100);
    expected.fill(0, 2 * MiB + 7, 6 * MiB + 7);
    expect((await backend.read(0, 8 * MiB)).equals(expected)).toBe(true);
  });

  it.skipIf(!hasFallocate)('a large discard punches a hole: the file gets sparse again', async () => {
    const backend = await openFile('disk.img', 8 * MiB);
    await backend.write(0, pattern(8 * MiB, 5));
    await backend.sync();
    const allocated = (await stat(join(dir, 'disk.img'))).blocks * 512;
    await backend.discard(2 * MiB, 4 * MiB);
    expect(4 * MiB).toBeGreaterThanOrEqual(PUNCH_HOLE_MIN_BYTES);
    expect(backend.discardMethod).toBe('punchHole');
    expect((await stat(join(dir, 'disk.img'))).blocks * 512).toBeLessThanOrEqual(allocated - 4 * MiB);
    expect((await backend.read(2 * MiB, 4 * MiB)).equals(Buffer.alloc(4 * MiB))).toBe(true);
  });

  it('refuses requests outside the file (STORAGE_OUT_OF_RANGE) and use after close (STORAGE_CLOSED); close is idempotent', async () => {
    const backend = await openFile('disk.img', MiB);
    await expect(backend.write(MiB - 1, Buffer.alloc(2))).rejects.toMatchObject({ code: 'STORAGE_OUT_OF_RANGE' });
    await backend.close();
    await backend.close();
    await expect(backend.read(0, 1)).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
  });

  it('says STORAGE_OPEN_FAILED, with the path, when the directory does not exist', async () => {
    await expect(openFileBackend(join(dir, 'missing', 'disk.img'), MiB)).rejects.toMatchObject({ code: 'STORAGE_OPEN_FAILED' });
    await expect(openFileBackend(join(dir, 'missing', 'disk.img'), MiB)).rejects.toThrow(/missing\/disk\.img/);
  });

  it('openBackend opens file and memory backends and refuses an unknown kind with STORAGE_BAD_OPTIONS', async () => {
    const file = await openBackend({ kind: 'file', path: join(dir, 'f.img'), size: MiB });
    expect(file).toBeInstanceOf(FileBackend);
    await file.close();
    expect(await openBackend({ kind: 'memory', path: 'm', size: MiB })).toBeInstanceOf(MemoryBackend);
    await expect(openBackend({ kind: 'tape' as 'file', path: 'x', size: MiB })).rejects.toMatchObject({ code: 'STORAGE_BAD_OPTIONS' });
    await expect(openBackend({ kind: 'file', path: join(dir, 'g.img'), size: -1 })).rejects.toMatchObject({ code: 'STORAGE_BAD_OPTIONS' });
  });
});

describe('file backend reading on the calling thread (tuning.syncReads)', () => {
  it('synchronous reads return exactly what thread-pool reads return: written data, and zeros where nothing was written', async () => {
    const path = join(dir, 'sync.img');
    const writer = await openFileBackend(path, 8 * MiB);
    open.push(writer);
    const data = pattern(3 * 4096 + 100, 9);
    await writer.write(MiB + 7, data);
    await writer.sync();
    const syncReader = await openFileBackend(path, 8 * MiB, { syncReads: true });
    open.push(syncReader);
    expect(syncReader.syncReads).toBe(true);
    for (const [offset, length] of [
      [MiB + 7, data.length],
      [MiB - 4096, 3 * 4096],
      [0, 4096],
      [8 * MiB - 4096, 4096],
    ] as const) {
      expect((await syncReader.read(offset, length)).equals(await writer.read(offset, length))).toBe(true);
    }
    expect((await syncReader.read(MiB + 7, data.length)).equals(data)).toBe(true);
    await expect(syncReader.read(8 * MiB - 10, 20)).rejects.toThrow(/8388598|out of range|past|beyond|outside/i);
  });
});

describe('file backend writing on the calling thread (tuning.syncWrites)', () => {
  it('batched synchronous writes land exactly where thread-pool writes do: single, vectored and unaligned', async () => {
    const viaPool = await openFileBackend(join(dir, 'pool.img'), 8 * MiB);
    const viaSync = await openFileBackend(join(dir, 'sync.img'), 8 * MiB, { syncWrites: true });
    open.push(viaPool, viaSync);
    expect(viaSync.syncWrites).toBe(true);
    const writes: Array<[number, Buffer[]]> = [
      [0, [pattern(4096, 1)]],
      [MiB + 7, [pattern(3 * 4096 + 100, 2)]],
      [2 * MiB, [pattern(4096, 3), pattern(4096, 4), pattern(512, 5)]],
      [8 * MiB - 4096, [pattern(4096, 6)]],
    ];
    // Queued in one turn, as the destager does: they run as one batch.
    await Promise.all(writes.map(([offset, buffers]) => viaSync.writev(offset, buffers)));
    for (const [offset, buffers] of writes) await viaPool.writev(offset, buffers);
    await viaSync.sync();
    await viaPool.sync();
    expect((await readFile(join(dir, 'sync.img'))).equals(await readFile(join(dir, 'pool.img')))).toBe(true);
    await expect(viaSync.write(8 * MiB - 10, Buffer.alloc(20))).rejects.toThrow(/8388598|out of range|past|beyond|outside/i);
  });

  it('a writer that queues its next write from each completion (the destager) cannot starve host I/O on the event loop', async () => {
    const backend = await openFileBackend(join(dir, 'chain.img'), 8 * MiB, { syncWrites: true });
    open.push(backend);
    const total = 400;
    let done = 0;
    const chain = (async () => {
      for (let i = 0; i < total; i++) {
        await backend.write((i % 2048) * 4096, pattern(4096, i));
        done++;
      }
    })();
    // Network input and timers are handled between batches, long before the chain ends.
    const seenByTimer = await new Promise<number>((resolve) => setTimeout(() => resolve(done), 0));
    await chain;
    expect(seenByTimer).toBeLessThan(total);
    expect(done).toBe(total);
    expect((await backend.read(399 * 4096, 4096)).equals(pattern(4096, 399))).toBe(true);
  });

  it('SRV-3 close runs the writes already queued before it closes the file, and refuses later ones', async () => {
    const path = join(dir, 'close.img');
    const backend = await openFileBackend(path, 8 * MiB, { syncWrites: true });
    const queued = [backend.write(0, pattern(4096, 7)), backend.write(4096, pattern(4096, 8))];
    await backend.close();
    await Promise.all(queued);
    await expect(backend.write(8192, pattern(4096, 9))).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
    const file = await readFile(path);
    expect(file.subarray(0, 4096).equals(pattern(4096, 7))).toBe(true);
    expect(file.subarray(4096, 8192).equals(pattern(4096, 8))).toBe(true);
    expect(file.subarray(8192, 12288).equals(Buffer.alloc(4096))).toBe(true);
  });
});
