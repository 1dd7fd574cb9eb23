// The `loop` backend: the backing file attached as a Linux loop device (direct I/O to the file when
// the kernel allows it), positional buffered I/O on /dev/loopN, sync = fdatasync on the device.
// The device is always detached: on close, and when anything fails after attaching.

import { constants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { openBackingFile } from './backing-file.js';
import { checkSize } from './check-range.js';
import { attachLoopDevice, detachLoopDevice, requireLoopSupport } from './loop-devices.js';
import { PositionalBackend } from './positional-backend.js';
import { runTool } from './run-tool.js';
import { messageOf, StorageError } from './storage-error.js';

/** Discards at least this long (of whole 4 KiB blocks) go to `blkdiscard`; the rest write zeros. */
export const BLKDISCARD_MIN_BYTES = 1024 * 1024;

/** Alignment `blkdiscard` is given (the loop driver's discard granularity). */
const DISCARD_ALIGN = 4096;

/** Options of the loop backend. */
export interface LoopBackendOptions {
  /** Ask the kernel for direct I/O to the backing file (`--direct-io=on`). Default true. */
  directIo?: boolean;
  /** Read the device on the calling thread (see OpenBackendOptions.syncReads). Default false. */
  syncReads?: boolean;
  /** Write the device on the calling thread (see OpenBackendOptions.syncWrites). Default false. */
  syncWrites?: boolean;
}

/**
 * Creates the backing file if missing (sparse, `size` bytes, a multiple of 512), attaches it to a
 * free loop device and opens the device.
 * @throws StorageError `STORAGE_NOT_ROOT`, `STORAGE_LOSETUP_MISSING`, `STORAGE_NO_FREE_LOOP`,
 *   `STORAGE_LOOP_UNSUPPORTED`, `STORAGE_ALREADY_ATTACHED`, `STORAGE_SIZE_MISMATCH`, ...
 */
export async function openLoopBackend(path: string, size: number, options: LoopBackendOptions = {}): Promise<LoopBackend> {
  checkSize(`loop backend ${path}`, size, 512);
  await requireLoopSupport();
  const file = await openBackingFile(path, size);
  await file.handle.close();
  const attached = await attachLoopDevice(path, { directIo: options.directIo ?? true });
  let handle: FileHandle | null = null;
  try {
    handle = await open(attached.device, constants.O_RDWR);
    const sectors = Number(
      (await readFile(`/sys/block/${attached.device.slice(attached.device.lastIndexOf('/') + 1)}/size`, 'utf8')).trim(),
    );
    if (sectors * 512 !== size) {
      throw new StorageError(
        'STORAGE_SIZE_MISMATCH',
        `${attached.device} (backing file ${path}) has ${sectors * 512} bytes, expected ${size}; check the backing file`,
      );
    }
    return new LoopBackend(
      path,
      attached.device,
      size,
      handle,
      attached.directIo,
      attached.directIoRefusal,
      options.syncReads ?? false,
      options.syncWrites ?? false,
    );
  } catch (error) {
    try {
      await handle?.close();
    } finally {
      await detachLoopDevice(attached.device).catch(() => undefined);
    }
    if (error instanceof StorageError) throw error;
    throw new StorageError(
      'STORAGE_LOOP_UNSUPPORTED',
      `attached ${path} to ${attached.device} but could not use the device: ${messageOf(error)}; ` +
        'in a container, make the loop device nodes available (or use the file backend). The device was detached.',
      { cause: error },
    );
  }
}

export class LoopBackend extends PositionalBackend {
  readonly kind = 'loop' as const;

  constructor(
    /** Path of the backing file. */
    readonly backingFile: string,
    /** The loop device, e.g. `/dev/loop3` (`location`). */
    location: string,
    size: number,
    handle: FileHandle,
    /** The loop driver does direct I/O to the backing file (bypassing its page cache). */
    readonly directIo: boolean,
    /** Why direct I/O is off although asked for; null when on or not asked for. */
    readonly directIoRefusal: string | null,
    syncReads = false,
    syncWrites = false,
  ) {
    super(location, size, handle, syncReads, syncWrites, 'the backend is closed and detached; open it again');
  }

  /** `blkdiscard` for whole aligned 4 KiB blocks of large ranges (the loop driver punches holes), zeros elsewhere. */
  async discard(offset: number, length: number): Promise<void> {
    this.check(offset, length);
    const end = offset + length;
    const start = Math.ceil(offset / DISCARD_ALIGN) * DISCARD_ALIGN;
    const stop = Math.floor(end / DISCARD_ALIGN) * DISCARD_ALIGN;
    if (this.method === 'punchHole' && stop - start >= BLKDISCARD_MIN_BYTES) {
      const result = await runTool('blkdiscard', ['--force', '--offset', String(start), '--length', String(stop - start), this.location]);
      if (result.ok) {
        if (start > offset) await this.io.writeZeros(offset, start - offset);
        if (end > stop) await this.io.writeZeros(stop, end - stop);
        return;
      }
      this.method = 'zeros';
    }
    await this.io.writeZeros(offset, length);
  }

  /** Closes the device and detaches it (`losetup -d`), whatever happens. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.io.close();
      } finally {
        await detachLoopDevice(this.location);
      }
    })();
    return this.closing;
  }
}
