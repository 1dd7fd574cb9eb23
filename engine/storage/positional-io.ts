// Positional I/O on a FileHandle: explicit offsets on every call, never the file cursor, and
// short reads and writes completed.

import { readSync, writeSync, writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

/** Zeros shared by every zero-filling write; never written to. */
const ZEROS = Buffer.alloc(1024 * 1024);

/** Most buffers passed to one pwritev (Linux IOV_MAX is 1024). */
const MAX_IOVECS = 1024;

/** Reads exactly `length` bytes at `offset`; bytes past the end of the file read as zeros. */
export async function readFully(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
    if (bytesRead === 0) {
      buffer.fill(0, done);
      break;
    }
    done += bytesRead;
  }
  return buffer;
}

/**
 * Reads exactly `length` bytes at `offset` on the calling thread (pread); bytes past the end read
 * as zeros. For data in the page cache this costs a few microseconds instead of a thread-pool
 * round trip; a read that misses it blocks the caller for the disk's latency.
 */
export function readFullySync(fd: number, offset: number, length: number): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, offset + done);
    if (n === 0) {
      buffer.fill(0, done);
      break;
    }
    done += n;
  }
  return buffer;
}

/** Writes all of `data` at `offset`. */
export async function writeFully(handle: FileHandle, offset: number, data: Buffer): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, offset + done);
    done += bytesWritten;
  }
}

/** What is left of `batch` after a vectored write wrote its first `written` bytes. */
function unwritten(batch: readonly Buffer[], written: number): Buffer[] {
  const rest: Buffer[] = [];
  let skip = written;
  for (const b of batch) {
    if (skip >= b.length) skip -= b.length;
    else {
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
  }
  return rest;
}

/** Writes `buffers` back to back at `offset` with pwritev, completing short writes. */
export async function writevFully(handle: FileHandle, offset: number, buffers: readonly Buffer[]): Promise<void> {
  if (buffers.length === 1) return writeFully(handle, offset, buffers[0] as Buffer);
  let position = offset;
  for (let start = 0; start < buffers.length; start += MAX_IOVECS) {
    const batch = buffers.slice(start, start + MAX_IOVECS);
    const total = batch.reduce((sum, b) => sum + b.length, 0);
    const { bytesWritten } = await handle.writev(batch, position);
    if (bytesWritten < total) {
      // Short vectored write: finish the rest buffer by buffer.
      let at = position + bytesWritten;
      for (const rest of unwritten(batch, bytesWritten)) {
        await writeFully(handle, at, rest);
        at += rest.length;
      }
    }
    position += total;
  }
}

/** Writes zeros over [offset, offset + length). */
export async function writeZeros(handle: FileHandle, offset: number, length: number): Promise<void> {
  let position = offset;
  let left = length;
  while (left > 0) {
    const buffers: Buffer[] = [];
    while (left > 0 && buffers.length < 16) {
      const n = Math.min(left, ZEROS.length);
      buffers.push(n === ZEROS.length ? ZEROS : ZEROS.subarray(0, n));
      left -= n;
    }
    await writevFully(handle, position, buffers);
    position += buffers.reduce((sum, b) => sum + b.length, 0);
  }
}

/** One queued write of a `SyncWriteBatcher`. */
interface QueuedWrite {
  readonly offset: number;
  readonly buffers: readonly Buffer[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs positional writes on the calling thread (pwrite/pwritev) instead of the thread pool,
 * batched: the writes queued during one turn of the event loop run together in its check phase
 * (setImmediate), after socket I/O was polled, so a writer that queues the next write from a
 * completion (the cache's destager) cannot starve the network. For writes that land in the page
 * cache this costs a few microseconds each, where a thread-pool round trip costs two thread
 * wake-ups; a write the kernel throttles stalls the whole process for that long.
 */
export class SyncWriteBatcher {
  private queue: QueuedWrite[] = [];
  private scheduled = false;
  private closed = false;

  /** `fd` stays owned by the caller, who must call `close()` before closing it. */
  constructor(
    private readonly fd: number,
    /** Names the device in errors. */
    private readonly label: string,
  ) {}

  /** Queues a write of `buffers` back to back at `offset`; resolves once it is done. */
  write(offset: number, buffers: readonly Buffer[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.label}: write after close`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ offset, buffers, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.run());
      }
    });
  }

  /**
   * Runs what is queued now, then refuses further writes: after this the caller may close the
   * descriptor without any write reaching whatever file reuses its number.
   */
  close(): void {
    this.run();
    this.closed = true;
  }

  private run(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    for (const w of batch) {
      try {
        writevFullySync(this.fd, w.offset, w.buffers);
        w.resolve();
      } catch (error) {
        w.reject(error);
      }
    }
  }
}

/** Writes `buffers` back to back at `offset` on the calling thread, completing short writes. */
export function writevFullySync(fd: number, offset: number, buffers: readonly Buffer[]): void {
  let position = offset;
  for (let start = 0; start < buffers.length; start += MAX_IOVECS) {
    const batch = buffers.slice(start, start + MAX_IOVECS);
    const total = batch.reduce((sum, b) => sum + b.length, 0);
    const written = batch.length === 1 ? writeSync(fd, batch[0] as Buffer, 0, total, position) : writevSync(fd, batch, position);
    if (written < total) {
      let at = position + written;
      for (const rest of unwritten(batch, written)) {
        for (let done = 0; done < rest.length; ) {
          const n = writeSync(fd, rest, done, rest.length - done, at);
          done += n;
          at += n;
        }
      }
    }
    position += total;
  }
}

/**
 * Positional I/O on an open file or device, as both the `file` and `loop` backends do it: reads
 * and writes on the thread pool, or on the calling thread (`syncReads`, `syncWrites`, see
 * OpenBackendOptions), with short transfers completed. Range and open checks are the caller's.
 */
export class PositionalIo {
  private readonly batcher: SyncWriteBatcher | null;

  constructor(
    private readonly handle: FileHandle,
    /** Names the file or device in errors. */
    label: string,
    readonly syncReads: boolean,
    readonly syncWrites: boolean,
  ) {
    this.batcher = syncWrites ? new SyncWriteBatcher(handle.fd, label) : null;
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.syncReads ? Promise.resolve(readFullySync(this.handle.fd, offset, length)) : readFully(this.handle, offset, length);
  }

  /** Writes `buffers` back to back at `offset`. */
  write(offset: number, buffers: readonly Buffer[]): Promise<void> {
    if (this.batcher !== null) return this.batcher.write(offset, buffers);
    return writevFully(this.handle, offset, buffers);
  }

  writeZeros(offset: number, length: number): Promise<void> {
    return writeZeros(this.handle, offset, length);
  }

  sync(): Promise<void> {
    return this.handle.datasync();
  }

  /** Runs the writes already queued, then closes the handle. */
  close(): Promise<void> {
    this.batcher?.close();
    return this.handle.close();
  }
}
