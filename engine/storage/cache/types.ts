// Types shared by the mechanisms of the write-back cache (../write-back-cache.ts coordinates them):
// a cached block, a destage write, a range operation, a load token, and the resolved options.

import type { ListNode } from '../entry-list.js';
import type { CacheMode } from '../types.js';

/** Cache block size: the unit of caching, destaging and crash atomicity. */
export const CACHE_BLOCK_SIZE = 4096;

/** Where a cache is in its life: `close()` moves open -> closing -> closed; `abandon()` ends it at once. */
export type CacheState = 'open' | 'closing' | 'closed' | 'abandoned';

/** A cached block. Its `data` buffer is never modified once installed: writes replace it. */
export interface CacheEntry extends ListNode<CacheEntry> {
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
  /** Fault switch destageOlderOverNewer only: the data the block had when it first became dirty. */
  older?: Buffer;
}

/** One backend write of adjacent blocks. */
export interface DestageRun {
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
export interface RangeOp {
  /** First block. */
  readonly first: number;
  /** Block after the last. */
  readonly end: number;
  /** Resolves when the operation finished (successfully or not). */
  readonly done: Promise<void>;
  /** Resolves `done`; called once, by `RangeOps.end`. */
  readonly finish: () => void;
}

/** Proof that a block read from the backend is still current: nothing was evicted or discarded since. */
export interface LoadToken {
  readonly rangeEpoch: number;
  readonly slot: number;
}

/** A block read from the backend, with the token that says whether it is still current. */
export interface Loaded {
  readonly data: Buffer;
  readonly token: LoadToken;
}

/** Blocks installed by one write: what FUA and write-through make durable. */
export interface Installed {
  readonly first: number;
  readonly last: number;
  readonly seq: number;
}

/** A promise's settle functions, kept in a queue. */
export interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** The options of a cache, checked and with their defaults filled in (./cache-options.ts). */
export interface CacheConfig {
  /** Mode given at construction (SRV-6). */
  readonly mode: CacheMode;
  /** Bound on cached blocks, clean and dirty. */
  readonly capacity: number;
  /** Longest run of blocks one write installs at once (larger writes go in chunks). */
  readonly chunkBlocks: number;
  /** Longest coalesced destage write, in blocks. */
  readonly maxRunBlocks: number;
  /** Background destage writes in flight (four times as many while something waits). */
  readonly concurrency: number;
  /** Dirty data younger than this is not destaged unless something waits for it. */
  readonly delayMs: number;
  /** Reads of at most this many bytes that miss keep clean copies. */
  readonly populateMaxBytes: number;
  /** Pause before retrying a failed destage write. */
  readonly retryDelayMs: number;
  /** `close()` also closes the link below. */
  readonly closeBackend: boolean;
  /** Spare block buffers kept for reuse. */
  readonly maxSpare: number;
}
