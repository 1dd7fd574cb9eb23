// Spare 4 KiB block buffers, reused instead of allocated: a busy cache installs a new buffer for
// every block it writes, and reusing them spares the allocator and the garbage collector.

import { CACHE_BLOCK_SIZE as BS } from './types.js';

/**
 * A bounded stack of block buffers nothing refers to any more.
 *
 * Invariant: a buffer is in the pool only while no cache entry holds it as `data` and no destage
 * write in flight holds it (readers copy out synchronously, so they never hold one).
 */
export class BufferPool {
  private readonly spare: Buffer[] = [];

  constructor(
    /** Most buffers kept; more are left to the garbage collector. */
    private readonly max: number,
  ) {}

  /** A block buffer: a recycled one if any, else a new one. Its contents are garbage. */
  take(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafeSlow(BS);
  }

  /** Keeps `buffer` for reuse. Only for buffers nothing refers to any more (see the invariant). */
  recycle(buffer: Buffer): void {
    if (this.spare.length < this.max) this.spare.push(buffer);
  }
}
