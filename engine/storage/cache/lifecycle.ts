// The lifecycle of a cache: open, closing, closed or abandoned, and the requests in progress that
// a graceful close waits for.

import { BlockError } from '../../types.js';
import type { CacheState } from './types.js';

/**
 * State and requests in progress.
 *
 * Invariants:
 * - The state only moves forward: open -> closing -> closed, or to abandoned from open or
 *   closing (and abandoned -> closed when the backend is closed after a crash).
 * - `active` counts requests that passed `checkOpen()` and have not settled; `nextIdle()`
 *   resolves when it drops to zero. New requests are refused once the state is not open.
 */
export class Lifecycle {
  state: CacheState = 'open';
  private active = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    /** The link below, named in errors. */
    private readonly location: string,
    /** Maps anything a request threw to the BlockError its caller gets. */
    private readonly toBlockError: (error: unknown) => BlockError,
  ) {}

  /** Closed or abandoned: nothing more reaches the backend. */
  get ended(): boolean {
    return this.state === 'closed' || this.state === 'abandoned';
  }

  /** Refuses a new request unless open. */
  checkOpen(): void {
    if (this.state !== 'open') throw this.shutdownError();
  }

  /** Refuses to go on with a request once closed or abandoned (a crash or stop overtook it). */
  checkAlive(): void {
    if (this.ended) throw this.shutdownError();
  }

  shutdownError(): BlockError {
    return new BlockError('ESHUTDOWN', `${this.location}: the cache is ${this.state}; the server is stopping or stopped`);
  }

  /** A request starts (pair with `leave()`). */
  enter(): void {
    this.active++;
  }

  /** A request settled. */
  leave(): void {
    this.active--;
    if (this.active === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Runs a request, counted as in progress, with its errors mapped to BlockErrors. */
  async track<T>(run: () => Promise<T>): Promise<T> {
    this.active++;
    try {
      return await run();
    } catch (error) {
      throw this.toBlockError(error);
    } finally {
      this.leave();
    }
  }

  /** Some request is in progress. */
  get busy(): boolean {
    return this.active > 0;
  }

  /** Resolves when no request is in progress any more (one may start again before the caller resumes). */
  nextIdle(): Promise<void> {
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }
}
