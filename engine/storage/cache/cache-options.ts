// The options of a write-back cache, checked once at construction, with their defaults filled in.

import type { BlockLayer } from '../../types.js';
import { StorageError } from '../storage-error.js';
import type { WriteBackCacheOptions } from '../types.js';
import { CACHE_BLOCK_SIZE as BS, type CacheConfig } from './types.js';

/** Checks `options` for a cache over `next`; throws STORAGE_BAD_OPTIONS naming the bad one. */
export function resolveCacheConfig(next: BlockLayer, options: WriteBackCacheOptions): CacheConfig {
  const bad = (what: string): never => {
    throw new StorageError('STORAGE_BAD_OPTIONS', `write-back cache over ${next.location}: ${what}`);
  };
  if (next.size % BS !== 0) bad(`backend size ${next.size} is not a multiple of ${BS}; size virtual disks in whole 4 KiB blocks`);
  if (options.mode !== 'writeBack' && options.mode !== 'writeThrough') bad(`mode ${String(options.mode)} is not writeBack or writeThrough`);
  if (!Number.isSafeInteger(options.sizeBytes) || options.sizeBytes < BS || options.sizeBytes % BS !== 0) {
    bad(`sizeBytes ${options.sizeBytes} must be a multiple of ${BS} and at least ${BS}`);
  }
  const maxDestage = options.maxDestageBytes ?? 1024 * 1024;
  if (!Number.isSafeInteger(maxDestage) || maxDestage < BS || maxDestage % BS !== 0) {
    bad(`maxDestageBytes ${maxDestage} must be a multiple of ${BS} and at least ${BS}`);
  }
  const concurrency = options.destageConcurrency ?? 4;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) bad(`destageConcurrency ${concurrency} must be a whole number >= 1`);
  const capacity = options.sizeBytes / BS;
  return {
    mode: options.mode,
    capacity,
    chunkBlocks: Math.max(1, Math.min(1024, Math.floor(capacity / 4))),
    maxRunBlocks: maxDestage / BS,
    concurrency,
    delayMs: Math.max(0, options.destageDelayMs ?? 0),
    populateMaxBytes: Math.max(0, options.readPopulateMaxBytes ?? 128 * 1024),
    retryDelayMs: Math.max(0, options.retryDelayMs ?? 100),
    closeBackend: options.closeBackend ?? true,
    maxSpare: Math.min(capacity, 1024),
  };
}
