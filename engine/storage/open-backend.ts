import { openFileBackend } from './file-backend.js';
import { openLoopBackend } from './loop-backend.js';
import { MemoryBackend } from './memory-backend.js';
import { StorageError } from './storage-error.js';
import type { OpenBackendOptions, StorageBackend } from './types.js';

/**
 * Opens the backend a virtual disk's copy lives on: `file` (sparse file, created if missing),
 * `loop` (that file attached as a loop device; needs root) or `memory` (tests).
 */
export async function openBackend(options: OpenBackendOptions): Promise<StorageBackend> {
  const kind: string = options.kind;
  switch (options.kind) {
    case 'file':
      return openFileBackend(options.path, options.size, { syncReads: options.syncReads, syncWrites: options.syncWrites });
    case 'loop':
      return openLoopBackend(options.path, options.size, { syncReads: options.syncReads, syncWrites: options.syncWrites });
    case 'memory':
      return new MemoryBackend(options.size, options.path);
    default:
      throw new StorageError('STORAGE_BAD_OPTIONS', `unknown backend kind ${JSON.stringify(kind)}; use file, loop or memory`);
  }
}
