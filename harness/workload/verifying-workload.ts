// The verifying workload: hosts writing unique self-describing values to random blocks, reading
// them back and flushing now and then, recording every operation (invoke, then ok / fail /
// unknown) for the checker, and checking each read online (DS-4, DS-5, DS-8). It never stops on
// errors: it records them and keeps going, as a host would keep its applications running.

import { performance } from 'node:perf_hooks';
import { createBlockCodec } from './block-codec.js';
import { checkRead } from './check-history.js';
import type { History, HistoryEntry, OpOutcome, Violation, WorkloadDevice } from './types.js';
import { mulberry32 as random } from '../random.js';

/** Options of `startWorkload`. */
export interface WorkloadOptions {
  /** Where to write: a MultipathDevice, an NbdClient, a test device. */
  readonly device: WorkloadDevice;
  /** Blocks 0..blocks-1 are used. */
  readonly blocks: number;
  /** Bytes per block (default 4096). */
  readonly blockSize?: number;
  /** Seeds block choice, read/write mix and FUA choice: the same seed gives the same sequence of choices. */
  readonly seed: number;
  /** Operations in flight at once (default 8). */
  readonly concurrency?: number;
  /** Issue a FLUSH this often, in ms (default: never). */
  readonly flushEveryMs?: number;
  /** Every Nth write is sent with FUA (default: none). */
  readonly fuaEvery?: number;
  /** Share of operations that are reads, 0..1 (default 0.25). */
  readonly readRatio?: number;
  /** Name hashed into every block (default `workload-SEED`); use one per disk and run. */
  readonly disk?: string;
  /** After an operation fails, the worker waits this long before its next one (default 5 ms), so a dead device is not spun on. */
  readonly errorBackoffMs?: number;
}

/** Counters while the workload runs. */
export interface WorkloadStats {
  /** Operations answered ok. */
  readonly ok: number;
  /** Operations that certainly did not take effect. */
  readonly fail: number;
  /** Operations that may or may not have taken effect. */
  readonly unknown: number;
  /** Writes acknowledged. */
  readonly writesOk: number;
  /** Monotonic time (performance.now()) of the latest acknowledged write, or null before the first. */
  readonly lastOkAt: number | null;
  /** Longest gap, in ms, between consecutive acknowledged writes: the pause hosts saw (failover). */
  readonly longestPauseMs: number;
  /** Reads that broke DS-4, DS-5 or DS-8 when checked online. */
  readonly readViolations: number;
}

/** A running workload. */
export interface Workload {
  /** Stops issuing operations, waits for those in flight (at most `timeoutMs`, default 60 s; later ones stay unknown), returns the history. */
  stop(options?: { timeoutMs?: number }): Promise<History>;
  /** Counters so far. */
  stats(): WorkloadStats;
  /** Violations found by the online read check so far. */
  violations(): readonly Violation[];
}

function outcomeOfError(error: unknown): OpOutcome {
  // Honest by default: an error that does not say the operation certainly failed may have happened.
  const outcome = (error as { outcome?: unknown } | null)?.outcome;
  return outcome === 'fail' ? 'fail' : 'unknown';
}

/** Starts the workload; it runs until `stop()`. */
export function startWorkload(options: WorkloadOptions): Workload {
  const { device, blocks, seed } = options;
  const blockSize = options.blockSize ?? 4096;
  const concurrency = options.concurrency ?? 8;
  const readRatio = options.readRatio ?? 0.25;
  const backoffMs = options.errorBackoffMs ?? 5;
  const disk = options.disk ?? `workload-${seed}`;
  if (!Number.isInteger(blocks) || blocks < 1) throw new RangeError(`blocks must be a positive integer, got ${blocks}`);
  if (blocks * blockSize > device.size)
    throw new RangeError(`${blocks} blocks of ${blockSize} bytes do not fit the device (${device.size} bytes); use fewer blocks`);
  if (readRatio < 0 || readRatio > 1) throw new RangeError(`readRatio must be within 0..1, got ${readRatio}`);
  const codec = createBlockCodec({ disk, blockSize });
  const rand = random(seed);

  const entries: HistoryEntry[] = [];
  const writesTo = new Map<number, HistoryEntry[]>();
  const writing = new Set<number>();
  const found: Violation[] = [];
  let nextId = 1;
  let writesIssued = 0;
  let stopping = false;
  const counts = { ok: 0, fail: 0, unknown: 0, writesOk: 0, lastOkAt: null as number | null, longestPauseMs: 0 };
  const inFlight = new Set<HistoryEntry>();

  function record(e: HistoryEntry): HistoryEntry {
    entries.push(e);
    inFlight.add(e);
    return e;
  }

  function settle(e: HistoryEntry, outcome: OpOutcome, error?: unknown): void {
    if (!inFlight.delete(e)) return; // already given up on by stop()
    e.completedAt = performance.now();
    e.outcome = outcome;
    const path = device.activePath;
    if (path !== undefined && path !== null) e.path = path;
    if (error !== undefined) e.error = error instanceof Error ? error.message : String(error);
    counts[outcome] += 1;
    if (outcome === 'ok' && e.kind === 'write') {
      if (counts.lastOkAt !== null) counts.longestPauseMs = Math.max(counts.longestPauseMs, e.completedAt - counts.lastOkAt);
      counts.lastOkAt = e.completedAt;
      counts.writesOk += 1;
    }
  }

  const backoff = () => new Promise((resolve) => setTimeout(resolve, backoffMs));

  async function write(block: number): Promise<void> {
    const id = nextId++;
    writesIssued += 1;
    const fua = options.fuaEvery !== undefined && options.fuaEvery > 0 && writesIssued % options.fuaEvery === 0;
    const e = record({ id, kind: 'write', block, value: id, fua, invokedAt: performance.now(), outcome: 'unknown' });
    const list = writesTo.get(block) ?? [];
    list.push(e);
    writesTo.set(block, list);
    writing.add(block);
    try {
      await device.write(block * blockSize, codec.encode(block, id), { fua });
      settle(e, 'ok');
    } catch (error) {
      settle(e, outcomeOfError(error), error);
      await backoff();
    } finally {
      writing.delete(block);
    }
  }

  async function read(block: number): Promise<void> {
    const e = record({ id: nextId++, kind: 'read', block, invokedAt: performance.now(), outcome: 'unknown' });
    let data: Buffer;
    try {
      data = await device.read(block * blockSize, blockSize);
    } catch (error) {
      settle(e, outcomeOfError(error), error);
      await backoff();
      return;
    }
    const decoded = codec.decode(data, block);
    if (decoded.kind === 'corrupt') e.corrupt = { damage: decoded.damage, reason: decoded.reason };
    else e.value = decoded.kind === 'zeros' ? 0 : decoded.writeId;
    settle(e, 'ok');
    const v = checkRead(e, decoded, writesTo.get(block) ?? []);
    if (v) found.push(v);
  }

  async function flush(): Promise<void> {
    const e = record({ id: nextId++, kind: 'flush', invokedAt: performance.now(), outcome: 'unknown' });
    try {
      await device.flush();
      settle(e, 'ok');
    } catch (error) {
      settle(e, outcomeOfError(error), error);
    }
  }

  /** A block nobody is writing now, or null if all are busy. */
  function freeBlock(): number | null {
    for (let tries = 0; tries < 16; tries++) {
      const b = Math.floor(rand() * blocks);
      if (!writing.has(b)) return b;
    }
    for (let b = 0; b < blocks; b++) if (!writing.has(b)) return b;
    return null;
  }

  async function worker(): Promise<void> {
    while (!stopping) {
      // A device answering from memory settles in microtasks: give timers and I/O their turn.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (stopping) break;
      if (rand() < readRatio) {
        await read(Math.floor(rand() * blocks));
        continue;
      }
      const b = freeBlock();
      if (b === null) await read(Math.floor(rand() * blocks));
      else await write(b);
    }
  }

  let wakeFlusher: (() => void) | null = null;
  async function flusher(every: number): Promise<void> {
    while (!stopping) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, every);
        wakeFlusher = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeFlusher = null;
      if (!stopping) await flush();
    }
  }

  const running = Array.from({ length: concurrency }, worker);
  if (options.flushEveryMs !== undefined && options.flushEveryMs > 0) running.push(flusher(options.flushEveryMs));
  const done = Promise.all(running);

  return {
    async stop(stopOptions = {}) {
      stopping = true;
      wakeFlusher?.();
      const timeoutMs = stopOptions.timeoutMs ?? 60_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      // Still in flight: their outcome is unknown and stays so (settle() ignores late answers).
      counts.unknown += inFlight.size;
      inFlight.clear();
      return { disk, blockSize, blocks, entries: [...entries] };
    },
    stats: () => ({ ...counts, readViolations: found.length }),
    violations: () => [...found],
  };
}
