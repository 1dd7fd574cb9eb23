// The write cache of one virtual disk on one server, shared by all NBD connections of that
// server: a `BlockDevice` over a `Backend`, in 4 KiB blocks, bounded in size, with a background
// destager. ./README.md describes the design (ordering, flush generations, modes, write-around).

import { BlockError, type BlockDevice, type WriteOptions } from '../types.js';
import { EntryList, type ListNode } from './entry-list.js';
import { messageOf, StorageError, systemErrorCode } from './storage-error.js';
import type { CacheMode, CacheStats, StorageBackend, WriteBackCacheOptions } from './types.js';

/** Cache block size: the unit of caching, destaging and crash atomicity. */
export const CACHE_BLOCK_SIZE = 4096;
const BS = CACHE_BLOCK_SIZE;

/** Trims and zero writes of at most this many whole blocks go through the cache as zero writes. */
const SMALL_RANGE_BLOCKS = 16;
/** Zeros for small zero writes (up to SMALL_RANGE_BLOCKS + 2 partial blocks). Never written to. */
const ZEROS = Buffer.alloc((SMALL_RANGE_BLOCKS + 2) * BS);
/** Eviction counters are kept per slot (block number modulo this), see `LoadToken`. */
const SLOTS = 16384;
const SLOT_MASK = SLOTS - 1;
const RESOLVED: Promise<void> = Promise.resolve();

type CacheState = 'open' | 'closing' | 'closed' | 'abandoned';

/** A cached block. Its `data` buffer is never modified once installed: writes replace it. */
interface CacheEntry extends ListNode<CacheEntry> {
  /** Block number. */
  readonly block: number;
  /** Latest contents (4096 bytes, immutable). */
  data: Buffer;
  /** Sequence number of the write (or load) that produced `data`. */
  seq: number;
  /** The backend holds this block as of at least this sequence number. */
  writtenSeq: number;
  /** `data` is not (known to be) on the backend. */
  dirty: boolean;
  /** Flush generation of the oldest write of this block not yet on the backend (when dirty). */
  dirtyGen: number;
  /** Generation of the first write that landed while a destage was in flight; -1 if none. */
  pendingGen: number;
  /** The destage write in flight for this block, if any. */
  inflight: DestageRun | null;
  /** When it became dirty (performance.now()), for `destageDelayMs`. */
  dirtyAt: number;
}

/** One backend write of adjacent blocks. */
interface DestageRun {
  /** First block. */
  readonly first: number;
  /** Blocks, in order. */
  readonly entries: CacheEntry[];
  /** `seq` of each entry when its data was taken. */
  readonly seqs: number[];
  /** The data written (each entry's `data` when the run started). */
  readonly buffers: Buffer[];
  /** Started by the destager (counts against `destageConcurrency`), not by a FUA write. */
  readonly background: boolean;
  /** Settles when the write finished: null, or the error it failed with. */
  done: Promise<Error | null>;
}

/** An operation on whole blocks done directly on the backend: a discard (trim, zero write) or a write-around. */
interface RangeOp {
  /** First block. */
  readonly first: number;
  /** Block after the last. */
  readonly end: number;
  /** Resolves when the operation finished (successfully or not). */
  readonly done: Promise<void>;
}

/** Proof that a block read from the backend is still current: nothing was evicted or discarded since. */
interface LoadToken {
  readonly rangeEpoch: number;
  readonly slot: number;
}

interface Loaded {
  readonly data: Buffer;
  readonly token: LoadToken;
}

/** Blocks installed by one write: what FUA and write-through make durable. */
interface Installed {
  readonly first: number;
  readonly last: number;
  readonly seq: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

interface RoomWaiter extends Waiter {
  /** Blocks the writer needs to make dirty (an estimate; it checks again when woken). */
  readonly need: number;
}

interface FlushWaiter extends Waiter {
  /** Resolved once no write of this generation or older is only in the cache. */
  readonly gen: number;
}

/**
 * A write-back (or write-through) block cache over a backend.
 *
 * - Reads see every write acknowledged before them, from the cache while the block is cached
 *   (dirty, in flight, or clean), else from the backend.
 * - `flush()` resolves once every write acknowledged before it is on the backend and the backend
 *   is synced; a FUA write once its own blocks are. Write-through: every write is FUA.
 * - Cached data is bounded by `sizeBytes`: writers wait for the destager when it is full of dirty
 *   data (whole uncached blocks go straight to the backend instead).
 * - `close()` drains (SRV-3); `abandon()` drops the cache like a crash does (SRV-11).
 */
export class WriteBackCache implements BlockDevice {
  readonly size: number;
  readonly blockSize = BS;
  /** Mode given at construction (SRV-6). */
  readonly configuredMode: CacheMode;

  private modeNow: CacheMode;
  private state: CacheState = 'open';
  private readonly capacity: number;
  private readonly chunkBlocks: number;
  private readonly maxRunBlocks: number;
  private readonly concurrency: number;
  private readonly delayMs: number;
  private readonly populateMaxBytes: number;
  private readonly retryDelayMs: number;
  private readonly closeBackend: boolean;

  private readonly entries = new Map<number, CacheEntry>();
  /** Dirty blocks waiting to be destaged, oldest first. */
  private readonly dirtyList = new EntryList<CacheEntry>();
  /** Dirty blocks held back while a discard covers them. */
  private readonly deferred = new EntryList<CacheEntry>();
  /** Clean blocks, least recently used first. */
  private readonly clean = new EntryList<CacheEntry>();
  private dirtyCount = 0;
  private readonly inflight = new Set<DestageRun>();
  private destagerRuns = 0;
  private readonly rangeOps = new Set<RangeOp>();
  private rangeEpoch = 0;
  private readonly evictions = new Uint32Array(SLOTS);
  /** Block buffers no longer referenced, for reuse. */
  private readonly spare: Buffer[] = [];
  private readonly maxSpare: number;

  private seq = 0;
  /** Current flush generation: writes are tagged with it, a flush closes it. */
  private gen = 0;
  /** Count of blocks whose oldest unwritten write belongs to each generation. */
  private readonly genCounts = new Map<number, number>();
  private flushWaiters: FlushWaiter[] = [];
  private roomWaiters: RoomWaiter[] = [];
  /** Blocks reserved for writers woken from `roomWaiters` that have not resumed yet. */
  private reserved = 0;
  private idleWaiters: Array<() => void> = [];
  private active = 0;

  /** Backend writes (and discards) completed so far, and how many of them the last sync covered. */
  private writeEpoch = 0;
  private syncedEpoch = 0;
  private syncRunning: Promise<void> | null = null;
  private syncNext: Promise<void> | null = null;

  private delayTimer: NodeJS.Timeout | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;

  private readonly counters = {
    maxDirtyBlocks: 0,
    readHitBlocks: 0,
    readMissBlocks: 0,
    destagedBytes: 0,
    destageWrites: 0,
    destageErrors: 0,
    syncs: 0,
    backpressureWaits: 0,
    bypassedBytes: 0,
  };

  constructor(
    private readonly backend: StorageBackend,
    options: WriteBackCacheOptions,
  ) {
    const bad = (what: string): never => {
      throw new StorageError('STORAGE_BAD_OPTIONS', `write-back cache over ${backend.location}: ${what}`);
    };
    if (backend.size % BS !== 0) bad(`backend size ${backend.size} is not a multiple of ${BS}; size virtual disks in whole 4 KiB blocks`);
    if (options.mode !== 'writeBack' && options.mode !== 'writeThrough')
      bad(`mode ${String(options.mode)} is not writeBack or writeThrough`);
    if (!Number.isSafeInteger(options.sizeBytes) || options.sizeBytes < BS || options.sizeBytes % BS !== 0) {
      bad(`sizeBytes ${options.sizeBytes} must be a multiple of ${BS} and at least ${BS}`);
    }
    const maxDestage = options.maxDestageBytes ?? 1024 * 1024;
    if (!Number.isSafeInteger(maxDestage) || maxDestage < BS || maxDestage % BS !== 0) {
      bad(`maxDestageBytes ${maxDestage} must be a multiple of ${BS} and at least ${BS}`);
    }
    const concurrency = options.destageConcurrency ?? 4;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1) bad(`destageConcurrency ${concurrency} must be a whole number >= 1`);
    this.size = backend.size;
    this.configuredMode = options.mode;
    this.modeNow = options.mode;
    this.capacity = options.sizeBytes / BS;
    this.chunkBlocks = Math.max(1, Math.min(1024, Math.floor(this.capacity / 4)));
    this.maxRunBlocks = maxDestage / BS;
    this.concurrency = concurrency;
    this.delayMs = Math.max(0, options.destageDelayMs ?? 0);
    this.populateMaxBytes = Math.max(0, options.readPopulateMaxBytes ?? 128 * 1024);
    this.retryDelayMs = Math.max(0, options.retryDelayMs ?? 100);
    this.closeBackend = options.closeBackend ?? true;
    this.maxSpare = Math.min(this.capacity, 1024);
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
      sizeBytes: this.capacity * BS,
      blockSize: BS,
      dirtyBytes: this.dirtyCount * BS,
      maxDirtyBytes: this.counters.maxDirtyBlocks * BS,
      cachedBytes: this.entries.size * BS,
      readHitBlocks: this.counters.readHitBlocks,
      readMissBlocks: this.counters.readMissBlocks,
      destagedBytes: this.counters.destagedBytes,
      destageWrites: this.counters.destageWrites,
      destageErrors: this.counters.destageErrors,
      syncs: this.counters.syncs,
      backpressureWaits: this.counters.backpressureWaits,
      bypassedBytes: this.counters.bypassedBytes,
    };
  }

  // -------------------------------------------------------------------------------------------
  // BlockDevice

  read(offset: number, length: number): Promise<Buffer> {
    try {
      this.checkOpen();
      this.checkRequest(offset, length, 'EINVAL');
      const fast = this.readCached(offset, length);
      if (fast !== null) return Promise.resolve(fast);
    } catch (error) {
      return Promise.reject(this.blockError(error));
    }
    return this.track(() => this.readSlow(offset, length));
  }

  write(offset: number, data: Buffer, options: WriteOptions): Promise<void> {
    let durable: boolean;
    let first: number;
    let last: number;
    try {
      this.checkOpen();
      this.checkRequest(offset, data.length, 'ENOSPC');
      durable = options.fua || this.modeNow === 'writeThrough';
      if (data.length === 0) return durable ? this.track(() => this.requestSync()) : RESOLVED;
      first = Math.floor(offset / BS);
      last = Math.floor((offset + data.length - 1) / BS);
      // Fast path: one chunk, room for it, partial blocks cached, no FUA: installed synchronously.
      if (!durable && last - first < this.chunkBlocks && this.tryInstall(first, last, offset, data, null) !== null) return RESOLVED;
    } catch (error) {
      return Promise.reject(this.blockError(error));
    }
    if (last - first < this.chunkBlocks) {
      if (this.canWriteAround(first, last, offset, data.length)) return this.writeAround(first, last, offset, data, durable);
      return this.writeOneChunk(first, last, offset, data, durable);
    }
    return this.track(async () => {
      const installed = await this.writeRange(offset, data);
      if (options.fua || this.modeNow === 'writeThrough') await this.makeDurable(installed);
    });
  }

  /** A write within one chunk that has to wait (for room, a partial block's load) or be made durable. */
  private async writeOneChunk(first: number, last: number, offset: number, data: Buffer, durable: boolean): Promise<void> {
    this.active++;
    try {
      const installed = await this.writeChunk(first, last, offset, data);
      if (durable || this.modeNow === 'writeThrough') await this.makeDurable([installed]);
    } catch (error) {
      throw this.blockError(error);
    } finally {
      this.done();
    }
  }

  flush(): Promise<void> {
    try {
      this.checkOpen();
    } catch (error) {
      return Promise.reject(this.blockError(error));
    }
    return this.track(() => this.flushAll());
  }

  /**
   * Discards a range. Whole 4 KiB blocks inside it read as zeros afterwards; the partial blocks
   * at its ends are left as they are (a trim is advisory).
   */
  trim(offset: number, length: number, options: WriteOptions): Promise<void> {
    try {
      this.checkOpen();
      this.checkRequest(offset, length, 'EINVAL');
    } catch (error) {
      return Promise.reject(this.blockError(error));
    }
    return this.track(async () => {
      const first = Math.ceil(offset / BS);
      const end = Math.floor((offset + length) / BS);
      const installed: Installed[] = [];
      if (end - first > SMALL_RANGE_BLOCKS) await this.discardBlocks(first, end);
      else if (end > first) installed.push(...(await this.writeRange(first * BS, ZEROS.subarray(0, (end - first) * BS))));
      if (options.fua || this.modeNow === 'writeThrough') await this.makeDurable(installed);
    });
  }

  /** Writes zeros: partial blocks through the cache, long runs of whole blocks as a backend discard. */
  writeZeroes(offset: number, length: number, options: WriteOptions): Promise<void> {
    try {
      this.checkOpen();
      this.checkRequest(offset, length, 'ENOSPC');
    } catch (error) {
      return Promise.reject(this.blockError(error));
    }
    return this.track(async () => {
      const end = offset + length;
      const first = Math.ceil(offset / BS);
      const stop = Math.floor(end / BS);
      const installed: Installed[] = [];
      if (stop - first > SMALL_RANGE_BLOCKS) {
        if (first * BS > offset) installed.push(...(await this.writeRange(offset, ZEROS.subarray(0, first * BS - offset))));
        if (end > stop * BS) installed.push(...(await this.writeRange(stop * BS, ZEROS.subarray(0, end - stop * BS))));
        await this.discardBlocks(first, stop);
      } else if (length > 0) {
        installed.push(...(await this.writeRange(offset, ZEROS.subarray(0, length))));
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
    this.checkOpen();
    if (!on) {
      this.modeNow = this.configuredMode;
      return;
    }
    this.modeNow = 'writeThrough';
    await this.track(() => this.flushAll());
  }

  /** Destages and syncs every write acknowledged before the call (a flush that also works while closing). */
  drain(): Promise<void> {
    if (this.state === 'closed' || this.state === 'abandoned') return Promise.reject(this.shutdownError());
    this.active++;
    return this.flushAll()
      .catch((error: unknown) => {
        throw this.blockError(error);
      })
      .finally(() => this.done());
  }

  /**
   * Graceful stop (SRV-3): refuses new requests (ESHUTDOWN), waits for those in progress, destages
   * everything, syncs, and closes the backend (unless `closeBackend: false`). Resolves only when
   * every acknowledged write is on the backend and synced. If that fails, it rejects and the
   * cache stays closing; call `close()` again to retry, or `abandon()`.
   */
  close(): Promise<void> {
    if (this.state === 'closed') return RESOLVED;
    if (this.state === 'abandoned') {
      this.state = 'closed';
      return this.closeBackend ? this.backend.close() : RESOLVED;
    }
    this.closing ??= (async () => {
      this.state = 'closing';
      try {
        while (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
        await this.flushAll();
        if (this.dirtyCount !== 0) throw new Error(`internal: ${this.dirtyCount} dirty blocks left after the final flush`);
      } catch (error) {
        this.closing = null;
        throw this.blockError(error);
      }
      this.state = 'closed';
      this.clearTimers();
      if (this.closeBackend) await this.backend.close();
    })();
    return this.closing;
  }

  /**
   * Crash simulation (SRV-11): stops at once without writing anything more. Cached data is
   * dropped; requests in progress and later fail with ESHUTDOWN. Backend writes already in flight
   * may still land, as on a real crash. The backend is left open for inspection.
   */
  abandon(): void {
    if (this.state === 'closed' || this.state === 'abandoned') return;
    this.state = 'abandoned';
    this.clearTimers();
    const error = this.shutdownError();
    for (const w of this.flushWaiters) w.reject(error);
    for (const w of this.roomWaiters) w.reject(error);
    this.flushWaiters = [];
    this.roomWaiters = [];
    this.dirtyList.clear();
    this.deferred.clear();
    this.clean.clear();
    this.entries.clear();
    this.dirtyCount = 0;
    this.genCounts.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Reads

  /** Serves a read entirely from the cache, or returns null when a block is missing or a discard covers it. */
  private readCached(offset: number, length: number): Buffer | null {
    if (length === 0) return Buffer.alloc(0);
    const first = Math.floor(offset / BS);
    const last = Math.floor((offset + length - 1) / BS);
    if (this.rangeOps.size > 0 && this.rangeOpOver(first, last + 1) !== null) return null;
    for (let b = first; b <= last; b++) if (!this.entries.has(b)) return null;
    const out = Buffer.allocUnsafe(length);
    this.copyCached(first, last, offset, length, out);
    return out;
  }

  private async readSlow(offset: number, length: number): Promise<Buffer> {
    const end = offset + length;
    const first = Math.floor(offset / BS);
    const last = Math.floor((end - 1) / BS);
    for (;;) {
      this.checkAlive();
      const op = this.rangeOps.size > 0 ? this.rangeOpOver(first, last + 1) : null;
      if (op === null) break;
      await op.done;
    }
    // Missing runs of blocks, as [start, end) pairs.
    const runs: number[] = [];
    let runStart = -1;
    let cached = 0;
    for (let b = first; b <= last; b++) {
      if (this.entries.has(b)) {
        cached++;
        if (runStart >= 0) runs.push(runStart, b);
        runStart = -1;
      } else if (runStart < 0) {
        runStart = b;
      }
    }
    if (runStart >= 0) runs.push(runStart, last + 1);
    if (cached === 0) {
      this.counters.readMissBlocks += last - first + 1;
      const populate = length <= this.populateMaxBytes;
      const tokens = populate ? this.tokens(first, last) : null;
      const data = await this.backend.read(offset, length);
      this.checkAlive();
      if (tokens !== null) this.populate(first, last, offset, data, tokens);
      return data;
    }
    const out = Buffer.allocUnsafe(length);
    this.copyCached(first, last, offset, length, out);
    this.counters.readMissBlocks += last - first + 1 - cached;
    const reads: Array<Promise<void>> = [];
    for (let i = 0; i < runs.length; i += 2) {
      const from = Math.max(offset, (runs[i] as number) * BS);
      const to = Math.min(end, (runs[i + 1] as number) * BS);
      reads.push(this.backend.read(from, to - from).then((data) => void data.copy(out, from - offset)));
    }
    await Promise.all(reads);
    this.checkAlive();
    return out;
  }

  /** Copies the cached blocks of [offset, offset + length) into `out`; counts hits, refreshes LRU. */
  private copyCached(first: number, last: number, offset: number, length: number, out: Buffer): void {
    const end = offset + length;
    for (let b = first; b <= last; b++) {
      const e = this.entries.get(b);
      if (e === undefined) continue;
      const start = b * BS;
      const from = Math.max(offset, start);
      const to = Math.min(end, start + BS);
      e.data.copy(out, from - offset, from - start, to - start);
      this.counters.readHitBlocks++;
      if (e.list === this.clean) {
        this.clean.remove(e);
        this.clean.push(e);
      }
    }
  }

  /** Keeps clean copies of the whole blocks of a read that missed, if nothing changed meanwhile. */
  private populate(first: number, last: number, offset: number, data: Buffer, tokens: LoadToken[]): void {
    const end = offset + data.length;
    for (let b = first; b <= last; b++) {
      const start = b * BS;
      if (start < offset || start + BS > end || this.entries.has(b)) continue;
      if (!this.tokenValid(tokens[b - first], b)) continue;
      if (this.entries.size >= this.capacity) {
        const victim = this.clean.head;
        if (victim === null) return;
        this.evict(victim);
      }
      const copy = this.takeBuffer();
      data.copy(copy, 0, start - offset, start - offset + BS);
      const e = this.newEntry(b, copy, this.seq, this.seq);
      this.entries.set(b, e);
      this.clean.push(e);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Writes

  /** Installs `data` at `offset` in chunks (waiting for room and loading partial blocks as needed). */
  private async writeRange(offset: number, data: Buffer): Promise<Installed[]> {
    const installed: Installed[] = [];
    if (data.length === 0) return installed;
    const first = Math.floor(offset / BS);
    const last = Math.floor((offset + data.length - 1) / BS);
    for (let c = first; c <= last; c += this.chunkBlocks) {
      installed.push(await this.writeChunk(c, Math.min(last, c + this.chunkBlocks - 1), offset, data));
    }
    return installed;
  }

  private async writeChunk(first: number, last: number, offset: number, data: Buffer): Promise<Installed> {
    let bases: Map<number, Loaded> | null = null;
    /** Woken from the room queue, with room reserved for it: may go before writers still queued. */
    let woken = false;
    for (;;) {
      this.checkAlive();
      const missing = this.missingBase(first, last, offset, data.length, bases);
      if (missing >= 0) {
        // A partial block is neither cached nor loaded (rare once woken: it was evicted meanwhile).
        woken = false;
        const op = this.rangeOps.size > 0 ? this.rangeOpOver(missing, missing + 1) : null;
        if (op !== null) {
          await op.done;
          continue;
        }
        const token = this.token(missing);
        const loaded = await this.backend.read(missing * BS, BS);
        (bases ??= new Map()).set(missing, { data: loaded, token });
        continue;
      }
      const privileged = woken;
      woken = false;
      if (privileged ? !this.roomFor(first, last) : this.needsRoom(first, last)) {
        const need = this.freshBlocks(first, last);
        await this.waitForRoom(need, privileged);
        this.reserved -= need;
        woken = true;
        continue;
      }
      const installed = this.tryInstall(first, last, offset, data, bases, privileged);
      if (installed !== null) return installed;
    }
  }

  /**
   * Installs blocks [first, last] of a write synchronously if there is room and every partial
   * block has a current base (cached, or loaded and still valid); otherwise returns null.
   */
  private tryInstall(
    first: number,
    last: number,
    offset: number,
    data: Buffer,
    bases: Map<number, Loaded> | null,
    woken = false,
  ): Installed | null {
    if (woken ? !this.roomFor(first, last) : this.needsRoom(first, last)) return null;
    if (this.missingBase(first, last, offset, data.length, bases) >= 0) return null;
    const seq = ++this.seq;
    const gen = this.gen;
    const now = this.delayMs > 0 ? performance.now() : 0;
    const end = offset + data.length;
    for (let b = first; b <= last; b++) {
      const start = b * BS;
      const from = Math.max(offset, start);
      const to = Math.min(end, start + BS);
      const buffer = this.takeBuffer();
      const e = this.entries.get(b);
      if (to - from !== BS) {
        const base = e !== undefined ? e.data : bases?.get(b)?.data;
        if (base === undefined) throw new Error(`internal: no base for partial block ${b}`);
        base.copy(buffer, 0, 0, BS);
      }
      data.copy(buffer, from - start, from - offset, to - offset);
      if (e === undefined) {
        const fresh = this.newEntry(b, buffer, seq, seq - 1);
        this.entries.set(b, fresh);
        this.markDirty(fresh, gen, now);
      } else {
        if (e.inflight === null) this.recycle(e.data); // else the destage in flight still writes it
        e.data = buffer;
        e.seq = seq;
        if (!e.dirty) {
          this.clean.remove(e);
          this.markDirty(e, gen, now);
        } else if (e.inflight !== null && e.pendingGen < 0) {
          e.pendingGen = gen;
        }
      }
    }
    this.evictOverflow();
    this.pump();
    return { first, last, seq };
  }

  /** A new write of blocks [first, last] must queue: writers are queued, or it would take dirty plus reserved blocks past the bound. */
  private needsRoom(first: number, last: number): boolean {
    const fresh = this.freshBlocks(first, last);
    return fresh > 0 && (this.roomWaiters.length > 0 || this.dirtyCount + this.reserved + fresh > this.capacity);
  }

  /** Blocks [first, last] can become dirty without passing the bound. */
  private roomFor(first: number, last: number): boolean {
    return this.dirtyCount + this.freshBlocks(first, last) <= this.capacity;
  }

  /** Blocks of [first, last] that are not dirty yet. */
  private freshBlocks(first: number, last: number): number {
    let fresh = 0;
    for (let b = first; b <= last; b++) {
      const e = this.entries.get(b);
      if (e === undefined || !e.dirty) fresh++;
    }
    return fresh;
  }

  /** A partially written block of [first, last] with neither a cached nor a valid loaded base, or -1. */
  private missingBase(first: number, last: number, offset: number, length: number, bases: Map<number, Loaded> | null): number {
    const end = offset + length;
    for (const b of first === last ? [first] : [first, last]) {
      const start = b * BS;
      if (offset <= start && end >= start + BS) continue;
      if (this.entries.has(b)) continue;
      const loaded = bases?.get(b);
      if (loaded !== undefined && this.tokenValid(loaded.token, b)) continue;
      return b;
    }
    return -1;
  }

  /**
   * Queues a writer that needs `need` more dirty blocks until there is room. A writer woken
   * before that found it needs more after all (`front`) queues again at the front.
   */
  private waitForRoom(need: number, front: boolean): Promise<void> {
    if (!front) this.counters.backpressureWaits++;
    const waiting = new Promise<void>((resolve, reject) => {
      const waiter: RoomWaiter = { need, resolve, reject };
      if (front) this.roomWaiters.unshift(waiter);
      else this.roomWaiters.push(waiter);
    });
    this.wakeRoomWaiters();
    this.pump();
    return waiting;
  }

  /** Wakes queued writers in order while the oldest one's need fits, reserving that room for it. */
  private wakeRoomWaiters(): void {
    for (;;) {
      const head = this.roomWaiters[0];
      if (head === undefined || this.dirtyCount + this.reserved + head.need > this.capacity) return;
      this.roomWaiters.shift();
      this.reserved += head.need;
      head.resolve();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Durability

  /** Flush: waits until no write of a generation before this call is only in the cache, then syncs. */
  private async flushAll(): Promise<void> {
    const gen = this.gen++;
    if (this.minLiveGen() <= gen) {
      await new Promise<void>((resolve, reject) => {
        this.flushWaiters.push({ gen, resolve, reject });
        this.pump();
      });
    }
    await this.requestSync();
  }

  /** FUA and write-through: destages the given blocks at once (at their installed version or newer), then syncs. */
  private async makeDurable(installed: readonly Installed[]): Promise<void> {
    await Promise.all(installed.map((i) => this.forceBlocks(i.first, i.last, i.seq)));
    await this.requestSync();
  }

  /** Resolves once the backend holds blocks [first, last] as of write `seq` or newer. */
  private async forceBlocks(first: number, last: number, seq: number): Promise<void> {
    for (;;) {
      this.checkAlive();
      const waits = new Set<Promise<unknown>>();
      for (const op of this.rangeOps) if (op.first <= last && op.end > first) waits.add(op.done);
      if (waits.size > 0) {
        await Promise.all(waits);
        continue;
      }
      let pending = false;
      let run: CacheEntry[] = [];
      const startRun = (): void => {
        if (run.length === 0) return;
        for (const e of run) e.list?.remove(e);
        waits.add(this.startDestage(run, false).done);
        run = [];
      };
      for (let b = first; b <= last; b++) {
        const e = this.entries.get(b);
        if (e === undefined || e.writtenSeq >= seq) {
          startRun();
          continue;
        }
        pending = true;
        if (e.inflight !== null) {
          startRun();
          waits.add(e.inflight.done);
          continue;
        }
        if (run.length >= this.maxRunBlocks) startRun();
        run.push(e);
      }
      startRun();
      if (!pending) return;
      for (const result of await Promise.all(waits)) {
        if (result instanceof Error) throw this.blockError(result);
      }
    }
  }

  /** Syncs the backend, sharing syncs: a caller waits for a sync that started after its call. */
  private requestSync(): Promise<void> {
    if (this.syncRunning === null) {
      if (this.writeEpoch === this.syncedEpoch) return RESOLVED;
      return this.startSync();
    }
    if (this.syncNext === null) {
      const after = (): Promise<void> => {
        this.syncNext = null;
        return this.startSync();
      };
      this.syncNext = this.syncRunning.then(after, after);
    }
    return this.syncNext;
  }

  private startSync(): Promise<void> {
    const epoch = this.writeEpoch;
    const running = (async () => {
      this.checkAlive();
      await this.backend.sync();
      this.counters.syncs++;
      if (epoch > this.syncedEpoch) this.syncedEpoch = epoch;
    })();
    this.syncRunning = running;
    const clear = (): void => {
      if (this.syncRunning === running) this.syncRunning = null;
    };
    running.then(clear, clear);
    return running;
  }

  private minLiveGen(): number {
    let min = Infinity;
    for (const gen of this.genCounts.keys()) if (gen < min) min = gen;
    return min;
  }

  private incGen(gen: number): void {
    this.genCounts.set(gen, (this.genCounts.get(gen) ?? 0) + 1);
  }

  private decGen(gen: number): void {
    const left = (this.genCounts.get(gen) ?? 0) - 1;
    if (left > 0) this.genCounts.set(gen, left);
    else this.genCounts.delete(gen);
  }

  private checkFlushWaiters(): void {
    if (this.flushWaiters.length === 0) return;
    const min = this.minLiveGen();
    let n = 0;
    while (n < this.flushWaiters.length && (this.flushWaiters[n] as FlushWaiter).gen < min) n++;
    if (n === 0) return;
    const ready = this.flushWaiters.splice(0, n);
    for (const w of ready) w.resolve();
  }

  private failFlushWaiters(error: unknown): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    const failure = this.blockError(error);
    for (const w of waiters) w.reject(failure);
  }

  // -------------------------------------------------------------------------------------------
  // Destager

  /** Starts destage writes, oldest dirty block first, up to the concurrency limit. */
  private pump(): void {
    if (this.state === 'abandoned' || this.state === 'closed' || this.backoffTimer !== null) return;
    const limit = this.flushWaiters.length > 0 || this.state === 'closing' ? this.concurrency * 4 : this.concurrency;
    while (this.destagerRuns < limit) {
      const head = this.dirtyList.head;
      if (head === null) return;
      if (this.delayMs > 0 && !this.urgent()) {
        const wait = head.dirtyAt + this.delayMs - performance.now();
        if (wait > 0) {
          this.delayTimer ??= setTimeout(() => {
            this.delayTimer = null;
            this.pump();
          }, Math.ceil(wait));
          return;
        }
      }
      if (this.rangeOps.size > 0 && this.rangeOpOver(head.block, head.block + 1) !== null) {
        this.dirtyList.remove(head);
        this.deferred.push(head);
        continue;
      }
      this.startDestage(this.collectRun(head), true);
    }
  }

  /** Takes `head` and its queued dirty neighbours (up to maxRunBlocks) off the dirty list. */
  private collectRun(head: CacheEntry): CacheEntry[] {
    let start = head.block;
    while (head.block - start + 1 < this.maxRunBlocks && this.queuedFor(start - 1) !== null) start--;
    const run: CacheEntry[] = [];
    for (let b = start; run.length < this.maxRunBlocks; b++) {
      const e = b === head.block ? head : this.queuedFor(b);
      if (e === null) break;
      this.dirtyList.remove(e);
      run.push(e);
    }
    return run;
  }

  /** Block `b` if it is dirty, waiting on the dirty list, and no discard covers it. */
  private queuedFor(b: number): CacheEntry | null {
    const e = this.entries.get(b);
    if (e === undefined || e.list !== this.dirtyList) return null;
    if (this.rangeOps.size > 0 && this.rangeOpOver(b, b + 1) !== null) return null;
    return e;
  }

  /** Writes a run of adjacent dirty blocks (taken off every list by the caller) to the backend. */
  private startDestage(entries: CacheEntry[], background: boolean): DestageRun {
    const first = (entries[0] as CacheEntry).block;
    const buffers = entries.map((e) => e.data);
    const seqs = entries.map((e) => e.seq);
    const run: DestageRun = { first, entries, seqs, buffers, background, done: null as unknown as Promise<Error | null> };
    if (background) this.destagerRuns++;
    for (const e of entries) e.inflight = run;
    this.inflight.add(run);
    let write: Promise<void>;
    try {
      const offset = first * BS;
      if (this.backend.writev !== undefined) write = this.backend.writev(offset, buffers);
      else write = this.backend.write(offset, buffers.length === 1 ? (buffers[0] as Buffer) : Buffer.concat(buffers));
    } catch (error) {
      write = Promise.reject(error);
    }
    run.done = write.then(
      () => this.finishDestage(run, null),
      (error: unknown) => this.finishDestage(run, error instanceof Error ? error : new Error(messageOf(error))),
    );
    return run;
  }

  private finishDestage(run: DestageRun, error: Error | null): Error | null {
    this.inflight.delete(run);
    if (run.background) this.destagerRuns--;
    if (this.state === 'abandoned') return error;
    if (error === null) {
      this.counters.destagedBytes += run.entries.length * BS;
      this.counters.destageWrites++;
      this.writeEpoch++;
    }
    const now = this.delayMs > 0 ? performance.now() : 0;
    for (let i = 0; i < run.entries.length; i++) {
      const e = run.entries[i] as CacheEntry;
      const seq = run.seqs[i] as number;
      e.inflight = null;
      if (error !== null) {
        // Still dirty with the same oldest generation; retried after the backoff.
        e.pendingGen = -1;
        this.dirtyList.push(e);
        continue;
      }
      if (seq > e.writtenSeq) e.writtenSeq = seq;
      this.decGen(e.dirtyGen);
      const written = run.buffers[i] as Buffer;
      if (e.data !== written) this.recycle(written); // replaced while in flight: nothing else holds it
      if (e.seq === seq) {
        e.dirty = false;
        this.dirtyCount--;
        this.clean.push(e);
      } else {
        // A newer write landed while this one was in flight: it is still dirty, from the generation
        // of that write (kept as the old one if unknown, which only makes flushes wait longer).
        e.dirtyGen = e.pendingGen >= 0 ? e.pendingGen : e.dirtyGen;
        e.pendingGen = -1;
        e.dirtyAt = now;
        this.incGen(e.dirtyGen);
        this.dirtyList.push(e);
      }
    }
    if (error !== null) {
      this.counters.destageErrors++;
      this.failFlushWaiters(error);
      if (this.backoffTimer === null && this.state !== 'closed') {
        this.backoffTimer = setTimeout(() => {
          this.backoffTimer = null;
          this.pump();
        }, this.retryDelayMs);
      }
    }
    this.progress();
    return error;
  }

  /** After dirty data went away: resolve flushes, wake writers, evict, keep destaging. */
  private progress(): void {
    this.checkFlushWaiters();
    this.wakeRoomWaiters();
    this.evictOverflow();
    this.pump();
  }

  private urgent(): boolean {
    return this.flushWaiters.length > 0 || this.roomWaiters.length > 0 || this.dirtyCount * 2 >= this.capacity || this.state === 'closing';
  }

  // -------------------------------------------------------------------------------------------
  // Discards

  /**
   * Discards whole blocks [first, end) on the backend: waits for destages in flight there, drops
   * the cached blocks (holding their flush generations until the discard is done, so a flush
   * cannot resolve before the data it covered is either on the backend or discarded), discards.
   */
  private async discardBlocks(first: number, end: number): Promise<void> {
    const { op, finish } = this.beginRangeOp(first, end);
    const held: number[] = [];
    let failure: unknown = null;
    try {
      for (;;) {
        const waits: Array<Promise<unknown>> = [];
        for (const run of this.inflight) if (run.first < end && run.first + run.entries.length > first) waits.push(run.done);
        if (waits.length === 0) break;
        await Promise.all(waits);
      }
      this.checkAlive();
      const drop = (e: CacheEntry): void => {
        e.list?.remove(e);
        this.entries.delete(e.block);
        this.recycle(e.data);
        if (e.dirty) {
          this.dirtyCount--;
          held.push(e.dirtyGen);
        }
      };
      if (end - first <= this.entries.size) {
        for (let b = first; b < end; b++) {
          const e = this.entries.get(b);
          if (e !== undefined) drop(e);
        }
      } else {
        for (const e of this.entries.values()) if (e.block >= first && e.block < end) drop(e);
      }
      this.wakeRoomWaiters();
      await this.backend.discard(first * BS, (end - first) * BS);
      this.writeEpoch++;
    } catch (error) {
      failure = error;
    } finally {
      for (const gen of held) this.decGen(gen);
      if (failure !== null && this.state !== 'abandoned') this.failFlushWaiters(failure);
      this.endRangeOp(op, finish);
    }
    if (failure !== null) throw this.blockError(failure);
  }

  /**
   * Registers an operation done directly on the backend over whole blocks [first, end): until it
   * ends, those blocks are not destaged, loaded or read from the backend (callers wait for `done`).
   */
  private beginRangeOp(first: number, end: number): { op: RangeOp; finish: () => void } {
    let finish!: () => void;
    const op: RangeOp = { first, end, done: new Promise<void>((resolve) => (finish = resolve)) };
    this.rangeOps.add(op);
    this.invalidate(first, end);
    return { op, finish };
  }

  private endRangeOp(op: RangeOp, finish: () => void): void {
    this.rangeOps.delete(op);
    this.invalidate(op.first, op.end);
    if (this.deferred.size > 0) {
      for (let e = this.deferred.head; e !== null; ) {
        const next = e.next;
        if (this.rangeOps.size === 0 || this.rangeOpOver(e.block, e.block + 1) === null) {
          this.deferred.remove(e);
          this.dirtyList.push(e);
        }
        e = next;
      }
    }
    finish();
    this.progress();
  }

  /** Invalidates loads from the backend of blocks [first, end) that started before now (see LoadToken). */
  private invalidate(first: number, end: number): void {
    if (end - first > 64) {
      this.rangeEpoch++;
      return;
    }
    for (let b = first; b < end; b++) (this.evictions[b & SLOT_MASK] as number)++;
  }

  /** The cache is full and a write covers only whole, uncached blocks: it can go straight to the backend. */
  private canWriteAround(first: number, last: number, offset: number, length: number): boolean {
    if (offset % BS !== 0 || length % BS !== 0 || !this.needsRoom(first, last)) return false;
    for (let b = first; b <= last; b++) if (this.entries.has(b)) return false;
    return this.rangeOps.size === 0 || this.rangeOpOver(first, last + 1) === null;
  }

  /**
   * Write-around: writes the caller's data to the backend directly (no copy, no cache entry),
   * ordered like a discard against cached writes, loads and destages of the same blocks.
   */
  private async writeAround(first: number, last: number, offset: number, data: Buffer, durable: boolean): Promise<void> {
    this.active++;
    try {
      const { op, finish } = this.beginRangeOp(first, last + 1);
      try {
        await this.backend.write(offset, data);
        this.writeEpoch++;
        this.counters.bypassedBytes += data.length;
      } finally {
        this.endRangeOp(op, finish);
      }
      this.checkAlive();
      if (durable || this.modeNow === 'writeThrough') await this.requestSync();
    } catch (error) {
      throw this.blockError(error);
    } finally {
      this.done();
    }
  }

  private rangeOpOver(first: number, end: number): RangeOp | null {
    for (const op of this.rangeOps) if (op.first < end && op.end > first) return op;
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Entries

  private newEntry(block: number, data: Buffer, seq: number, writtenSeq: number): CacheEntry {
    return {
      block,
      data,
      seq,
      writtenSeq,
      dirty: false,
      dirtyGen: 0,
      pendingGen: -1,
      inflight: null,
      dirtyAt: 0,
      list: null,
      prev: null,
      next: null,
    };
  }

  private markDirty(e: CacheEntry, gen: number, now: number): void {
    e.dirty = true;
    e.dirtyGen = gen;
    e.dirtyAt = now;
    this.incGen(gen);
    this.dirtyCount++;
    if (this.dirtyCount > this.counters.maxDirtyBlocks) this.counters.maxDirtyBlocks = this.dirtyCount;
    this.dirtyList.push(e);
  }

  private evictOverflow(): void {
    while (this.entries.size > this.capacity) {
      const victim = this.clean.head;
      if (victim === null) return;
      this.evict(victim);
    }
  }

  private evict(e: CacheEntry): void {
    this.clean.remove(e);
    this.entries.delete(e.block);
    this.recycle(e.data);
    (this.evictions[e.block & SLOT_MASK] as number)++;
  }

  /** A block buffer: a recycled one if any (saves allocation and GC), else a new one. */
  private takeBuffer(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(BS);
  }

  /**
   * Keeps a block buffer for reuse. Only for buffers nothing refers to any more: not an entry's
   * `data`, not part of a destage in flight (readers copy out synchronously).
   */
  private recycle(buffer: Buffer): void {
    if (this.spare.length < this.maxSpare) this.spare.push(buffer);
  }

  private token(block: number): LoadToken {
    return { rangeEpoch: this.rangeEpoch, slot: this.evictions[block & SLOT_MASK] as number };
  }

  private tokens(first: number, last: number): LoadToken[] {
    const tokens: LoadToken[] = [];
    for (let b = first; b <= last; b++) tokens.push(this.token(b));
    return tokens;
  }

  /** A block loaded from the backend under `token` is still what the backend holds (nothing evicted or discarded since). */
  private tokenValid(token: LoadToken | undefined, block: number): boolean {
    return token !== undefined && token.rangeEpoch === this.rangeEpoch && token.slot === this.evictions[block & SLOT_MASK];
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  private async track<T>(run: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await run();
    } catch (error) {
      throw this.blockError(error);
    } finally {
      this.done();
    }
  }

  private done(): void {
    this.active--;
    if (this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw this.shutdownError();
  }

  private checkAlive(): void {
    if (this.state === 'abandoned' || this.state === 'closed') throw this.shutdownError();
  }

  private checkRequest(offset: number, length: number, beyondEnd: 'EINVAL' | 'ENOSPC'): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new BlockError('EINVAL', `${this.backend.location}: invalid request: offset ${offset}, length ${length}`);
    }
    if (offset + length > this.size) {
      throw new BlockError(
        beyondEnd,
        `${this.backend.location}: request of ${length} bytes at offset ${offset} goes past the end of the disk (${this.size} bytes)`,
      );
    }
  }

  private shutdownError(): BlockError {
    return new BlockError('ESHUTDOWN', `${this.backend.location}: the cache is ${this.state}; the server is stopping or stopped`);
  }

  private blockError(error: unknown): BlockError {
    if (error instanceof BlockError) return error;
    if (error instanceof StorageError && error.code === 'STORAGE_OUT_OF_RANGE') return new BlockError('EINVAL', error.message);
    const code = systemErrorCode(error);
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
      return new BlockError('ENOSPC', `${this.backend.location}: backend out of space: ${messageOf(error)}`);
    }
    return new BlockError('EIO', `${this.backend.location}: backend I/O failed: ${messageOf(error)}`);
  }

  private clearTimers(): void {
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    this.delayTimer = null;
    this.backoffTimer = null;
  }
}
