// The cache over the real file backend (temp dir), with real concurrency: what is in the backing
// file after a drain (SRV-3) or after a crash (abandon: SRV-11, DS-3).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFileBackend } from '../../../../engine/storage/file-backend.js';
import { WriteBackCache } from '../../../../engine/storage/write-back-cache.js';
import { firstDifference, makeTempDir, pattern, removeTempDir } from '../../../helpers/storage-fixtures.js';
import { disjoint, opArbitrary, runBatch } from '../../../helpers/storage-ops.js';
import { ReferenceDisk } from '../../../helpers/storage-reference-model.js';

const BS = 4096;
const MiB = 1024 * 1024;
const DISK = 64 * BS;
let dir = '';

beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeTempDir(dir);
});

describe('write-back cache over a file backend', () => {
  it('SRV-3 after random concurrent requests, drain leaves the backing file identical to the reference model', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(2, 8, 32),
        fc.array(fc.array(opArbitrary(DISK), { minLength: 1, maxLength: 6 }).map(disjoint), { minLength: 1, maxLength: 12 }),
        async (cacheBlocks, batches) => {
          const path = join(dir, `disk-${run++}.img`);
          const backend = await openFileBackend(path, DISK);
          const cache = new WriteBackCache(backend, { mode: 'writeBack', sizeBytes: cacheBlocks * BS });
          const model = new ReferenceDisk(DISK);
          try {
            for (const [n, batch] of batches.entries()) await runBatch(cache, model, batch, n, false);
            await cache.drain();
            const at = firstDifference(await readFile(path), model.bytes);
            expect(at, `after drain, file byte ${at} (block ${Math.floor(at / BS)}) differs from the model`).toBe(-1);
          } finally {
            await cache.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('SRV-11 DS-3 after a crash (abandon) the file holds every flushed or FUA write', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(opArbitrary(DISK), { minLength: 1, maxLength: 6 }).map(disjoint), { minLength: 1, maxLength: 12 }),
        async (batches) => {
          const path = join(dir, `crash-${run++}.img`);
          const backend = await openFileBackend(path, DISK);
          const cache = new WriteBackCache(backend, { mode: 'writeBack', sizeBytes: 8 * BS, destageDelayMs: 60_000 });
          const model = new ReferenceDisk(DISK);
          for (const [n, batch] of batches.entries()) await runBatch(cache, model, batch, n, false);
          cache.abandon();
          await backend.close(); // waits for writes already in flight, as the kernel would finish them
          expect(model.crashViolations(await readFile(path))).toEqual([]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('SRV-3 close drains a large unaligned write and closes the file; reopening shows it', async () => {
    const path = join(dir, 'big.img');
    const cache = new WriteBackCache(await openFileBackend(path, 40 * MiB), { mode: 'writeBack', sizeBytes: 4 * MiB });
    const data = pattern(32 * MiB, 3);
    await cache.write(12345, data, { fua: false });
    await cache.close();
    const reopened = await openFileBackend(path, 40 * MiB);
    expect(firstDifference(await reopened.read(12345, 32 * MiB), data)).toBe(-1);
    await reopened.close();
  });
});
