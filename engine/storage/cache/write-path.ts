// Writes into the cache: installing a write's data as new immutable block buffers, waiting for
// room or for the blocks a partial write needs first.

import { fault } from '../../faults.js';
import type { BlockLayer } from '../../types.js';
import type { BlockIndex } from './block-index.js';
import type { BufferPool } from './buffer-pool.js';
import type { Destager } from './destager.js';
import type { FlushGenerations } from './flush-generations.js';
import type { Lifecycle } from './lifecycle.js';
import type { LoadTokens } from './load-tokens.js';
import type { RangeOps } from './range-ops.js';
import type { RoomQueue } from './room-queue.js';
import { CACHE_BLOCK_SIZE as BS, type CacheConfig, type CacheEntry, type Installed, type Loaded } from './types.js';

/** What writes work with. */
export interface WritePathParts {
  readonly next: BlockLayer;
  readonly config: CacheConfig;
  readonly index: BlockIndex;
  readonly generations: FlushGenerations;
  readonly ranges: RangeOps;
  readonly tokens: LoadTokens;
  readonly pool: BufferPool;
  readonly rooms: RoomQueue;
  readonly destager: Destager;
  readonly lifecycle: Lifecycle;
}

/**
 * Installs writes in the cache, in chunks of at most `chunkBlocks` blocks.
 *
 * Invariants:
 * - A chunk is installed synchronously, all of its blocks at once, with one sequence number and
 *   the current flush generation, so a read or a destage sees all of it or none of it.
 * - A block buffer is never modified once installed; a write replaces it (the old one is recycled
 *   unless a destage write in flight still holds it).
 * - A partial block is installed over a base: its cached data, or a copy loaded from the backend
 *   whose load token is still valid (else it is loaded again).
 * - A chunk that makes blocks dirty takes room under the room queue's rules: it waits while the
 *   bound would be passed or other writers wait before it.
 */
export class WritePath {
  constructor(private readonly parts: WritePathParts) {}

  /** Installs `data` at `offset` in chunks (waiting for room and loading partial blocks as needed). */
  async writeRange(offset: number, data: Buffer): Promise<Installed[]> {
    const installed: Installed[] = [];
    if (data.length === 0) return installed;
    const chunk = this.parts.config.chunkBlocks;
    const first = Math.floor(offset / BS);
    const last = Math.floor((offset + data.length - 1) / BS);
    for (let c = first; c <= last; c += chunk) {
      installed.push(await this.writeChunk(c, Math.min(last, c + chunk - 1), offset, data));
    }
    return installed;
  }

  /** Installs blocks [first, last] of a write, waiting as long as it takes. */
  async writeChunk(first: number, last: number, offset: number, data: Buffer): Promise<Installed> {
    const { lifecycle, ranges, tokens, next, rooms, index, destager } = this.parts;
    let bases: Map<number, Loaded> | null = null;
    /** Woken from the room queue, with room reserved for it: may go before writers still queued. */
    let woken = false;
    for (;;) {
      lifecycle.checkAlive();
      const missing = this.missingBase(first, last, offset, data.length, bases);
      if (missing >= 0) {
        // A partial block is neither cached nor loaded (rare once woken: it was evicted meanwhile).
        woken = false;
        const op = ranges.any ? ranges.over(missing, missing + 1) : null;
        if (op !== null) {
          await op.done;
          continue;
        }
        const token = tokens.take(missing);
        const loaded = await next.read(missing * BS, BS);
        (bases ??= new Map()).set(missing, { data: loaded, token });
        continue;
      }
      const privileged = woken;
      woken = false;
      if (privileged ? !rooms.roomFor(first, last) : rooms.needsRoom(first, last)) {
        const need = index.freshBlocks(first, last);
        const waiting = rooms.wait(need, privileged);
        destager.pump();
        await waiting;
        rooms.resumed(need);
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
  tryInstall(
    first: number,
    last: number,
    offset: number,
    data: Buffer,
    bases: Map<number, Loaded> | null,
    woken = false,
  ): Installed | null {
    const { index, rooms, generations, pool, config } = this.parts;
    if (woken ? !rooms.roomFor(first, last) : rooms.needsRoom(first, last)) return null;
    if (this.missingBase(first, last, offset, data.length, bases) >= 0) return null;
    const seq = ++index.seq;
    const gen = generations.current;
    const now = config.delayMs > 0 ? performance.now() : 0;
    const end = offset + data.length;
    for (let b = first; b <= last; b++) {
      const start = b * BS;
      const from = Math.max(offset, start);
      const to = Math.min(end, start + BS);
      const buffer = pool.take();
      const e = index.get(b);
      if (to - from !== BS) {
        const base = e !== undefined ? e.data : bases?.get(b)?.data;
        if (base === undefined) throw new Error(`internal: no base for partial block ${b}`);
        base.copy(buffer, 0, 0, BS);
      }
      data.copy(buffer, from - start, from - offset, to - offset);
      if (e === undefined) {
        this.markDirty(index.add(b, buffer, seq, seq - 1), gen, now);
      } else {
        if (fault('destageOlderOverNewer') && e.dirty && e.inflight === null && e.older === undefined) e.older = e.data;
        else if (e.inflight === null) pool.recycle(e.data); // else the destage in flight still writes it
        e.data = buffer;
        e.seq = seq;
        if (!e.dirty) {
          index.clean.remove(e);
          this.markDirty(e, gen, now);
        } else if (e.inflight !== null && e.pendingGen < 0) {
          e.pendingGen = gen;
        }
      }
    }
    index.evictOverflow();
    this.parts.destager.pump();
    return { first, last, seq };
  }

  /** `e` (in no list) becomes dirty, counted in generation `gen`. */
  private markDirty(e: CacheEntry, gen: number, now: number): void {
    this.parts.generations.add(gen);
    this.parts.index.markDirty(e, gen, now);
  }

  /** A partially written block of [first, last] with neither a cached nor a valid loaded base, or -1. */
  private missingBase(first: number, last: number, offset: number, length: number, bases: Map<number, Loaded> | null): number {
    const { index, tokens } = this.parts;
    const end = offset + length;
    for (const b of first === last ? [first] : [first, last]) {
      const start = b * BS;
      if (offset <= start && end >= start + BS) continue;
      if (index.has(b)) continue;
      const loaded = bases?.get(b);
      if (loaded !== undefined && tokens.valid(loaded.token, b)) continue;
      return b;
    }
    return -1;
  }
}
