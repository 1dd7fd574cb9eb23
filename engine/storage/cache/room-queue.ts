// The room queue: writers that would take dirty data past the cache's bound wait here, in order,
// until the destager has written enough.

import type { BlockIndex } from './block-index.js';
import type { Waiter } from './types.js';

interface RoomWaiter extends Waiter {
  /** Blocks the writer needs to make dirty (an estimate; it checks again when woken). */
  readonly need: number;
}

/**
 * A FIFO of writers waiting for room, with room reserved for each writer it wakes.
 *
 * Invariants:
 * - `dirtyCount + reserved` never exceeds the capacity because of a wake-up: a writer is woken
 *   only when its need fits, and its need is added to `reserved` until it resumes and
 *   `resumed(need)` gives it back (it then installs, or queues again at the front).
 * - Writers are woken in queue order; a new writer queues behind waiting ones (`needsRoom`), so
 *   a stream of small writes cannot starve a large one.
 */
export class RoomQueue {
  private waiters: RoomWaiter[] = [];
  /** Blocks reserved for writers woken from the queue that have not resumed yet. */
  private reserved = 0;
  /** Times a writer queued because the cache was full of dirty data. */
  waits = 0;

  constructor(private readonly index: BlockIndex) {}

  /** Some writer waits for room (the destager hurries). */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /** A new write of blocks [first, last] must queue: writers are queued, or it would take dirty plus reserved blocks past the bound. */
  needsRoom(first: number, last: number): boolean {
    const fresh = this.index.freshBlocks(first, last);
    return fresh > 0 && (this.waiters.length > 0 || this.index.dirtyCount + this.reserved + fresh > this.index.capacity);
  }

  /** Blocks [first, last] can become dirty without passing the bound (for a writer that was woken, whose room is reserved). */
  roomFor(first: number, last: number): boolean {
    return this.index.dirtyCount + this.index.freshBlocks(first, last) <= this.index.capacity;
  }

  /**
   * Queues a writer that needs `need` more dirty blocks until there is room. A writer woken
   * before that found it needs more after all (`front`) queues again at the front. The caller
   * calls `resumed(need)` once it runs again.
   */
  wait(need: number, front: boolean): Promise<void> {
    if (!front) this.waits++;
    const waiting = new Promise<void>((resolve, reject) => {
      const waiter: RoomWaiter = { need, resolve, reject };
      if (front) this.waiters.unshift(waiter);
      else this.waiters.push(waiter);
    });
    this.wake();
    return waiting;
  }

  /** A woken writer runs again: its reservation ends. */
  resumed(need: number): void {
    this.reserved -= need;
  }

  /** Wakes queued writers in order while the oldest one's need fits, reserving that room for it. */
  wake(): void {
    for (;;) {
      const head = this.waiters[0];
      if (head === undefined || this.index.dirtyCount + this.reserved + head.need > this.index.capacity) return;
      this.waiters.shift();
      this.reserved += head.need;
      head.resolve();
    }
  }

  /** Fails every waiting writer (a crash). */
  fail(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
  }
}
