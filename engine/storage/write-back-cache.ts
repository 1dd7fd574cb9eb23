// The write cache of one virtual disk on one server, shared by all NBD connections of that
// server: a link of the I/O chain over the link below it (the backend), in 4 KiB blocks, bounded
// in size, with a background destager. ./README.md describes the design (ordering, flush
// generations, modes, write-around). This class coordinates the mechanisms in ./cache/, each of
// which keeps its own state and states its invariants:
//
//   block-index.ts        cached blocks, dirty/deferred/clean (LRU) lists   (nbdkit blk.c, lru.c)
//   buffer-pool.ts        spare block buffers
//   load-tokens.ts        whether a block read from the backend is still current
//   flush-generations.ts  when a flush has everything acknowledged before it on the backend
//   shared-sync.ts        backend syncs shared by concurrent flushes and FUA writes
//   destager.ts           background and FUA destage writes                (nbdkit reclaim.c)
//   range-ops.ts          discards and write-arounds going to the backend directly
//   room-queue.ts         writers waiting for room while the cache is full of dirty data
//   read-path.ts          reads from the cache and the backend, read populate
//   write-path.ts         installing writes: chunks, partial-block bases, waiting for room
//   lifecycle.ts          open/closing/closed/abandoned and the requests in progress

import { fault } from '../faults.js';
import { type BlockError, type BlockLayer, NO_FUA, type WriteOptions } from '../types.js';
import { BlockIndex } from './cache/block-index.js';
import { BufferPool } from './cache/buffer-pool.js';
import { checkRequest, toBlockError } from './cache/cache-errors.js';
import { resolveCacheConfig } from './cache/cache-options.js';
import { Destager } from './cache/destager.js';
import { FlushGenerations } from './cache/flush-generations.js';
import { Lifecycle } from './cache/lifecycle.js';
import { LoadTokens } from './cache/load-tokens.js';
import { RangeOps } from './cache/range-ops.js';
import { ReadPath } from './cache/read-path.js';
import { RoomQueue } from './cache/room-queue.js';
import { SharedSync } from './cache/shared-sync.js';
import { WritePath } from './cache/write-path.js';
import { CACHE_BLOCK_SIZE, type CacheConfig, type Installed, type RangeOp } from './cache/types.js';
import type { CacheMode, CacheStats, WriteBackCacheOptions } from './types.js';

export { CACHE_BLOCK_SIZE } from './cache/types.js';

const BS = CACHE_BLOCK_SIZE;
/** Trims and zero writes of at most this many whole blocks go through the cache as zero writes. */
const SMALL_RANGE_BLOCKS = 16;
/** Zeros for small zero writes (up to SMALL_RANGE_BLOCKS + 2 partial blocks). Never written to. */
const ZEROS = Buffer.alloc((SMALL_RANGE_BLOCKS + 2) * BS);
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A write-back (or write-through) block cache over the next link of the I/O chain.
 *
 * - Reads see every write acknowledged before them, from the cache while the block is cached
 *   (dirty, in flight, or clean), else from the backend.
 * - `flush()` resolves once every write acknowledged before it is on the backend and the backend
 *   is synced; a FUA write once its own blocks are. Write-through: every write is FUA.
 * - Cached data is bounded by `sizeBytes`: writers wait for the destager when it is full of dirty
 *   data (whole uncached blocks go straight to the backend instead).
 * - `close()` drains (SRV-3); `abandon()` drops the cache like a crash does (SRV-11).
 */
export class WriteBackCache implements BlockLayer {
  readonly size: number;
  readonly blockSize = BS;
  readonly location: string;
  /** Mode given at construction (SRV-6). */
  readonly configuredMode: CacheMode;

  private modeNow: CacheMode;
  private readonly config: CacheConfig;
  private readonly lifecycle: Lifecycle;
  private readonly pool: BufferPool;
  private readonly tokens: LoadTokens;
  private readonly index: BlockIndex;
  private readonly generations = new FlushGenerations();
  private readonly sync: SharedSync;
  private readonly ranges: RangeOps;
  private readonly rooms: RoomQueue;
  private readonly destager: Destager;
  private readonly reads: ReadPath;
  private readonly writes: WritePath;
  private closing: Promise<void> | null = null;
  /** Bytes written around the cache (whole uncached blocks while it was full). */
  private bypassedBytes = 0;

  constructor(
    /** The link below: a backend, or any link over one ("the backend" in the comments). */
    private readonly next: BlockLayer,
    options: WriteBackCacheOptions,
  ) {
    this.config = resolveCacheConfig(next, options);
    this.size = next.size;
    this.location = `write-back cache over ${next.location}`;
    this.configuredMode = this.config.mode;
    this.modeNow = this.config.mode;
    this.lifecycle = new Lifecycle(next.location, (error) => this.blockError(error));
    this.pool = new BufferPool(this.config.maxSpare);
    this.tokens = new LoadTokens();
    this.index = new BlockIndex(this.config.capacity, this.pool, this.tokens);
    this.sync = new SharedSync(next, () => this.lifecycle.checkAlive());
    this.ranges = new RangeOps(this.tokens);
    this.rooms = new RoomQueue(this.index);
    const parts = {
      next,
      config: this.config,
      lifecycle: this.lifecycle,
      pool: this.pool,
      tokens: this.tokens,
      index: this.index,
      generations: this.generations,
      sync: this.sync,
      ranges: this.ranges,
      rooms: this.rooms,
      toBlockError: (error: unknown) => this.blockError(error),
      progress: () => this.progress(),
    };
    this.destager = new Destager(parts);
    this.reads = new ReadPath(parts);
    this.writes = new WritePath({ ...parts, destager: this.destager });
  }

  /** Mode in effect now: the configured one, or write-through while forced (SRV-13). */
  get mode(): CacheMode {
    return this.modeNow;
  }

  /** Counters for status and benchmarks. */
  stats(): CacheStats {
    return {
      mode: this.modeNow,
      configuredMode: this.configuredMode,
      sizeBytes: this.config.capacity * BS,
      blockSize: BS,
      dirtyBytes: this.index.dirtyCount * BS,
      maxDirtyBytes: this.index.maxDirtyCount * BS,
      cachedBytes: this.index.size * BS,
      readHitBlocks: this.reads.hitBlocks,
      readMissBlocks: this.reads.missBlocks,
      destagedBytes: this.destager.destagedBytes,
      destageWrites: this.destager.destageWrites,
      destageErrors: this.destager.destageErrors,
      syncs: this.sync.syncs,
      backpressureWaits: this.rooms.waits,
      bypassedBytes: this.bypassedBytes,
    };
  }

  // -------------------------------------------------------------------------------------------
  // BlockDevice

  read(offset: number, length: number): Promise<Buffer> {
    try {
      this.lifecycle.checkOpen();
      checkRequest(this.next.location, this.size, offset, length, 'EINVAL');
      const fast = this.reads.cached(offset, length);
      if (fast !== null) return Promise.resolve(fast);
    } catch (error) {
      return Promise.reject(this.blockError(error));
    }
    return this.lifecycle.track(() => this.reads.slow(offset, length));
  }

  write(offset: number, data: Buffer, options: WriteOptions): Promise<void> {
    let durable: boolean;
    let first: number;
    let last: number;
    try {
      this.lifecycle.checkOpen();
      checkRequest(this.next.location, this.size, offset, data.length, 'ENOSPC');
      durable = (options.fua && !fault('fuaAsPlainWrite')) || this.modeNow === 'writeThrough';
      if (data.length === 0) return durable ? this.lifecycle.track(() => this.sync.request()) : RESOLVED;
      first = Math.floor(offset / BS);
      last = Math.floor((offset + data.length - 1) / BS);
      // Fast path: one chunk, room for it, partial blocks cached, no FUA: installed synchronously.
      if (!durable && last - first < this.config.chunkBlocks && this.writes.tryInstall(first, last, offset, data, null) !== null)
        return RESOLVED;
    } catch (error) {
      return Promise.reject(this.blockError(error));
    }
    if (last - first < this.config.chunkBlocks) {
      if (this.canWriteAround(first, last, offset, data.length)) return this.writeAround(first, last, offset, data, durable);
      return this.writeOneChunk(first, last, offset, data, durable);
    }
    return this.lifecycle.track(async () => {
      const installed = await this.writes.writeRange(offset, data);
      if (options.fua || this.modeNow === 'writeThrough') await this.makeDurable(installed);
    });
  }

  /** A write within one chunk that has to wait (for room, a partial block's load) or be made durable. */
  private async writeOneChunk(first: number, last: number, offset: number, data: Buffer, durable: boolean): Promise<void> {
    this.lifecycle.enter();
    try {
      const installed = await this.writes.writeChunk(first, last, offset, data);
      if (durable || this.modeNow === 'writeThrough') await this.makeDurable([installed]);
    } catch (error) {
      throw this.blockError(error);
    } finally {
      this.lifecycle.leave();
    }
  }

  flush(): Promise<void> {
    try {
      this.lifecycle.checkOpen();
    } catch (error) {
      return Promise.reject(this.blockError(error));
    }
    return this.lifecycle.track(() => this.flushAll());
  }

  /**
   * Discards a range. Whole 4 KiB blocks inside it read as zeros afterwards; the partial blocks
   * at its ends are left as they are (a trim is advisory).
   */
  trim(offset: number, length: number, options: WriteOptions): Promise<void> {
    try {
      this.lifecycle.checkOpen();
      checkRequest(this.next.location, this.size, offset, length, 'EINVAL');
    } catch (error) {
      return Promise.reject(this.blockError(error));
    }
    return this.lifecycle.track(async () => {
      const first = Math.ceil(offset / BS);
      const end = Math.floor((offset + length) / BS);
      const installed: Installed[] = [];
      if (end - first > SMALL_RANGE_BLOCKS) await this.discardBlocks(first, end);
      else if (end > first) installed.push(...(await this.writes.writeRange(first * BS, ZEROS.subarray(0, (end - first) * BS))));
      if (options.fua || this.modeNow === 'writeThrough') await this.makeDurable(installed);
    });
  }

  /** Writes zeros: partial blocks through the cache, long runs of whole blocks as a backend discard. */
  writeZeroes(offset: number, length: number, options: WriteOptions): Promise<void> {
    try {
      this.lifecycle.checkOpen();
      checkRequest(this.next.location, this.size, offset, length, 'ENOSPC');
    } catch (error) {
      return Promise.reject(this.blockError(error));
    }
    return this.lifecycle.track(async () => {
      const end = offset + length;
      const first = Math.ceil(offset / BS);
      const stop = Math.floor(end / BS);
      const installed: Installed[] = [];
      if (stop - first > SMALL_RANGE_BLOCKS) {
        if (first * BS > offset) installed.push(...(await this.writes.writeRange(offset, ZEROS.subarray(0, first * BS - offset))));
        if (end > stop * BS) installed.push(...(await this.writes.writeRange(stop * BS, ZEROS.subarray(0, end - stop * BS))));
        await this.discardBlocks(first, stop);
      } else if (length > 0) {
        installed.push(...(await this.writes.writeRange(offset, ZEROS.subarray(0, length))));
      }
      if (options.fua || this.modeNow === 'writeThrough') await this.makeDurable(installed);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle and mode

  /**
   * SRV-13: `true` switches to write-through now and resolves once everything cached before is
   * destaged and synced; `false` returns to the configured mode.
   */
  async forceWriteThrough(on: boolean): Promise<void> {
    this.lifecycle.checkOpen();
    if (!on) {
      this.modeNow = this.configuredMode;
      return;
    }
    this.modeNow = 'writeThrough';
    await this.lifecycle.track(() => this.flushAll());
  }

  /** Destages and syncs every write acknowledged before the call (a flush that also works while closing). */
  drain(): Promise<void> {
    if (this.lifecycle.ended) return Promise.reject(this.lifecycle.shutdownError());
    this.lifecycle.enter();
    return this.flushAll()
      .catch((error: unknown) => {
        throw this.blockError(error);
      })
      .finally(() => this.lifecycle.leave());
  }

  /**
   * Graceful stop (SRV-3): refuses new requests (ESHUTDOWN), waits for those in progress, destages
   * everything, syncs, and closes the backend (unless `closeBackend: false`). Resolves only when
   * every acknowledged write is on the backend and synced. If that fails, it rejects and the
   * cache stays closing; call `close()` again to retry, or `abandon()`.
   */
  close(): Promise<void> {
    const lifecycle = this.lifecycle;
    if (lifecycle.state === 'closed') return RESOLVED;
    if (fault('stopWithoutDestage') && lifecycle.state === 'open') this.abandon();
    if (lifecycle.state === 'abandoned') {
      lifecycle.state = 'closed';
      return this.config.closeBackend ? this.next.close() : RESOLVED;
    }
    this.closing ??= (async () => {
      lifecycle.state = 'closing';
      try {
        while (lifecycle.busy) await lifecycle.nextIdle();
        await this.flushAll();
        if (this.index.dirtyCount !== 0) throw new Error(`internal: ${this.index.dirtyCount} dirty blocks left after the final flush`);
      } catch (error) {
        this.closing = null;
        throw this.blockError(error);
      }
      lifecycle.state = 'closed';
      this.destager.stop();
      if (this.config.closeBackend) await this.next.close();
    })();
    return this.closing;
  }

  /**
   * Crash simulation (SRV-11): stops at once without writing anything more. Cached data is
   * dropped; requests in progress and later fail with ESHUTDOWN. Backend writes already in flight
   * may still land, as on a real crash. The backend is left open for inspection.
   */
  abandon(): void {
    if (this.lifecycle.ended) return;
    this.lifecycle.state = 'abandoned';
    this.destager.stop();
    const error = this.lifecycle.shutdownError();
    this.generations.clear(error);
    this.rooms.fail(error);
    this.index.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Durability

  /** Flush: waits until no write of a generation before this call is only in the cache, then syncs. */
  private async flushAll(): Promise<void> {
    const waiting = this.generations.waitFor(this.generations.close());
    if (waiting !== null) {
      this.destager.pump();
      await waiting;
    }
    if (fault('flushWithoutSync')) return;
    await this.sync.request();
  }

  /** FUA and write-through: destages the given blocks at once (at their installed version or newer), then syncs. */
  private async makeDurable(installed: readonly Installed[]): Promise<void> {
    await Promise.all(installed.map((i) => this.destager.force(i.first, i.last, i.seq)));
    await this.sync.request();
  }

  /** After dirty data went away: resolve flushes, wake writers, evict, keep destaging. */
  private progress(): void {
    this.generations.resolveReady();
    this.rooms.wake();
    this.index.evictOverflow();
    this.destager.pump();
  }

  // -------------------------------------------------------------------------------------------
  // Range operations: discards and write-around

  /**
   * Discards whole blocks [first, end) on the backend: waits for destages in flight there, drops
   * the cached blocks (holding their flush generations until the discard is done, so a flush
   * cannot resolve before the data it covered is either on the backend or discarded), discards.
   */
  private async discardBlocks(first: number, end: number): Promise<void> {
    const op = this.ranges.begin(first, end);
    const held: number[] = [];
    let failure: unknown = null;
    try {
      for (;;) {
        const waits = this.destager.inflightOver(first, end);
        if (waits.length === 0) break;
        await Promise.all(waits);
      }
      this.lifecycle.checkAlive();
      for (const e of this.index.entriesIn(first, end)) if (this.index.drop(e)) held.push(e.dirtyGen);
      this.rooms.wake();
      // writeZeroes, not trim: the blocks must read zeros afterwards (a backend discards either way).
      await this.next.writeZeroes(first * BS, (end - first) * BS, NO_FUA);
      this.sync.wrote();
    } catch (error) {
      failure = error;
    } finally {
      for (const gen of held) this.generations.remove(gen);
      if (failure !== null && this.lifecycle.state !== 'abandoned') this.generations.fail(this.blockError(failure));
      this.endRangeOp(op);
    }
    if (failure !== null) throw this.blockError(failure);
  }

  /** The cache is full and a write covers only whole, uncached blocks: it can go straight to the backend. */
  private canWriteAround(first: number, last: number, offset: number, length: number): boolean {
    if (offset % BS !== 0 || length % BS !== 0 || !this.rooms.needsRoom(first, last)) return false;
    for (let b = first; b <= last; b++) if (this.index.has(b)) return false;
    return !this.ranges.any || this.ranges.over(first, last + 1) === null;
  }

  /**
   * Write-around: writes the caller's data to the backend directly (no copy, no cache entry),
   * ordered like a discard against cached writes, loads and destages of the same blocks.
   */
  private async writeAround(first: number, last: number, offset: number, data: Buffer, durable: boolean): Promise<void> {
    this.lifecycle.enter();
    try {
      const op = this.ranges.begin(first, last + 1);
      try {
        await this.next.write(offset, data, NO_FUA);
        this.sync.wrote();
        this.bypassedBytes += data.length;
      } finally {
        this.endRangeOp(op);
      }
      this.lifecycle.checkAlive();
      if (durable || this.modeNow === 'writeThrough') await this.sync.request();
    } catch (error) {
      throw this.blockError(error);
    } finally {
      this.lifecycle.leave();
    }
  }

  /** Ends a range operation: its deferred blocks go back to the destager, waiters go on. */
  private endRangeOp(op: RangeOp): void {
    this.ranges.end(op);
    this.destager.undefer();
    op.finish();
    this.progress();
  }

  private blockError(error: unknown): BlockError {
    return toBlockError(this.next.location, error);
  }
}
