// Reads through the cache: from cached blocks where it can, else from the link below, keeping
// clean copies of small reads that missed (read populate).

import { fault } from '../../faults.js';
import type { BlockLayer } from '../../types.js';
import type { BlockIndex } from './block-index.js';
import type { BufferPool } from './buffer-pool.js';
import type { Lifecycle } from './lifecycle.js';
import type { LoadTokens } from './load-tokens.js';
import type { RangeOps } from './range-ops.js';
import { CACHE_BLOCK_SIZE as BS, type CacheConfig, type LoadToken } from './types.js';

/** What reads work with. */
export interface ReadPathParts {
  readonly next: BlockLayer;
  readonly index: BlockIndex;
  readonly ranges: RangeOps;
  readonly tokens: LoadTokens;
  readonly pool: BufferPool;
  readonly lifecycle: Lifecycle;
  readonly config: CacheConfig;
}

/**
 * Reads see every write acknowledged before them: from the cache while a block is cached (dirty,
 * in flight or clean), else from the backend, which then holds its latest data.
 *
 * Invariants:
 * - A cached block is copied out synchronously, so a read never sees half of a write (buffers
 *   are immutable once installed).
 * - No backend read overlaps a range operation (it waits for `done`).
 * - A block read from the backend is kept only if its load token is still valid when the read
 *   completes and the block was not cached meanwhile.
 */
export class ReadPath {
  /** Blocks of reads served from the cache. */
  hitBlocks = 0;
  /** Blocks of reads served from the backend. */
  missBlocks = 0;

  constructor(private readonly parts: ReadPathParts) {}

  /** Serves a read entirely from the cache, or returns null when a block is missing or a range operation covers it. */
  cached(offset: number, length: number): Buffer | null {
    if (length === 0) return Buffer.alloc(0);
    if (fault('readBackendUnderDirty')) return null;
    const { index, ranges } = this.parts;
    const first = Math.floor(offset / BS);
    const last = Math.floor((offset + length - 1) / BS);
    if (ranges.any && ranges.over(first, last + 1) !== null) return null;
    for (let b = first; b <= last; b++) if (!index.has(b)) return null;
    const out = Buffer.allocUnsafe(length);
    this.copyCached(first, last, offset, length, out);
    return out;
  }

  /** Serves a read that `cached` could not: waits out range operations, reads the missing runs from the backend. */
  async slow(offset: number, length: number): Promise<Buffer> {
    const { index, ranges, lifecycle, next, tokens } = this.parts;
    const end = offset + length;
    const first = Math.floor(offset / BS);
    const last = Math.floor((end - 1) / BS);
    for (;;) {
      lifecycle.checkAlive();
      const op = ranges.any ? ranges.over(first, last + 1) : null;
      if (op === null) break;
      await op.done;
    }
    // Missing runs of blocks, as [start, end) pairs.
    const runs: number[] = [];
    let runStart = -1;
    let cached = 0;
    for (let b = first; b <= last; b++) {
      if (index.has(b)) {
        cached++;
        if (runStart >= 0) runs.push(runStart, b);
        runStart = -1;
      } else if (runStart < 0) {
        runStart = b;
      }
    }
    if (runStart >= 0) runs.push(runStart, last + 1);
    if (cached === 0 || fault('readBackendUnderDirty')) {
      this.missBlocks += last - first + 1;
      const populate = length <= this.parts.config.populateMaxBytes;
      const loadTokens = populate ? tokens.takeRange(first, last) : null;
      const data = await next.read(offset, length);
      lifecycle.checkAlive();
      if (loadTokens !== null) this.populate(first, last, offset, data, loadTokens);
      return data;
    }
    const out = Buffer.allocUnsafe(length);
    this.copyCached(first, last, offset, length, out);
    this.missBlocks += last - first + 1 - cached;
    const reads: Array<Promise<void>> = [];
    for (let i = 0; i < runs.length; i += 2) {
      const from = Math.max(offset, (runs[i] as number) * BS);
      const to = Math.min(end, (runs[i + 1] as number) * BS);
      reads.push(next.read(from, to - from).then((data) => void data.copy(out, from - offset)));
    }
    await Promise.all(reads);
    lifecycle.checkAlive();
    return out;
  }

  /** Copies the cached blocks of [offset, offset + length) into `out`; counts hits, refreshes LRU. */
  private copyCached(first: number, last: number, offset: number, length: number, out: Buffer): void {
    const index = this.parts.index;
    const end = offset + length;
    for (let b = first; b <= last; b++) {
      const e = index.get(b);
      if (e === undefined) continue;
      const start = b * BS;
      const from = Math.max(offset, start);
      const to = Math.min(end, start + BS);
      e.data.copy(out, from - offset, from - start, to - start);
      this.hitBlocks++;
      index.touch(e);
    }
  }

  /** Keeps clean copies of the whole blocks of a read that missed, if nothing changed meanwhile. */
  private populate(first: number, last: number, offset: number, data: Buffer, loadTokens: LoadToken[]): void {
    const { index, tokens, pool } = this.parts;
    const end = offset + data.length;
    for (let b = first; b <= last; b++) {
      const start = b * BS;
      if (start < offset || start + BS > end || index.has(b)) continue;
      if (!tokens.valid(loadTokens[b - first], b)) continue;
      if (!index.roomForClean()) return;
      const copy = pool.take();
      data.copy(copy, 0, start - offset, start - offset + BS);
      index.addClean(b, copy);
    }
  }
}
