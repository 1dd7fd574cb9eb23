// Random concurrent request sequences against the cache, compared with a reference model.
// fast-check's scheduler decides the order in which backend operations (destage writes, loads,
// syncs, discards) complete, so destages race with newer writes, reads, trims and flushes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FaultInjectingBackend } from '../../../../engine/storage/fault-injecting-backend.js';
import { MemoryBackend } from '../../../../engine/storage/memory-backend.js';
import type { CacheMode } from '../../../../engine/storage/types.js';
import { WriteBackCache } from '../../../../engine/storage/write-back-cache.js';
import { firstDifference, pattern, withDeadline } from '../../../helpers/storage-fixtures.js';
import { disjoint, label, opArbitrary, runBatch, type Op } from '../../../helpers/storage-ops.js';
import { ReferenceDisk } from '../../../helpers/storage-reference-model.js';

const BS = 4096;
const DISK = 40 * BS;
/** Runs per property; raise with SANSPEC_STORAGE_RUNS for a longer hunt. */
const RUNS = Number(process.env.SANSPEC_STORAGE_RUNS ?? 300);

const opArb = opArbitrary(DISK);

/** Lets the scheduler run until `promise` settles; a hang fails with the cache's counters. */
function settle<T>(s: fc.Scheduler, cache: WriteBackCache, promise: Promise<T>): Promise<T> {
  return withDeadline(s.waitFor(promise), 5000, () => `cache ${JSON.stringify(cache.stats())}, ${s.count()} scheduled backend operations`);
}

const configArb = fc.record({
  mode: fc.constantFrom<CacheMode>('writeBack', 'writeBack', 'writeThrough'),
  cacheBlocks: fc.constantFrom(1, 2, 4, 8, 12, 16, 64),
  maxDestageBlocks: fc.constantFrom(1, 4, 256),
  concurrency: fc.constantFrom(1, 2, 8),
  populate: fc.boolean(),
});

describe('write-back cache against a reference model, random concurrent requests', () => {
  it('VD-2 DS-3 DS-4 SRV-3 SRV-11 reads see acknowledged writes, a drain leaves the backend equal to the model, a crash keeps every flushed or FUA write', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        configArb,
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }).map(disjoint), { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        async (s, config, batches, crash) => {
          const memory = new MemoryBackend(DISK, 'property');
          const backend = new FaultInjectingBackend(memory, {
            gate: (op, offset, length, phase) => s.schedule(Promise.resolve(), `${op} ${length}@${offset} ${phase}`),
          });
          const cache = new WriteBackCache(backend, {
            mode: config.mode,
            sizeBytes: config.cacheBlocks * BS,
            maxDestageBytes: config.maxDestageBlocks * BS,
            destageConcurrency: config.concurrency,
            readPopulateMaxBytes: config.populate ? 64 * 1024 : 0,
            closeBackend: false,
          });
          const model = new ReferenceDisk(DISK);
          const durableOnAck = config.mode === 'writeThrough';

          for (const [n, batch] of batches.entries()) {
            const runs = runBatch(cache, model, batch, n, durableOnAck);
            await settle(s, cache, runs);
            expect(cache.stats().dirtyBytes).toBeLessThanOrEqual(config.cacheBlocks * BS);
          }

          expect(cache.stats().maxDirtyBytes).toBeLessThanOrEqual(config.cacheBlocks * BS);
          if (crash) {
            cache.abandon();
            expect(model.crashViolations(memory.durableImage())).toEqual([]);
            return;
          }
          await settle(s, cache, cache.drain());
          const image = memory.durableImage();
          const at = firstDifference(image, model.bytes);
          expect(at, `after drain, backend byte ${at} (block ${Math.floor(at / BS)}) differs from the model`).toBe(-1);
          const whole = await settle(s, cache, cache.read(0, DISK));
          expect(firstDifference(whole, model.bytes)).toBe(-1);
          await settle(s, cache, cache.close());
          expect(cache.stats().dirtyBytes).toBe(0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('DS-5 DS-8 overlapping concurrent requests: every block ends as some order of the writes, reads see whole states, nothing stale survives', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        configArb,
        fc.array(fc.array(opArb, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        async (s, config, batches) => {
          const memory = new MemoryBackend(DISK, 'overlap');
          const backend = new FaultInjectingBackend(memory, {
            gate: (op, offset, length, phase) => s.schedule(Promise.resolve(), `${op} ${length}@${offset} ${phase}`),
          });
          const cache = new WriteBackCache(backend, {
            mode: config.mode,
            sizeBytes: config.cacheBlocks * BS,
            maxDestageBytes: config.maxDestageBlocks * BS,
            destageConcurrency: config.concurrency,
            readPopulateMaxBytes: config.populate ? 64 * 1024 : 0,
            closeBackend: false,
          });
          // Contents every block may hold, as the batch's writes apply in some order.
          let state: Buffer = Buffer.alloc(DISK);
          for (const [n, batch] of batches.entries()) {
            const before = state;
            const reads: Array<{ op: Op & { kind: 'read' }; got: Buffer }> = [];
            await settle(
              s,
              cache,
              Promise.all(
                batch.map(async (op) => {
                  switch (op.kind) {
                    case 'write':
                      return cache.write(op.offset, pattern(op.length, op.seed), { fua: op.fua });
                    case 'read':
                      reads.push({ op, got: await cache.read(op.offset, op.length) });
                      return;
                    case 'flush':
                      return cache.flush();
                    case 'trim':
                      return cache.trim(op.offset, op.length, { fua: op.fua });
                    case 'zero':
                      return cache.writeZeroes(op.offset, op.length, { fua: op.fua });
                  }
                }),
              ),
            );
            const after = await settle(s, cache, cache.read(0, DISK));
            for (let b = 0; b < DISK / BS; b++) {
              const writers = batch.filter((op) => op.kind !== 'read' && op.kind !== 'flush' && changes(op, b));
              const start = before.subarray(b * BS, b * BS + BS);
              const finals = orderings(start, writers, b, true);
              const final = after.subarray(b * BS, b * BS + BS).toString('base64');
              if (!finals.has(final)) {
                throw new Error(
                  `batch ${n}: block ${b} ends in a state no order of its ${writers.length} writers (${writers.map((w) => label(w, n)).join('; ')}) gives`,
                );
              }
              const seen = orderings(start, writers, b, false);
              for (const { op, got } of reads) {
                const first = Math.floor(op.offset / BS);
                const last = Math.floor((op.offset + op.length - 1) / BS);
                if (b < first || b > last) continue;
                // Compare only the bytes the read covers.
                const from = Math.max(op.offset, b * BS);
                const to = Math.min(op.offset + op.length, b * BS + BS);
                const piece = got.subarray(from - op.offset, to - op.offset).toString('base64');
                const ok = [...seen].some(
                  (v) =>
                    Buffer.from(v, 'base64')
                      .subarray(from - b * BS, to - b * BS)
                      .toString('base64') === piece,
                );
                if (!ok) throw new Error(`batch ${n}: ${label(op, n)} returned bytes of block ${b} that no state of it had`);
              }
            }
            state = after;
          }
          await settle(s, cache, cache.drain());
          const at = firstDifference(memory.durableImage(), state);
          expect(at, `after drain, backend byte ${at} (block ${Math.floor(at / BS)}) differs from what the cache served`).toBe(-1);
          expect(cache.stats().maxDirtyBytes).toBeLessThanOrEqual(config.cacheBlocks * BS);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/** Whether a modifying op changes block `b` (a trim changes only whole blocks). */
function changes(op: Op, b: number): boolean {
  if (op.kind === 'flush' || op.kind === 'read') return false;
  const start = b * BS;
  if (op.kind === 'trim') return op.offset <= start && op.offset + op.length >= start + BS;
  return op.offset < start + BS && op.offset + op.length > start;
}

/** Applies a modifying op to a copy of block `b`. */
function apply(block: Buffer, op: Op, b: number): Buffer {
  const out = Buffer.from(block);
  if (op.kind === 'flush' || op.kind === 'read') return out;
  const start = b * BS;
  const from = Math.max(op.offset, start);
  const to = Math.min(op.offset + op.length, start + BS);
  if (op.kind === 'write') pattern(op.length, op.seed).copy(out, from - start, from - op.offset, to - op.offset);
  else out.fill(0, from - start, to - start);
  return out;
}

/** States of block `b` after applying `ops` in every order: all of them (`complete`) or every prefix too. */
function orderings(start: Buffer, ops: readonly Op[], b: number, complete: boolean): Set<string> {
  const out = new Set<string>();
  const walk = (block: Buffer, left: readonly Op[]): void => {
    if (!complete || left.length === 0) out.add(block.toString('base64'));
    for (const [i, op] of left.entries()) walk(apply(block, op, b), [...left.slice(0, i), ...left.slice(i + 1)]);
  };
  walk(start, ops);
  return out;
}
