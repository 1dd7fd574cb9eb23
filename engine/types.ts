// Contracts inside the engine. The engine imports nothing from the rest of sanspec.

/** NBD error names a block device may fail a request with (NBD protocol, doc/proto.md). */
export type BlockErrorCode = 'EPERM' | 'EIO' | 'ENOMEM' | 'EINVAL' | 'ENOSPC' | 'EOVERFLOW' | 'ENOTSUP' | 'ESHUTDOWN';

/** A failed block request; the NBD front end replies with `code`. */
export class BlockError extends Error {
  constructor(
    /** The NBD error to reply with. */
    readonly code: BlockErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BlockError';
  }
}

/** Options of a write-like request. */
export interface WriteOptions {
  /** Force Unit Access: the data is on stable storage before the request completes. */
  fua: boolean;
}

/**
 * What the NBD front end serves: a virtual disk as hosts see it, and the contract of every link of
 * the I/O chain below it (`BlockLayer`). Requests may run concurrently; a read issued after a write
 * completed sees that write.
 */
export interface BlockDevice {
  /** Size in bytes. */
  readonly size: number;
  /** Reads `length` bytes at `offset`. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Writes `data` at `offset`; with `fua`, durable before it resolves. */
  write(offset: number, data: Buffer, options: WriteOptions): Promise<void>;
  /** Makes every write completed before the call durable. */
  flush(): Promise<void>;
  /** Discards a range (reads may return zeros afterwards). */
  trim(offset: number, length: number, options: WriteOptions): Promise<void>;
  /** Writes zeros over a range: exactly that range reads zeros afterwards. */
  writeZeroes(offset: number, length: number, options: WriteOptions): Promise<void>;
}

/**
 * One link of a virtual disk's I/O chain, as an nbdkit filter or plugin is one: a `BlockDevice`
 * that the link above calls and that serves each request itself or through the link below it.
 * A server's chain, top to bottom (assembled in engine/server/io-chain.ts):
 *
 *     NBD front end -> [mirror] -> write-back cache -> backend
 *
 * A link knows the link below only as a `BlockLayer`, so any link (engine/layers/) can be stacked
 * between any two others.
 */
export interface BlockLayer extends BlockDevice {
  /** What and where this link is, for messages: a file path, `/dev/loop3`, `memory:v1`, `cache over ...`. */
  readonly location: string;
  /**
   * Optional: writes `buffers` back to back from `offset` as one write (pwritev), without copying
   * them together. A caller finding none concatenates them and calls `write`.
   */
  writev?(offset: number, buffers: readonly Buffer[], options: WriteOptions): Promise<void>;
  /**
   * Releases this link. A link that holds data (the cache) first makes every acknowledged write
   * durable in the link below. A chain closes every one of its links itself, top down, so a link
   * need not close the one below (the cache's `closeBackend` option). Idempotent.
   */
  close(): Promise<void>;
}

/** Options of a write that is not FUA (one shared object: links pass it down without allocating). */
export const NO_FUA: WriteOptions = Object.freeze({ fua: false });

/**
 * Raw storage under a server, the bottom link of every I/O chain: a sparse file, a Linux loop
 * device, or memory (unit tests). Positional, no caching of its own beyond the OS. As a link:
 * `flush` is `sync`, `trim` and `writeZeroes` are `discard` (reads give zeros afterwards on every
 * backend), and a FUA write is a write followed by a sync.
 */
export interface Backend extends BlockLayer {
  /** Kind of backend, for status and errors. */
  readonly kind: 'file' | 'loop' | 'memory';
  /** Writes `data` at `offset`. Not durable until `sync` (unless `options.fua`). */
  write(offset: number, data: Buffer, options?: WriteOptions): Promise<void>;
  /** Writes `buffers` back to back from `offset` (pwritev). Not durable until `sync` (unless `options.fua`). */
  writev?(offset: number, buffers: readonly Buffer[], options?: WriteOptions): Promise<void>;
  /** Deallocates a range where the backend can (reads return zeros afterwards). */
  discard(offset: number, length: number): Promise<void>;
  /** Makes every completed write durable (fdatasync). */
  sync(): Promise<void>;
  /** The same as `discard`. */
  trim(offset: number, length: number, options?: WriteOptions): Promise<void>;
  /** The same as `discard`: the range reads zeros afterwards. */
  writeZeroes(offset: number, length: number, options?: WriteOptions): Promise<void>;
}
