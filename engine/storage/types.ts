// Contracts of engine/storage: backends, the write-back cache's options and counters, loop devices.
// The I/O contracts themselves (`Backend`, `BlockDevice`) live in ../types.ts.

import type { Code } from '../../contracts/codes.js';
import type { Backend } from '../types.js';

/** Kind of backing storage. */
export type BackendKind = Backend['kind'];

/**
 * A backend as engine/storage implements it: the `Backend` contract, the bottom link of an I/O
 * chain (every backend extends ./backend-link.ts and has `writev`, so the cache destages a run of
 * adjacent blocks in one system call without copying).
 */
export type StorageBackend = Backend;

/** What `openBackend` needs. */
export interface OpenBackendOptions {
  /** Which backend to open. */
  kind: BackendKind;
  /** Backing file (`file`, `loop`); a label for messages (`memory`). */
  path: string;
  /** Size in bytes; a missing backing file is created sparse with this size. */
  size: number;
  /**
   * Read on the calling thread (pread) instead of the thread pool (`file`, `loop`): much cheaper
   * for data in the page cache, but a read that misses it stalls the caller. Default false.
   */
  syncReads?: boolean;
  /**
   * Write on the calling thread (pwrite), batched per event-loop turn, instead of the thread pool
   * (`file`, `loop`): half the CPU per 4 KiB destage write (no thread wake-ups), but a write the
   * kernel throttles stalls the caller. Default false.
   */
  syncWrites?: boolean;
}

/** How a backend implements `discard`. */
export type DiscardMethod =
  /** Deallocates with `fallocate --punch-hole` (file) or `blkdiscard` (loop); reads give zeros. */
  | 'punchHole'
  /** Writes zeros over the range (the file stays allocated there); reads give zeros. */
  | 'zeros'
  /** Deallocates in memory; reads give zeros. */
  | 'memory';

/** Write caching mode (SRV-6, SRV-13). */
export type CacheMode =
  /** A write is acknowledged once it is in the cache; FLUSH and FUA make it durable. */
  | 'writeBack'
  /** A write is acknowledged once it is written to the backend and synced (fdatasync). */
  | 'writeThrough';

/** Options of a `WriteBackCache`. */
export interface WriteBackCacheOptions {
  /** Mode applied at construction (SRV-6: settings change only at the next start). */
  mode: CacheMode;
  /** Bound on the cached data, clean and dirty, in bytes: a multiple of 4096, at least 4096. */
  sizeBytes: number;
  /** Dirty data younger than this is not destaged unless something waits for it. Default 0. */
  destageDelayMs?: number;
  /**
   * Backend writes the background destager keeps in flight; four times as many while a flush or
   * a graceful stop waits. Default 4 (more only slows a saturated cache: see README).
   */
  destageConcurrency?: number;
  /** Longest coalesced destage write in bytes (a multiple of 4096). Default 1 MiB. */
  maxDestageBytes?: number;
  /** Reads up to this many bytes that miss keep a clean copy in the cache; 0 disables. Default 128 KiB. */
  readPopulateMaxBytes?: number;
  /** Pause before retrying a destage write that failed, in ms. Default 100. */
  retryDelayMs?: number;
  /** `close()` also closes the backend. Default true. */
  closeBackend?: boolean;
}

/** Counters of a cache, for status and benchmarks. Bytes unless said otherwise. */
export interface CacheStats {
  /** Mode in effect now (write-through while `forceWriteThrough(true)` holds, SRV-13). */
  mode: CacheMode;
  /** Mode the cache was constructed with (SRV-6). */
  configuredMode: CacheMode;
  /** Configured bound on cached data. */
  sizeBytes: number;
  /** Cache block size (4096). */
  blockSize: number;
  /** Data in the cache not yet written to the backend (including writes in flight). */
  dirtyBytes: number;
  /** Highest `dirtyBytes` seen since construction. */
  maxDirtyBytes: number;
  /** Data held in the cache, clean and dirty. */
  cachedBytes: number;
  /** Blocks of read requests served from the cache. */
  readHitBlocks: number;
  /** Blocks of read requests served from the backend. */
  readMissBlocks: number;
  /** Data written to the backend by the destager (including FUA and write-through). */
  destagedBytes: number;
  /** Backend write calls the destager made (fewer than blocks when it coalesced). */
  destageWrites: number;
  /** Destage writes that failed (and were retried). */
  destageErrors: number;
  /** Backend syncs (fdatasync) completed. */
  syncs: number;
  /** Times a writer waited because the cache was full of dirty data. */
  backpressureWaits: number;
  /** Data written straight to the backend because the cache was full (write-around of whole, uncached blocks). */
  bypassedBytes: number;
}

/** A loop device and its backing file, as `losetup --list` reports it. */
export interface LoopDeviceInfo {
  /** Device node, e.g. `/dev/loop3`. */
  device: string;
  /** Absolute path of the backing file (without the kernel's ` (deleted)` suffix). */
  backingFile: string;
  /** The backing file was deleted while attached. */
  deleted: boolean;
}

/** Stable codes of `StorageError` (catalogue: contracts/codes.ts). */
export type StorageErrorCode = Extract<
  Code,
  /** Options were invalid (size, cache size, kind). */
  | 'STORAGE_BAD_OPTIONS'
  /** An existing backing file has another size than requested. */
  | 'STORAGE_SIZE_MISMATCH'
  /** The backing file could not be created or opened. */
  | 'STORAGE_OPEN_FAILED'
  /** A request fell outside the backend. */
  | 'STORAGE_OUT_OF_RANGE'
  /** The backend was used after `close()`. */
  | 'STORAGE_CLOSED'
  /** Loop devices need root (CAP_SYS_ADMIN). */
  | 'STORAGE_NOT_ROOT'
  /** The `losetup` program (util-linux) is not installed. */
  | 'STORAGE_LOSETUP_MISSING'
  /** Every loop device is in use and no new one could be created. */
  | 'STORAGE_NO_FREE_LOOP'
  /** The kernel or container does not support loop devices here. */
  | 'STORAGE_LOOP_UNSUPPORTED'
  /** The backing file is already attached to a loop device. */
  | 'STORAGE_ALREADY_ATTACHED'
  /** `losetup` failed for another reason (its message is included). */
  | 'STORAGE_LOSETUP_FAILED'
>;
