// Load tokens: how a block read from the backend is known to be still current when the read
// completes. Without them, a block evicted (or discarded) and rewritten while its load was in
// flight could be installed from stale backend data.

import type { LoadToken } from './types.js';

/** Eviction counters are kept per slot (block number modulo this). */
const SLOTS = 16384;
const SLOT_MASK = SLOTS - 1;
/** Invalidating more blocks than this bumps the global epoch instead of their slots. */
const MAX_SLOT_BUMPS = 64;

/**
 * Eviction epochs: one counter per slot and one for the whole disk.
 *
 * Invariant: whenever the backend's contents of a block may have changed from under a load, or a
 * block leaves the cache (after which its dirty data may reach the backend later), the block's
 * slot counter or the global epoch is bumped first. A token taken before a load is therefore
 * valid afterwards only if neither moved. Slots are shared by blocks, so a token can be
 * invalidated needlessly (the load is retried), never kept wrongly.
 */
export class LoadTokens {
  private epoch = 0;
  private readonly slots = new Uint32Array(SLOTS);

  /** A token for a load of `block` starting now. */
  take(block: number): LoadToken {
    return { rangeEpoch: this.epoch, slot: this.slots[block & SLOT_MASK] as number };
  }

  /** Tokens for loads of blocks [first, last] starting now. */
  takeRange(first: number, last: number): LoadToken[] {
    const tokens: LoadToken[] = [];
    for (let b = first; b <= last; b++) tokens.push(this.take(b));
    return tokens;
  }

  /** A block loaded from the backend under `token` is still what the backend holds. */
  valid(token: LoadToken | undefined, block: number): boolean {
    return token !== undefined && token.rangeEpoch === this.epoch && token.slot === this.slots[block & SLOT_MASK];
  }

  /** `block` left the cache: loads of it that started before now are stale. */
  evicted(block: number): void {
    (this.slots[block & SLOT_MASK] as number)++;
  }

  /** Invalidates loads of blocks [first, end) that started before now. */
  invalidate(first: number, end: number): void {
    if (end - first > MAX_SLOT_BUMPS) {
      this.epoch++;
      return;
    }
    for (let b = first; b < end; b++) (this.slots[b & SLOT_MASK] as number)++;
  }
}
