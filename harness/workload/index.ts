// Public API of the verifying workload and the data-safety checker.

export { BLOCK_HEADER_BYTES, createBlockCodec, describeDecoded, type BlockCodec, type BlockCodecOptions } from './block-codec.js';
export { type CheckReadOptions, checkHistory, checkRead } from './check-history.js';
export { formatViolations } from './format-violations.js';
export { readBlocks } from './read-blocks.js';
export { startWorkload, type Workload, type WorkloadOptions, type WorkloadStats } from './verifying-workload.js';
export type * from './types.js';
