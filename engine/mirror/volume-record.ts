// What a mirrored copy persists: its generation record (mirror/VDISK.json), the change bitmap of
// regions written since the partner fell behind (VDISK.changed), and the regions whose copy on
// the partner is uncertain (VDISK.unsure).

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../util/atomic-file.js';
import { initialRecord, type GenerationRecord } from './generations.js';
import { RegionBitmap } from './region-bitmap.js';

/** How often changed bitmaps are written while the copy runs. */
const BITMAP_SAVE_MS = 1000;

/**
 * The persisted state of one copy.
 *
 * Invariants:
 * - The record on disk is replaced whole (write-then-rename, fsync) by `save()`; the copy calls it
 *   before acting on a change that a crash must not lose (a new generation before the first
 *   write the partner lacks, the `serving` mark before the first acknowledged write).
 * - The bitmaps only grow between recoveries, and are saved at least every second while they
 *   changed, and at a graceful stop; after a crash the generation record's `lostCache` and the
 *   meeting's decision cover what the last second lost (full recovery when in doubt).
 */
export class VolumeRecord {
  record!: GenerationRecord;
  /** Regions written since the partner fell behind (valid when record.bitmapBase is set). */
  changed!: RegionBitmap;
  /** Regions written here whose copy on the partner is uncertain (replication failed). */
  unsure!: RegionBitmap;
  private bitmapsDirty = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly files: { record: string; changed: string; unsure: string };

  constructor(
    private readonly name: string,
    private readonly size: number,
    dir: string,
  ) {
    this.files = {
      record: join(dir, `${name}.json`),
      changed: join(dir, `${name}.changed`),
      unsure: join(dir, `${name}.unsure`),
    };
  }

  /**
   * Loads the record and bitmaps (a new disk starts with the initial record) and starts saving
   * changed bitmaps. Returns true when the last run ended in a crash while the copy was serving.
   */
  async load(): Promise<boolean> {
    this.record = (await readJson<GenerationRecord>(this.files.record)) ?? initialRecord(this.name);
    this.changed = await this.loadBitmap(this.files.changed);
    this.unsure = await this.loadBitmap(this.files.unsure);
    const crashed = this.record.serving;
    if (crashed) this.record = { ...this.record, serving: false, lostCache: true };
    await this.save();
    this.timer = setInterval(() => void this.saveBitmapsIfChanged(), BITMAP_SAVE_MS);
    this.timer.unref();
    return crashed;
  }

  private async loadBitmap(path: string): Promise<RegionBitmap> {
    try {
      return RegionBitmap.fromBuffer(this.size, await readFile(path));
    } catch {
      return new RegionBitmap(this.size);
    }
  }

  /** Writes the generation record. */
  save(): Promise<void> {
    return writeJsonAtomic(this.files.record, this.record);
  }

  /** Records a write the partner lacks (MIR-3). */
  markChanged(offset: number, length: number): void {
    if (this.changed.mark(offset, length)) this.bitmapsDirty = true;
  }

  /** Records a write whose replication failed: its copy on the partner is uncertain. */
  markUnsure(offset: number, length: number): void {
    if (this.unsure.mark(offset, length)) this.bitmapsDirty = true;
  }

  /** Forgets both bitmaps (the copies are in sync again); saved with the next save of bitmaps. */
  clearBitmaps(): void {
    this.changed.clear();
    this.unsure.clear();
    this.bitmapsDirty = true;
  }

  /** The change bitmap starts empty with a new generation (saved with the next save of bitmaps). */
  clearChanged(): void {
    this.changed.clear();
    this.bitmapsDirty = true;
  }

  /** Writes the change bitmap now. */
  saveChanged(): Promise<void> {
    return writeFileAtomic(this.files.changed, this.changed.toBuffer());
  }

  /** Writes the bitmaps if they changed since the last time. */
  async saveBitmapsIfChanged(): Promise<void> {
    if (!this.bitmapsDirty) return;
    this.bitmapsDirty = false;
    await writeFileAtomic(this.files.changed, this.changed.toBuffer());
    await writeFileAtomic(this.files.unsure, this.unsure.toBuffer());
  }

  /** Graceful stop: writes the bitmaps and stops the periodic save. */
  async close(): Promise<void> {
    this.stopTimer();
    this.bitmapsDirty = true;
    await this.saveBitmapsIfChanged();
  }

  /** Stops the periodic save of bitmaps. */
  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
