// Recovery, the source's side (MIR-7): the source copies the recovery set to the partner while
// hosts keep writing, in runs of adjacent regions with several in flight, each under the region
// locks host writes take too, throttled if asked. An interrupted recovery is retried while the
// copies stay connected; after any stop or crash it resumes from the persisted generation records
// (the next meeting decides it again). The target's side is ./partner-requests.ts.

import { fault } from '../faults.js';
import type { BlockDevice } from '../types.js';
import type { MirrorLink } from './link-types.js';
import type { RegionBitmap } from './region-bitmap.js';
import type { RegionLocks } from './region-locks.js';

/** Recovery copies runs of up to this many adjacent regions per request... */
const RUN_REGIONS = 16;
/**
 * ...with about this many bytes in flight: 4 requests of full runs, more (up to
 * RECOVERY_MAX_IN_FLIGHT) for the short scattered runs of a log recovery, whose cost is otherwise
 * the round trip per region rather than the data.
 */
const RECOVERY_IN_FLIGHT_BYTES = 4 * RUN_REGIONS * 64 * 1024;
const RECOVERY_MIN_IN_FLIGHT = 4;
const RECOVERY_MAX_IN_FLIGHT = 32;
/** An interrupted recovery is tried again after this long, if the copies are still connected. */
const RETRY_MS = 200;

/** What a recovery needs from the copy it runs on: the source. */
export interface RecoverySource {
  /** The virtual disk. */
  readonly name: string;
  /** This copy's data: the link below the mirror (its cache). The recovery set is read there. */
  readonly next: BlockDevice;
  /** The region locks host writes take too. */
  readonly locks: RegionLocks;
  /** Throttle in bytes per second (0 = unthrottled). */
  readonly recoveryBytesPerSecond: number;
  /** The recovery running on this copy; a recovery clears it when it ends. */
  recovery: Recovery | null;
  /** The link to the partner now. */
  link(): MirrorLink | undefined;
  /** Set while 'recoveryDone' waits for its answer; left set when the answer never comes (the partner may have adopted). */
  doneInDoubt: boolean;
  /** This copy is (still) the source of a recovery. */
  isSource(): boolean;
  /** This copy's data generation, which the target adopts when the recovery completes. */
  generation(): { gen: string; history: string[] };
  /** Runs `f` serialised with the copy's other state changes (roles, records). */
  serial<T>(f: () => Promise<T>): Promise<T>;
  /** The target told it is done: the copies are in sync. Runs inside `serial`; ends with this copy serving. */
  recovered(recovery: Recovery, summary: string): Promise<void>;
  log(line: string): void;
}

/** A run of adjacent regions copied by one request. */
interface Run {
  offset: number;
  length: number;
  regions: number;
}

/**
 * One attempt at recovering the partner's copy.
 *
 * Invariants:
 * - Every region of the set is read from this copy and written to the target under its region
 *   lock, so a host write to it lands either before the copy (and is copied) or after it (and is
 *   replicated to the target as a host write, MIR-1).
 * - The target is told the recovery is done (`recoveryDone`, with this copy's generation) only
 *   after every region was copied and the target flushed, and only while this copy is still the
 *   source; it then adopts the generation.
 * - An attempt that stops (abort, role change, link down) or fails never reports done.
 */
export class Recovery {
  /** Regions copied so far. */
  done = 0;
  /** Regions in the recovery set. */
  readonly total: number;
  private aborted = false;

  private constructor(
    readonly kind: 'log' | 'full',
    private readonly set: RegionBitmap,
    private readonly source: RecoverySource,
  ) {
    this.total = set.size;
  }

  /** Starts recovering the partner with the regions of `set` (in the background). */
  static start(source: RecoverySource, kind: 'log' | 'full', set: RegionBitmap): void {
    const link = source.link();
    if (!link) return;
    const recovery = new Recovery(kind, set, source);
    source.recovery = recovery;
    void recovery.run(link);
  }

  /** Stops this attempt (the link went down, the partner left, or this copy stops); it is not retried. */
  abort(): void {
    this.aborted = true;
  }

  private stopped(link: MirrorLink): boolean {
    return this.aborted || !this.source.isSource() || !link.up;
  }

  private async run(link: MirrorLink): Promise<void> {
    const source = this.source;
    const started = Date.now();
    try {
      await this.copy(link, started);
      if (this.stopped(link)) return;
      await link.request('flush', { vdisk: source.name });
      await source.serial(async () => {
        if (this.aborted || !source.isSource()) return;
        const { gen, history } = source.generation();
        source.doneInDoubt = true;
        await link.request('recoveryDone', { vdisk: source.name, gen, history });
        source.doneInDoubt = false;
        await source.recovered(this, `${this.kind} recovery complete, ${this.done} region(s) in ${Date.now() - started} ms`);
      });
    } catch (error) {
      if (!this.aborted) {
        source.log(`${source.name}: recovery interrupted: ${(error as Error).message}`);
        // Still connected and still the source: try again shortly (the partner may have been busy).
        if (source.recovery === this) source.recovery = null;
        setTimeout(() => {
          if (source.isSource() && !source.recovery && link.up) Recovery.start(source, this.kind, this.set);
        }, RETRY_MS).unref();
      }
    } finally {
      if (source.recovery === this) source.recovery = null;
    }
  }

  /** Copies every run of the set to the target, several in flight, throttled; throws once stopped. */
  private async copy(link: MirrorLink, started: number): Promise<void> {
    const source = this.source;
    const runs = this.runs();
    if (fault('recoveryDoneEarly')) runs.pop();
    let next = 0;
    const worker = async () => {
      while (next < runs.length) {
        if (this.stopped(link)) throw new Error('recovery stopped');
        const run = runs[next++]!;
        await source.locks.hold(run.offset, run.length, async () => {
          const data = await source.next.read(run.offset, run.length);
          await link.request('recoveryWrite', { vdisk: source.name, offset: run.offset }, data);
        });
        this.done += run.regions;
        const rate = source.recoveryBytesPerSecond;
        if (rate > 0) {
          const due = started + ((this.done * this.set.regionBytes) / rate) * 1000;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
        }
      }
    };
    const meanRunBytes = runs.length === 0 ? 1 : runs.reduce((sum, r) => sum + r.length, 0) / runs.length;
    const inFlight = Math.min(
      RECOVERY_MAX_IN_FLIGHT,
      Math.max(RECOVERY_MIN_IN_FLIGHT, Math.floor(RECOVERY_IN_FLIGHT_BYTES / meanRunBytes)),
    );
    await Promise.all(Array.from({ length: inFlight }, worker));
  }

  /** The recovery set as runs of adjacent regions (up to RUN_REGIONS each). */
  private runs(): Run[] {
    const runs: Run[] = [];
    for (const region of this.set.marked()) {
      const { offset, length } = this.set.range(region);
      const last = runs.at(-1);
      if (last && last.offset + last.length === offset && last.regions < RUN_REGIONS) {
        last.length += length;
        last.regions++;
      } else {
        runs.push({ offset, length, regions: 1 });
      }
    }
    return runs;
  }
}
