// The `file` backend: a sparse file, positional I/O through a FileHandle, sync = fdatasync.

import type { FileHandle } from 'node:fs/promises';
import { openBackingFile } from './backing-file.js';
import { checkRange, checkSize } from './check-range.js';
import { readFully, readFullySync, SyncWriteBatcher, writeFully, writevFully, writeZeros } from './positional-io.js';
import { runTool } from './run-tool.js';
import { StorageError } from './storage-error.js';
import type { DiscardMethod, StorageBackend } from './types.js';

/** Discards at least this long punch a hole; shorter ones (and any after a failed punch) write zeros. */
export const PUNCH_HOLE_MIN_BYTES = 1024 * 1024;

/**
 * Opens (or creates, sparse) the backing file `path` of `size` bytes.
 * @throws StorageError `STORAGE_SIZE_MISMATCH` when the file exists with another size,
 *   `STORAGE_OPEN_FAILED` when it cannot be opened or created, `STORAGE_BAD_OPTIONS` for a bad size.
 */
export async function openFileBackend(path: string, size: number, options: { syncReads?: boolean; syncWrites?: boolean } = {}): Promise<FileBackend> {
  checkSize(`file backend ${path}`, size);
  const { handle, created } = await openBackingFile(path, size);
  return new FileBackend(path, size, handle, created, options.syncReads ?? false, options.syncWrites ?? false);
}

/**
 * A sparse backing file. `discard` deallocates with `fallocate --punch-hole --keep-size`
 * (util-linux) for ranges of 1 MiB or more, and writes zeros otherwise or when punching is not
 * possible (tool missing, file system without support); either way reads return zeros afterwards.
 */
export class FileBackend implements StorageBackend {
  readonly kind = 'file' as const;
  private closing: Promise<void> | null = null;
  private method: DiscardMethod = 'punchHole';
  private readonly batcher: SyncWriteBatcher | null;

  constructor(
    /** Path of the backing file. */
    readonly location: string,
    /** Size in bytes. */
    readonly size: number,
    private readonly handle: FileHandle,
    /** The file was created by this open. */
    readonly created: boolean,
    /** Reads run on the calling thread (see OpenBackendOptions.syncReads). */
    readonly syncReads = false,
    /** Writes run on the calling thread, batched per event-loop turn (see OpenBackendOptions.syncWrites). */
    readonly syncWrites = false,
  ) {
    this.batcher = syncWrites ? new SyncWriteBatcher(handle.fd, location) : null;
  }

  /** How large discards are done now: `punchHole`, or `zeros` after punching failed once. */
  get discardMethod(): DiscardMethod {
    return this.method;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.check(offset, length);
    return this.syncReads ? readFullySync(this.handle.fd, offset, length) : readFully(this.handle, offset, length);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    this.check(offset, data.length);
    if (this.batcher !== null) return this.batcher.write(offset, [data]);
    const { bytesWritten } = await this.handle.write(data, 0, data.length, offset);
    if (bytesWritten < data.length) await writeFully(this.handle, offset + bytesWritten, data.subarray(bytesWritten));
  }

  async writev(offset: number, buffers: readonly Buffer[]): Promise<void> {
    if (buffers.length === 1) return this.write(offset, buffers[0] as Buffer);
    this.check(offset, buffers.reduce((sum, b) => sum + b.length, 0));
    if (this.batcher !== null) return this.batcher.write(offset, buffers);
    await writevFully(this.handle, offset, buffers);
  }

  async discard(offset: number, length: number): Promise<void> {
    this.check(offset, length);
    if (length === 0) return;
    if (this.method === 'punchHole' && length >= PUNCH_HOLE_MIN_BYTES) {
      const result = await runTool('fallocate', [
        '--punch-hole',
        '--keep-size',
        '--offset',
        String(offset),
        '--length',
        String(length),
        this.location,
      ]);
      if (result.ok) return;
      this.method = 'zeros';
    }
    await writeZeros(this.handle, offset, length);
  }

  async sync(): Promise<void> {
    this.checkOpen();
    await this.handle.datasync();
  }

  /** Closes the file (after pending operations on it finish). Idempotent. */
  close(): Promise<void> {
    if (this.closing === null) {
      this.batcher?.close();
      this.closing = this.handle.close();
    }
    return this.closing;
  }

  private check(offset: number, length: number): void {
    this.checkOpen();
    checkRange(this.location, this.size, offset, length);
  }

  private checkOpen(): void {
    if (this.closing !== null) {
      throw new StorageError('STORAGE_CLOSED', `${this.location}: the backend is closed; open it again`);
    }
  }
}
