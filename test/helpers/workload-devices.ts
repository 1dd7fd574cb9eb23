// Devices for workload and checker tests: an in-memory disk (volatile image + durable image)
// that can crash, and that can be told to misbehave the ways DS-1..DS-8 forbid: lose an
// acknowledged FUA write, serve stale reads, tear or misdirect a write, fail requests with
// outcome fail (not applied) or unknown (applied or not).

import type { WorkloadDevice } from '../../harness/workload/index.js';
import { createMemoryBlockDevice, type MemoryBlockDevice } from './memory-block-device.js';

/** An error that says what is known of the operation, like the host library's. */
export class InjectedError extends Error {
  constructor(readonly outcome: 'fail' | 'unknown') {
    super(`injected ${outcome === 'fail' ? 'failure (not applied)' : 'uncertain failure (maybe applied)'}`);
  }
}

/** A memory disk for the workload, with faults to inject. */
export interface FaultyDevice extends WorkloadDevice {
  readonly memory: MemoryBlockDevice;
  /** Power loss: what was not flushed (or FUA-written) is gone. */
  crash(): void;
  /** From now on FUA writes are acknowledged but stored nowhere. */
  loseFuaWrites(): void;
  /** From now on FLUSH is acknowledged but makes nothing durable (a lying cache). */
  ignoreFlushes(): void;
  /** From now on reads return the contents as they are now (a stale copy). */
  serveStaleReads(): void;
  /** From now on writes store only their first half, and are acknowledged. */
  tearWrites(): void;
  /** From now on writes land `distance` bytes further on (wrapping around), and are acknowledged. */
  misdirectWrites(distance: number): void;
  /** Each write fails with probability `rate`: 'fail' ones are not applied, 'unknown' ones every other time. */
  failWrites(rate: number, outcome: 'fail' | 'unknown'): void;
  /** Writes wait until the returned release is called. */
  holdWrites(): () => void;
  /** Offsets of the writes the lose/tear/misdirect faults damaged. */
  readonly damaged: number[];
}

/** Creates a zeroed device of `size` bytes. */
export function createFaultyDevice(size: number, seed = 1): FaultyDevice {
  const memory = createMemoryBlockDevice(size);
  let loseFua = false;
  let flushWorks = true;
  let tear = false;
  let misdirect = 0;
  let stale: Buffer | null = null;
  let failure: { rate: number; outcome: 'fail' | 'unknown' } | null = null;
  let held: Promise<void> | null = null;
  let unknownCount = 0;
  let r = seed >>> 0;
  const rand = () => {
    r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
    return r / 4294967296;
  };
  const damaged: number[] = [];
  return {
    size,
    memory,
    damaged,
    async read(offset, length) {
      if (stale !== null) return Buffer.from(stale.subarray(offset, offset + length));
      return memory.read(offset, length);
    },
    async write(offset, data, options) {
      const fua = options?.fua === true;
      if (held !== null) await held;
      if (failure !== null && rand() < failure.rate) {
        if (failure.outcome === 'unknown' && unknownCount++ % 2 === 0) await memory.write(offset, data, { fua });
        throw new InjectedError(failure.outcome);
      }
      if (loseFua && fua) {
        damaged.push(offset);
        return;
      }
      if (tear) {
        damaged.push(offset);
        await memory.write(offset, data.subarray(0, data.length / 2), { fua });
        return;
      }
      if (misdirect > 0) {
        damaged.push(offset);
        await memory.write((offset + misdirect) % size, data, { fua });
        return;
      }
      await memory.write(offset, data, { fua });
    },
    flush: async () => {
      if (flushWorks) await memory.flush();
    },
    crash() {
      memory.durable.copy(memory.data);
    },
    loseFuaWrites() {
      loseFua = true;
    },
    ignoreFlushes() {
      flushWorks = false;
    },
    serveStaleReads() {
      stale = Buffer.from(memory.data);
    },
    tearWrites() {
      tear = true;
    },
    misdirectWrites(distance) {
      misdirect = distance;
    },
    failWrites(rate, outcome) {
      failure = rate > 0 ? { rate, outcome } : null;
    },
    holdWrites() {
      let release!: () => void;
      held = new Promise<void>((resolve) => (release = resolve));
      return () => {
        held = null;
        release();
      };
    },
  };
}
