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
 * Raw storage under a server: a sparse file, a Linux loop device, or memory (unit tests).
 * Positional, no caching of its own beyond the OS; `sync` is fdatasync.
 */
export interface Backend {
  /** Kind of backend, for status and errors. */
  readonly kind: 'file' | 'loop' | 'memory';
  /** Size in bytes. */
  readonly size: number;
  /** Where the data lives (file path or /dev/loopN), for messages. */
  readonly location: string;
  /** Reads `length` bytes at `offset` (zeros where nothing was written). */
  read(offset: number, length: number): Promise<Buffer>;
  /** Writes `data` at `offset`. Not durable until `sync`. */
  write(offset: number, data: Buffer): Promise<void>;
  /** Deallocates a range where the backend can (reads return zeros afterwards). */
  discard(offset: number, length: number): Promise<void>;
  /** Makes every completed write durable (fdatasync). */
  sync(): Promise<void>;
  /** Releases the backend (closes files, detaches loop devices). Idempotent. */
  close(): Promise<void>;
}

/**
 * What the NBD front end serves: a virtual disk as hosts see it. Implemented by the
 * write-back cache over a backend (and, later, by the mirror layer over the cache).
 * Requests may run concurrently; a read issued after a write completed sees that write.
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
  /** Writes zeros over a range. */
  writeZeroes(offset: number, length: number, options: WriteOptions): Promise<void>;
}
