// Power-loss mode (test-only, `testing.powerLoss` in the group configuration), as LazyFS does for
// file systems: a link directly above the backend that keeps every write, trim and write-zeroes
// in this process until the next sync (flush), and only then writes them to the backend and
// syncs it. Reads see the pending writes. A crash (SIGKILL), a power failure or a site crash
// therefore loses exactly the writes the backend had not synced, as real hardware would; without
// this link the kernel's page cache keeps them, so a flush acknowledged before its sync could
// never be seen to lose data (DS-3).
//
// Time model: requests may overlap. A sync applies the writes pending when it starts, oldest
// first, then syncs the backend; writes arriving meanwhile wait for the next sync. A read overlays
// the writes being applied and those pending, in that order, on what the backend returned, so it
// sees every write completed before it began.

import { type BlockLayer, NO_FUA, type WriteOptions } from '../types.js';
import { PassThroughLayer } from './pass-through-layer.js';

/** A write (`data`) or a range that reads zeros (`data` null) the backend has not synced yet. */
interface Pending {
  readonly offset: number;
  readonly length: number;
  readonly data: Buffer | null;
}

/** Holds unsynced writes in memory above the backend; `flush` applies them and syncs. */
export class PowerLossLayer extends PassThroughLayer {
  /** Writes since the last sync began, oldest first. */
  private pending: Pending[] = [];
  /** Writes the sync in progress is applying, oldest first. */
  private applying: Pending[] = [];
  /** Syncs run one after the other. */
  private syncs: Promise<void> = Promise.resolve();

  constructor(next: BlockLayer) {
    super(next, 'power-loss overlay');
  }

  /** Bytes held for the next sync (lost by a crash now). */
  get unsyncedBytes(): number {
    return [...this.applying, ...this.pending].reduce((sum, p) => sum + p.length, 0);
  }

  override async read(offset: number, length: number): Promise<Buffer> {
    const overlay = this.applying.length + this.pending.length > 0 ? [...this.applying, ...this.pending] : null;
    const data = await this.next.read(offset, length);
    if (overlay === null) return data;
    const end = offset + length;
    for (const p of overlay) {
      const from = Math.max(offset, p.offset);
      const to = Math.min(end, p.offset + p.length);
      if (from >= to) continue;
      if (p.data === null) data.fill(0, from - offset, to - offset);
      else p.data.copy(data, from - offset, from - p.offset, to - p.offset);
    }
    return data;
  }

  override write(offset: number, data: Buffer, options: WriteOptions): Promise<void> {
    // A copy: the caller (the cache's destager) recycles its buffers once the write completes.
    this.hold({ offset, length: data.length, data: Buffer.from(data) });
    return options?.fua ? this.flush() : Promise.resolve();
  }

  override writev(offset: number, buffers: readonly Buffer[], options: WriteOptions): Promise<void> {
    const data = Buffer.concat(buffers);
    this.hold({ offset, length: data.length, data });
    return options?.fua ? this.flush() : Promise.resolve();
  }

  override trim(offset: number, length: number, options: WriteOptions): Promise<void> {
    return this.writeZeroes(offset, length, options);
  }

  override writeZeroes(offset: number, length: number, options: WriteOptions): Promise<void> {
    this.hold({ offset, length, data: null });
    return options?.fua ? this.flush() : Promise.resolve();
  }

  /** Applies every write completed before the call to the backend, oldest first, then syncs it. */
  override flush(): Promise<void> {
    const run = this.syncs.then(() => this.applyAndSync());
    this.syncs = run.catch(() => {});
    return run;
  }

  /** A graceful close keeps what was written (the machine stays up and syncs at shutdown). */
  override close(): Promise<void> {
    return this.pending.length > 0 ? this.flush() : this.syncs;
  }

  private hold(p: Pending): void {
    // An earlier pending write the new one covers entirely can never be seen again.
    if (this.pending.length > 0)
      this.pending = this.pending.filter((q) => q.offset < p.offset || q.offset + q.length > p.offset + p.length);
    this.pending.push(p);
  }

  private async applyAndSync(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.applying = batch;
    try {
      for (const p of batch) {
        if (p.data === null) await this.next.writeZeroes(p.offset, p.length, NO_FUA);
        else await this.next.write(p.offset, p.data, NO_FUA);
      }
      await this.next.flush();
    } catch (error) {
      // Not synced: the batch stays pending, before anything written meanwhile.
      this.pending = [...batch, ...this.pending];
      throw error;
    } finally {
      this.applying = [];
    }
  }
}
