// Flush generations: how a flush knows when every write acknowledged before it is on the backend,
// without scanning the cache and without waiting for writes that came after it.

import type { Waiter } from './types.js';

interface FlushWaiter extends Waiter {
  /** Resolved once no write of this generation or older is only in the cache. */
  readonly gen: number;
}

/**
 * Every write is tagged with the current generation; a flush closes it (later writes get the
 * next one) and waits until no block's oldest not-yet-written write belongs to it or an older one.
 *
 * Invariants:
 * - `counts` maps a generation to the number of blocks whose oldest write not yet on the backend
 *   belongs to it (a dirty block counts once, for its `dirtyGen`; a range operation holds the
 *   generations of the dirty blocks it dropped until it is done). No entry is ever zero.
 * - Waiters are kept in generation order (each flush closes a newer generation than the last),
 *   and a waiter is resolved only once `oldestLive()` is past its generation.
 */
export class FlushGenerations {
  private gen = 0;
  private readonly counts = new Map<number, number>();
  private waiters: FlushWaiter[] = [];

  /** The generation writes are tagged with now. */
  get current(): number {
    return this.gen;
  }

  /** Some flush waits (the destager hurries). */
  get waiting(): boolean {
    return this.waiters.length > 0;
  }

  /** A flush closes the current generation; returns it. */
  close(): number {
    return this.gen++;
  }

  /** One more block's oldest unwritten write belongs to `gen`. */
  add(gen: number): void {
    this.counts.set(gen, (this.counts.get(gen) ?? 0) + 1);
  }

  /** One block less with its oldest unwritten write in `gen` (it was written, or dropped). */
  remove(gen: number): void {
    const left = (this.counts.get(gen) ?? 0) - 1;
    if (left > 0) this.counts.set(gen, left);
    else this.counts.delete(gen);
  }

  /** The oldest generation a block still waits to be written for, or Infinity. */
  oldestLive(): number {
    let min = Infinity;
    for (const gen of this.counts.keys()) if (gen < min) min = gen;
    return min;
  }

  /** Resolves once nothing of generation `gen` or older is only in the cache; null if that is so already. */
  waitFor(gen: number): Promise<void> | null {
    if (this.oldestLive() > gen) return null;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ gen, resolve, reject });
    });
  }

  /** Resolves the waiters whose generations are all written. */
  resolveReady(): void {
    if (this.waiters.length === 0) return;
    const min = this.oldestLive();
    let n = 0;
    while (n < this.waiters.length && (this.waiters[n] as FlushWaiter).gen < min) n++;
    if (n === 0) return;
    const ready = this.waiters.splice(0, n);
    for (const w of ready) w.resolve();
  }

  /** Fails every waiting flush (a backend write failed: the data it waits for may never get there). */
  fail(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
  }

  /** Fails every waiting flush and forgets all counts (a crash). */
  clear(error: Error): void {
    this.fail(error);
    this.counts.clear();
  }
}
