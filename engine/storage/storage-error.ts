import type { StorageErrorCode } from './types.js';

/**
 * A backend or cache could not be set up or used as asked. `code` is stable; the message says
 * what was wrong, with which input, and what to do.
 */
export class StorageError extends Error {
  constructor(
    /** Stable code, e.g. `STORAGE_NOT_ROOT`. */
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

/** The `code` of a Node system error (`ENOENT`, `EIO`...), if it has one. */
export function systemErrorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** The message of anything thrown. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
