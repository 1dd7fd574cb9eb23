// Opens a backing file, creating it sparse with the requested size when it is missing.

import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { messageOf, StorageError, systemErrorCode } from './storage-error.js';

/** An open backing file. */
export interface BackingFile {
  /** Open read-write. */
  handle: FileHandle;
  /** The file did not exist and was created (sparse, `size` bytes). */
  created: boolean;
}

/**
 * Opens `path` read-write. A missing file is created sparse with `size` bytes; an existing file of
 * another size is refused with `STORAGE_SIZE_MISMATCH` (nothing is truncated or extended).
 */
export async function openBackingFile(path: string, size: number): Promise<BackingFile> {
  let handle: FileHandle;
  let created = false;
  try {
    handle = await open(path, constants.O_RDWR);
  } catch (error) {
    if (systemErrorCode(error) !== 'ENOENT') throw openFailed(path, error);
    try {
      handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
      created = true;
    } catch (createError) {
      if (systemErrorCode(createError) !== 'EEXIST') throw openFailed(path, createError);
      // Someone created it between our two opens: use theirs, the size check below applies.
      handle = await open(path, constants.O_RDWR).catch((e: unknown) => {
        throw openFailed(path, e);
      });
    }
  }
  try {
    if (created) await handle.truncate(size);
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new StorageError('STORAGE_OPEN_FAILED', `${path} is not a regular file; give the path of a backing file`);
    }
    if (stat.size !== size) {
      throw new StorageError(
        'STORAGE_SIZE_MISMATCH',
        `backing file ${path} is ${stat.size} bytes but ${size} bytes were asked for; ` +
          `use size ${stat.size}, or move the file away to create a new one`,
      );
    }
    return { handle, created };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error instanceof StorageError ? error : openFailed(path, error);
  }
}

function openFailed(path: string, error: unknown): StorageError {
  return new StorageError(
    'STORAGE_OPEN_FAILED',
    `cannot open or create backing file ${path}: ${messageOf(error)}; check that its directory exists and is writable`,
    { cause: error },
  );
}
