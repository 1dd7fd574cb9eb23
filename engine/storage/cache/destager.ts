// The destager (nbdkit's reclaim.c, the other way round): writes dirty blocks to the link below,
// oldest first, coalescing neighbours into one vectored write, a few writes in flight at a time.

import { type BlockError, type BlockLayer, NO_FUA } from '../../types.js';
import { messageOf } from '../storage-error.js';
import type { BlockIndex } from './block-index.js';
import type { BufferPool } from './buffer-pool.js';
import type { FlushGenerations } from './flush-generations.js';
import type { Lifecycle } from './lifecycle.js';
import type { RangeOps } from './range-ops.js';
import type { RoomQueue } from './room-queue.js';
import type { SharedSync } from './shared-sync.js';
import { CACHE_BLOCK_SIZE as BS, type CacheConfig, type CacheEntry, type DestageRun } from './types.js';

/** What the destager works with: the cache's other mechanisms, and the coordinator's progress step. */
export interface DestagerParts {
  readonly next: BlockLayer;
  readonly config: CacheConfig;
  readonly index: BlockIndex;
  readonly generations: FlushGenerations;
  readonly ranges: RangeOps;
  readonly sync: SharedSync;
  readonly pool: BufferPool;
  readonly lifecycle: Lifecycle;
  readonly rooms: RoomQueue;
  readonly toBlockError: (error: unknown) => BlockError;
  /** After dirty data went away: resolve flushes, wake writers, evict, keep destaging. */
  readonly progress: () => void;
}

/**
 * Background and FUA destage writes.
 *
 * Invariants:
 * - At most one destage write per block is in flight (`entry.inflight`). A write that lands on a
 *   block in flight makes it dirty again (`pendingGen`); the finishing destage marks it clean
 *   only if no newer write came (`entry.seq` unchanged), so an old destage can neither
 *   overwrite nor clean newer data.
 * - A block's generation count is released only when the data of its oldest unwritten write is
 *   on the backend; a failed write puts its blocks back on the dirty list unchanged and fails
 *   the waiting flushes (EIO), then the destager pauses for `retryDelayMs`.
 * - No destage starts over a range operation: such blocks wait in the `deferred` list until
 *   `undefer()`.
 * - `background` writes in flight stay within `concurrency` (four times that while a flush or a
 *   graceful close waits); FUA writes are not counted.
 */
export class Destager {
  private readonly inflight = new Set<DestageRun>();
  private backgroundRuns = 0;
  private delayTimer: NodeJS.Timeout | null = null;
  private backoffTimer: NodeJS.Timeout | null = null;
  /** Bytes written to the backend by destage writes. */
  destagedBytes = 0;
  /** Destage write calls (fewer than blocks when coalesced). */
  destageWrites = 0;
  /** Destage writes that failed. */
  destageErrors = 0;

  constructor(private readonly parts: DestagerParts) {}

  /** Starts destage writes, oldest dirty block first, up to the concurrency limit. */
  pump(): void {
    const { lifecycle, index, config, generations, ranges } = this.parts;
    if (lifecycle.ended || this.backoffTimer !== null) return;
    const limit = generations.waiting || lifecycle.state === 'closing' ? config.concurrency * 4 : config.concurrency;
    while (this.backgroundRuns < limit) {
      const head = index.dirty.head;
      if (head === null) return;
      if (config.delayMs > 0 && !this.urgent()) {
        const wait = head.dirtyAt + config.delayMs - performance.now();
        if (wait > 0) {
          this.delayTimer ??= setTimeout(() => {
            this.delayTimer = null;
            this.pump();
          }, Math.ceil(wait));
          return;
        }
      }
      if (ranges.any && ranges.over(head.block, head.block + 1) !== null) {
        index.dirty.remove(head);
        index.deferred.push(head);
        continue;
      }
      this.start(this.collectRun(head), true);
    }
  }

  /** Something waits for the destager, or the cache is half full of dirty data: no `destageDelayMs`. */
  private urgent(): boolean {
    const { generations, rooms, index, lifecycle } = this.parts;
    return generations.waiting || rooms.waiting || index.dirtyCount * 2 >= index.capacity || lifecycle.state === 'closing';
  }

  /** Takes `head` and its queued dirty neighbours (up to maxRunBlocks) off the dirty list. */
  private collectRun(head: CacheEntry): CacheEntry[] {
    const max = this.parts.config.maxRunBlocks;
    let start = head.block;
    while (head.block - start + 1 < max && this.queuedFor(start - 1) !== null) start--;
    const run: CacheEntry[] = [];
    for (let b = start; run.length < max; b++) {
      const e = b === head.block ? head : this.queuedFor(b);
      if (e === null) break;
      this.parts.index.dirty.remove(e);
      run.push(e);
    }
    return run;
  }

  /** Block `b` if it is dirty, waiting on the dirty list, and no range operation covers it. */
  private queuedFor(b: number): CacheEntry | null {
    const { index, ranges } = this.parts;
    const e = index.get(b);
    if (e === undefined || e.list !== index.dirty) return null;
    if (ranges.any && ranges.over(b, b + 1) !== null) return null;
    return e;
  }

  /**
   * FUA and write-through: resolves once the backend holds blocks [first, last] as of write `seq`
   * or newer, destaging them at once (or waiting for the destage in flight and destaging again).
   */
  async force(first: number, last: number, seq: number): Promise<void> {
    const { lifecycle, ranges, index, config } = this.parts;
    for (;;) {
      lifecycle.checkAlive();
      const waits = ranges.doneOver(first, last);
      if (waits.size > 0) {
        await Promise.all(waits);
        continue;
      }
      let pending = false;
      let run: CacheEntry[] = [];
      const startRun = (): void => {
        if (run.length === 0) return;
        for (const e of run) e.list?.remove(e);
        waits.add(this.start(run, false).done);
        run = [];
      };
      for (let b = first; b <= last; b++) {
        const e = index.get(b);
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
        if (run.length >= config.maxRunBlocks) startRun();
        run.push(e);
      }
      startRun();
      if (!pending) return;
      for (const result of await Promise.all(waits)) {
        if (result instanceof Error) throw this.parts.toBlockError(result);
      }
    }
  }

  /** The `done` of every destage write in flight that overlaps blocks [first, end). */
  inflightOver(first: number, end: number): Array<Promise<unknown>> {
    const waits: Array<Promise<unknown>> = [];
    for (const run of this.inflight) if (run.first < end && run.first + run.entries.length > first) waits.push(run.done);
    return waits;
  }

  /** A range operation ended: deferred blocks no operation covers any more go back on the dirty list. */
  undefer(): void {
    const { index, ranges } = this.parts;
    if (index.deferred.size === 0) return;
    for (let e = index.deferred.head; e !== null; ) {
      const next = e.next;
      if (!ranges.any || ranges.over(e.block, e.block + 1) === null) {
        index.deferred.remove(e);
        index.dirty.push(e);
      }
      e = next;
    }
  }

  /** Cancels the delay and backoff timers (the cache ended). */
  stop(): void {
    if (this.delayTimer !== null) clearTimeout(this.delayTimer);
    if (this.backoffTimer !== null) clearTimeout(this.backoffTimer);
    this.delayTimer = null;
    this.backoffTimer = null;
  }

  /** Writes a run of adjacent dirty blocks (taken off every list by the caller) to the backend. */
  private start(entries: CacheEntry[], background: boolean): DestageRun {
    const next = this.parts.next;
    const first = (entries[0] as CacheEntry).block;
    const buffers = entries.map((e) => e.older ?? e.data); // `older`: fault switch destageOlderOverNewer only
    for (const e of entries) e.older = undefined;
    const seqs = entries.map((e) => e.seq);
    const run: DestageRun = { first, entries, seqs, buffers, background, done: null as unknown as Promise<Error | null> };
    if (background) this.backgroundRuns++;
    for (const e of entries) e.inflight = run;
    this.inflight.add(run);
    let write: Promise<void>;
    try {
      const offset = first * BS;
      if (next.writev !== undefined) write = next.writev(offset, buffers, NO_FUA);
      else write = next.write(offset, buffers.length === 1 ? (buffers[0] as Buffer) : Buffer.concat(buffers), NO_FUA);
    } catch (error) {
      write = Promise.reject(error);
    }
    run.done = write.then(
      () => this.finish(run, null),
      (error: unknown) => this.finish(run, error instanceof Error ? error : new Error(messageOf(error))),
    );
    return run;
  }

  private finish(run: DestageRun, error: Error | null): Error | null {
    const { lifecycle, config, index, generations, pool, sync } = this.parts;
    this.inflight.delete(run);
    if (run.background) this.backgroundRuns--;
    if (lifecycle.state === 'abandoned') return error;
    if (error === null) {
      this.destagedBytes += run.entries.length * BS;
      this.destageWrites++;
      sync.wrote();
    }
    const now = config.delayMs > 0 ? performance.now() : 0;
    for (let i = 0; i < run.entries.length; i++) {
      const e = run.entries[i] as CacheEntry;
      const seq = run.seqs[i] as number;
      e.inflight = null;
      if (error !== null) {
        // Still dirty with the same oldest generation; retried after the backoff.
        e.pendingGen = -1;
        index.dirty.push(e);
        continue;
      }
      if (seq > e.writtenSeq) e.writtenSeq = seq;
      generations.remove(e.dirtyGen);
      const written = run.buffers[i] as Buffer;
      if (e.data !== written) pool.recycle(written); // replaced while in flight: nothing else holds it
      if (e.seq === seq) {
        index.markClean(e);
      } else {
        // A newer write landed while this one was in flight: it is still dirty, from the generation
        // of that write (kept as the old one if unknown, which only makes flushes wait longer).
        e.dirtyGen = e.pendingGen >= 0 ? e.pendingGen : e.dirtyGen;
        e.pendingGen = -1;
        e.dirtyAt = now;
        generations.add(e.dirtyGen);
        index.dirty.push(e);
      }
    }
    if (error !== null) {
      this.destageErrors++;
      generations.fail(this.parts.toBlockError(error));
      if (this.backoffTimer === null && lifecycle.state !== 'closed') {
        this.backoffTimer = setTimeout(() => {
          this.backoffTimer = null;
          this.pump();
        }, config.retryDelayMs);
      }
    }
    this.parts.progress();
    return error;
  }
}
