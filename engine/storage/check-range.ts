import { StorageError } from './storage-error.js';

/** Throws `STORAGE_OUT_OF_RANGE` unless [offset, offset + length) lies inside a backend of `size`. */
export function checkRange(location: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new StorageError(
      'STORAGE_OUT_OF_RANGE',
      `${location}: request of ${length} bytes at offset ${offset} is outside the backend (size ${size} bytes)`,
    );
  }
}

/** Checks a size given to open a backend: a positive safe integer, optionally a multiple of `multiple`. */
export function checkSize(what: string, size: number, multiple = 1): void {
  if (!Number.isSafeInteger(size) || size <= 0 || size % multiple !== 0) {
    throw new StorageError(
      'STORAGE_BAD_OPTIONS',
      `${what}: size ${size} is not valid; give a positive whole number of bytes` +
        (multiple > 1 ? ` that is a multiple of ${multiple}` : ''),
    );
  }
}
