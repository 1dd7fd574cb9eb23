// engine/storage: backends (file, loop, memory) and the write-back cache over them.

export type {
  BackendKind,
  CacheMode,
  CacheStats,
  DiscardMethod,
  LoopDeviceInfo,
  OpenBackendOptions,
  StorageBackend,
  StorageErrorCode,
  WriteBackCacheOptions,
} from './types.js';
export { StorageError } from './storage-error.js';
export { openBackend } from './open-backend.js';
export { FileBackend, openFileBackend, PUNCH_HOLE_MIN_BYTES } from './file-backend.js';
export { LoopBackend, openLoopBackend, BLKDISCARD_MIN_BYTES, type LoopBackendOptions } from './loop-backend.js';
export {
  attachLoopDevice,
  checkLoopSupport,
  detachLoopDevice,
  detachLoopDevices,
  listAllLoopDevices,
  listLoopDevices,
  type AttachedLoopDevice,
  type LoopSupport,
} from './loop-devices.js';
export { MemoryBackend, type MemoryBackendStats } from './memory-backend.js';
export { FaultInjectingBackend, type BackendOperation, type FaultInjectingOptions, type GatePhase } from './fault-injecting-backend.js';
export { WriteBackCache } from './write-back-cache.js';
export { CACHE_BLOCK_SIZE } from './cache/types.js';
export { BackendLink } from './backend-link.js';
