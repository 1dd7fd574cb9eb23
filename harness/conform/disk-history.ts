// The history of one virtual disk in one path: every host operation of every host on it, with
// increasing ids (a write's id is the value its block encodes), the loss points the model
// predicted (crashes, forced older copies), and the blocks the path used. The data checker judges
// it at the end of the path (DS-1..DS-8).

import { createBlockCodec, type BlockCodec } from '../workload/block-codec.js';
import type { History, HistoryEntry, LossPoint, OpKind } from '../workload/types.js';

/** The record of one disk's host operations in a path. */
export class DiskHistory {
  readonly entries: HistoryEntry[] = [];
  readonly lossPoints: LossPoint[] = [];
  /** Crashes of a copy's server that a partner survived (DS-2: nothing may be lost across them). */
  readonly survivedCrashes: string[] = [];
  /** Blocks written or read so far. */
  readonly used = new Set<number>();
  /** Blocks with a write in flight (not chosen for another write until it completes). */
  readonly busy = new Set<number>();
  readonly codec: BlockCodec;
  private nextId = 1;

  constructor(
    /** The virtual disk. */
    readonly vdisk: string,
    /** Name hashed into every block: the path id and the disk, so no other path's block decodes here. */
    readonly disk: string,
    readonly blockSize: number,
    /** Blocks 0..blocks-1 are used and read back at the end. */
    readonly blocks: number,
  ) {
    this.codec = createBlockCodec({ disk, blockSize });
  }

  /** Records the invocation of an operation; the caller completes it. */
  begin(kind: OpKind, fields: { block?: number; fua?: boolean; host: string; step: number; accessDisabled?: boolean }): HistoryEntry {
    const id = this.nextId++;
    const entry: HistoryEntry = {
      id,
      kind,
      ...(fields.block !== undefined ? { block: fields.block } : {}),
      ...(kind === 'write' ? { value: id, fua: fields.fua === true } : {}),
      invokedAt: performance.now(),
      outcome: 'unknown',
      host: fields.host,
      step: fields.step,
      ...(fields.accessDisabled ? { accessDisabled: true } : {}),
    };
    if (fields.block !== undefined) this.used.add(fields.block);
    this.entries.push(entry);
    return entry;
  }

  /** A block no write is in flight to, chosen by `random`. */
  freeBlock(random: () => number): number {
    for (let tries = 0; tries < 32; tries++) {
      const b = Math.floor(random() * this.blocks);
      if (!this.busy.has(b)) return b;
    }
    for (let b = 0; b < this.blocks; b++) if (!this.busy.has(b)) return b;
    return Math.floor(random() * this.blocks);
  }

  /** A block used before (or block 0), chosen by `random`. */
  usedBlock(random: () => number): number {
    const used = [...this.used];
    return used.length === 0 ? 0 : used[Math.floor(random() * used.length)]!;
  }

  /** Acknowledged flushes (durability across loss points). */
  flushes(): HistoryEntry[] {
    return this.entries.filter((e) => e.kind === 'flush' && e.outcome === 'ok');
  }

  /** Writes to a block, in invocation order. */
  writesTo(block: number): HistoryEntry[] {
    return this.entries.filter((e) => e.kind === 'write' && e.block === block);
  }

  /** The history as the checker takes it. */
  history(): History {
    return { disk: this.disk, blockSize: this.blockSize, blocks: this.blocks, entries: [...this.entries] };
  }
}
