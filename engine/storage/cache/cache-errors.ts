// What a cache request fails with: the BlockError (NBD error) its caller gets, for a bad request
// and for whatever the link below threw.

import { BlockError } from '../../types.js';
import { messageOf, StorageError, systemErrorCode } from '../storage-error.js';

/** Checks a request's range against a disk of `size` bytes; past the end is `beyondEnd` (EINVAL for reads, ENOSPC for writes). */
export function checkRequest(location: string, size: number, offset: number, length: number, beyondEnd: 'EINVAL' | 'ENOSPC'): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new BlockError('EINVAL', `${location}: invalid request: offset ${offset}, length ${length}`);
  }
  if (offset + length > size) {
    throw new BlockError(
      beyondEnd,
      `${location}: request of ${length} bytes at offset ${offset} goes past the end of the disk (${size} bytes)`,
    );
  }
}

/** Maps an error of the link below to the NBD error a host gets: out of space, invalid, or EIO. */
export function toBlockError(location: string, error: unknown): BlockError {
  if (error instanceof BlockError) return error;
  if (error instanceof StorageError && error.code === 'STORAGE_OUT_OF_RANGE') return new BlockError('EINVAL', error.message);
  const code = systemErrorCode(error);
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    return new BlockError('ENOSPC', `${location}: backend out of space: ${messageOf(error)}`);
  }
  return new BlockError('EIO', `${location}: backend I/O failed: ${messageOf(error)}`);
}
