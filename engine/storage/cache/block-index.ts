// The block index (nbdkit's blk.c and lru.c): which blocks are cached, which of them are dirty,
// and the order in which they are destaged or evicted.

import { EntryList } from '../entry-list.js';
import type { BufferPool } from './buffer-pool.js';
import type { LoadTokens } from './load-tokens.js';
import type { CacheEntry } from './types.js';

/**
 * The cached blocks of one cache, by block number, and the lists they wait in.
 *
 * Invariants:
 * - Every entry is in exactly one place: `dirty` (dirty, waiting to be destaged, oldest first),
 *   `deferred` (dirty, held back while a range operation covers it), `clean` (on the backend,
 *   least recently used first), or in no list while a destage write of it is in flight
 *   (`inflight` set; it is dirty then).
 * - `dirtyCount` is the number of entries with `dirty` set.
 * - After each change that adds entries, `evictOverflow()` runs: the index holds at most
 *   `capacity` entries unless no clean one is left (dirty ones are bounded by the room queue).
 * - An entry leaving the index bumps its load token (`LoadTokens.evicted`), except when a range
 *   operation that already invalidated its range drops it.
 */
export class BlockIndex {
  readonly entries = new Map<number, CacheEntry>();
  /** Dirty blocks waiting to be destaged, oldest first. */
  readonly dirty = new EntryList<CacheEntry>();
  /** Dirty blocks held back while a range operation covers them. */
  readonly deferred = new EntryList<CacheEntry>();
  /** Clean blocks, least recently used first. */
  readonly clean = new EntryList<CacheEntry>();
  /** Entries with `dirty` set. */
  dirtyCount = 0;
  /** Highest `dirtyCount` so far. */
  maxDirtyCount = 0;
  /** Sequence number of the latest write installed (each write takes the next one). */
  seq = 0;

  constructor(
    /** Bound on entries, clean and dirty. */
    readonly capacity: number,
    private readonly pool: BufferPool,
    private readonly tokens: LoadTokens,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(block: number): CacheEntry | undefined {
    return this.entries.get(block);
  }

  has(block: number): boolean {
    return this.entries.has(block);
  }

  /** Adds a new entry for `block` (in no list yet). */
  add(block: number, data: Buffer, seq: number, writtenSeq: number): CacheEntry {
    const e: CacheEntry = {
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
    this.entries.set(block, e);
    return e;
  }

  /** Makes room for one more entry by evicting the least recently used clean block if full; false if every entry is dirty. */
  roomForClean(): boolean {
    if (this.entries.size < this.capacity) return true;
    const victim = this.clean.head;
    if (victim === null) return false;
    this.evict(victim);
    return true;
  }

  /** Adds a clean copy of `block` as of the latest write, as the most recently used. */
  addClean(block: number, data: Buffer): void {
    this.clean.push(this.add(block, data, this.seq, this.seq));
  }

  /** A read hit `e`: a clean entry becomes the most recently used. */
  touch(e: CacheEntry): void {
    if (e.list === this.clean) {
      this.clean.remove(e);
      this.clean.push(e);
    }
  }

  /** `e` (in no list) becomes dirty with write generation `gen`, queued last for the destager. */
  markDirty(e: CacheEntry, gen: number, now: number): void {
    e.dirty = true;
    e.dirtyGen = gen;
    e.dirtyAt = now;
    this.dirtyCount++;
    if (this.dirtyCount > this.maxDirtyCount) this.maxDirtyCount = this.dirtyCount;
    this.dirty.push(e);
  }

  /** `e` (in no list) is on the backend as it is now: it becomes the most recently used clean block. */
  markClean(e: CacheEntry): void {
    e.dirty = false;
    this.dirtyCount--;
    this.clean.push(e);
  }

  /** Blocks of [first, last] that are not dirty yet (what a write of them adds to `dirtyCount`). */
  freshBlocks(first: number, last: number): number {
    let fresh = 0;
    for (let b = first; b <= last; b++) {
      const e = this.entries.get(b);
      if (e === undefined || !e.dirty) fresh++;
    }
    return fresh;
  }

  /** Evicts least recently used clean blocks while there are more entries than `capacity`. */
  evictOverflow(): void {
    while (this.entries.size > this.capacity) {
      const victim = this.clean.head;
      if (victim === null) return;
      this.evict(victim);
    }
  }

  /** Removes a clean entry. */
  evict(e: CacheEntry): void {
    this.clean.remove(e);
    this.entries.delete(e.block);
    this.pool.recycle(e.data);
    this.tokens.evicted(e.block);
  }

  /**
   * Removes an entry that a range operation covers (no destage of it in flight), dirty or not;
   * its load token was invalidated by the operation. Returns whether it was dirty.
   */
  drop(e: CacheEntry): boolean {
    e.list?.remove(e);
    this.entries.delete(e.block);
    this.pool.recycle(e.data);
    if (!e.dirty) return false;
    this.dirtyCount--;
    return true;
  }

  /** The entries of blocks [first, end), whichever way is cheaper to find them. */
  entriesIn(first: number, end: number): CacheEntry[] {
    const found: CacheEntry[] = [];
    if (end - first <= this.entries.size) {
      for (let b = first; b < end; b++) {
        const e = this.entries.get(b);
        if (e !== undefined) found.push(e);
      }
    } else {
      for (const e of this.entries.values()) if (e.block >= first && e.block < end) found.push(e);
    }
    return found;
  }

  /** Forgets every entry (a crash). */
  clear(): void {
    this.dirty.clear();
    this.deferred.clear();
    this.clean.clear();
    this.entries.clear();
    this.dirtyCount = 0;
  }
}
