// Shared syncs: concurrent flushes and FUA writes share backend syncs (fdatasync) instead of
// queueing one each, and a flush with nothing written since the last sync does not sync.

import type { BlockLayer } from '../../types.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * Syncs of the link below a cache (its `flush`).
 *
 * Invariants:
 * - `written` counts backend writes and discards completed so far; `synced` is the value of
 *   `written` that the latest completed sync started after. `written === synced` means the
 *   backend holds nothing unsynced that the cache wrote.
 * - A caller of `request()` gets a sync that started after its call: the running one if none is
 *   running yet, else the single sync queued behind the running one (shared by every caller
 *   that came while it ran).
 */
export class SharedSync {
  private written = 0;
  private synced = 0;
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** Syncs completed. */
  syncs = 0;

  constructor(
    private readonly next: BlockLayer,
    /** Throws if the cache was closed or abandoned meanwhile. */
    private readonly checkAlive: () => void,
  ) {}

  /** A backend write or discard completed: the next sync has something to do. */
  wrote(): void {
    this.written++;
  }

  /** Resolves once a sync that started after this call completed (at once if nothing was written since the last one). */
  request(): Promise<void> {
    if (this.running === null) {
      if (this.written === this.synced) return RESOLVED;
      return this.start();
    }
    if (this.queued === null) {
      const after = (): Promise<void> => {
        this.queued = null;
        return this.start();
      };
      this.queued = this.running.then(after, after);
    }
    return this.queued;
  }

  private start(): Promise<void> {
    const epoch = this.written;
    const running = (async () => {
      this.checkAlive();
      await this.next.flush();
      this.syncs++;
      if (epoch > this.synced) this.synced = epoch;
    })();
    this.running = running;
    const clear = (): void => {
      if (this.running === running) this.running = null;
    };
    running.then(clear, clear);
    return running;
  }
}
