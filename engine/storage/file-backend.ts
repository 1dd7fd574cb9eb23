// The `file` backend: a sparse file, positional I/O through a FileHandle, sync = fdatasync.

import type { FileHandle } from 'node:fs/promises';
import { openBackingFile } from './backing-file.js';
import { checkSize } from './check-range.js';
import { PositionalBackend } from './positional-backend.js';
import { runTool } from './run-tool.js';

/** Discards at least this long punch a hole; shorter ones (and any after a failed punch) write zeros. */
export const PUNCH_HOLE_MIN_BYTES = 1024 * 1024;

/**
 * Opens (or creates, sparse) the backing file `path` of `size` bytes.
 * @throws StorageError `STORAGE_SIZE_MISMATCH` when the file exists with another size,
 *   `STORAGE_OPEN_FAILED` when it cannot be opened or created, `STORAGE_BAD_OPTIONS` for a bad size.
 */
export async function openFileBackend(
  path: string,
  size: number,
  options: { syncReads?: boolean; syncWrites?: boolean } = {},
): Promise<FileBackend> {
  checkSize(`file backend ${path}`, size);
  const { handle, created } = await openBackingFile(path, size);
  return new FileBackend(path, size, handle, created, options.syncReads ?? false, options.syncWrites ?? false);
}

/**
 * A sparse backing file. `discard` deallocates with `fallocate --punch-hole --keep-size`
 * (util-linux) for ranges of 1 MiB or more, and writes zeros otherwise or when punching is not
 * possible (tool missing, file system without support); either way reads return zeros afterwards.
 */
export class FileBackend extends PositionalBackend {
  readonly kind = 'file' as const;

  constructor(
    location: string,
    size: number,
    handle: FileHandle,
    /** The file was created by this open. */
    readonly created: boolean,
    syncReads = false,
    syncWrites = false,
  ) {
    super(location, size, handle, syncReads, syncWrites, 'the backend is closed; open it again');
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
    await this.io.writeZeros(offset, length);
  }

  /** Closes the file (after pending operations on it finish). Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.io.close();
    return this.closing;
  }
}
