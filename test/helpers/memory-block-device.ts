// An in-memory BlockDevice for tests, with a volatile and a durable image so FLUSH and FUA can be
// checked, a call log, injected failures and injected delays.

import { BlockError, type BlockDevice, type BlockErrorCode, type WriteOptions } from '../../engine/types.js';

/** A device operation, as logged. */
export type MemoryOp =
  | { readonly op: 'read'; readonly offset: number; readonly length: number }
  | { readonly op: 'write'; readonly offset: number; readonly length: number; readonly fua: boolean }
  | { readonly op: 'flush' }
  | { readonly op: 'trim'; readonly offset: number; readonly length: number; readonly fua: boolean }
  | { readonly op: 'writeZeroes'; readonly offset: number; readonly length: number; readonly fua: boolean };

export type MemoryOpName = MemoryOp['op'];

/** What a test can do to the device behind the server's back. */
export interface MemoryBlockDevice extends BlockDevice {
  /** What hosts see (volatile cache included). */
  readonly data: Buffer;
  /** What survives a crash: updated by flush, and by FUA writes for their range. */
  readonly durable: Buffer;
  /** Every call, in the order the device saw them. */
  readonly log: MemoryOp[];
  /** Makes the next `count` calls of `op` fail with `error` (a BlockError code, or a plain Error). */
  failNext(op: MemoryOpName, error: BlockErrorCode | Error, count?: number): void;
  /** Delays every call of `op` by `ms` (0 removes the delay). */
  delay(op: MemoryOpName, ms: number): void;
  /**
   * Holds every call of `op` until the returned release function is called (calls made before
   * the release stay pending, later calls run at once).
   */
  hold(op: MemoryOpName): () => void;
  /** Calls started and not yet finished. */
  readonly pending: number;
}

/** Creates a zero-filled device of `size` bytes. */
export function createMemoryBlockDevice(size: number): MemoryBlockDevice {
  const data = Buffer.alloc(size);
  const durable = Buffer.alloc(size);
  const log: MemoryOp[] = [];
  const failures = new Map<MemoryOpName, { error: BlockErrorCode | Error; count: number }>();
  const delays = new Map<MemoryOpName, number>();
  const holds = new Map<MemoryOpName, Promise<void>>();
  let pending = 0;

  function check(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
      throw new BlockError('EINVAL', `memory device: range ${offset}+${length} outside 0..${size}`);
    }
  }

  async function run<T>(entry: MemoryOp, body: () => T): Promise<T> {
    log.push(entry);
    pending += 1;
    try {
      const held = holds.get(entry.op);
      if (held !== undefined) await held;
      const ms = delays.get(entry.op) ?? 0;
      if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
      const failure = failures.get(entry.op);
      if (failure !== undefined && failure.count > 0) {
        failure.count -= 1;
        if (failure.count === 0) failures.delete(entry.op);
        throw typeof failure.error === 'string' ? new BlockError(failure.error, `injected ${failure.error} on ${entry.op}`) : failure.error;
      }
      return body();
    } finally {
      pending -= 1;
    }
  }

  return {
    size,
    data,
    durable,
    log,
    get pending() {
      return pending;
    },
    failNext(op, error, count = 1) {
      failures.set(op, { error, count });
    },
    delay(op, ms) {
      if (ms === 0) delays.delete(op);
      else delays.set(op, ms);
    },
    hold(op) {
      let release!: () => void;
      holds.set(op, new Promise<void>((resolve) => (release = resolve)));
      return () => {
        holds.delete(op);
        release();
      };
    },
    read(offset: number, length: number) {
      return run({ op: 'read', offset, length }, () => {
        check(offset, length);
        return Buffer.from(data.subarray(offset, offset + length));
      });
    },
    write(offset: number, buf: Buffer, options: WriteOptions) {
      return run({ op: 'write', offset, length: buf.length, fua: options.fua }, () => {
        check(offset, buf.length);
        buf.copy(data, offset);
        if (options.fua) buf.copy(durable, offset);
      });
    },
    flush() {
      return run({ op: 'flush' }, () => {
        data.copy(durable);
      });
    },
    trim(offset: number, length: number, options: WriteOptions) {
      return run({ op: 'trim', offset, length, fua: options.fua }, () => {
        check(offset, length);
        data.fill(0, offset, offset + length);
        if (options.fua) durable.fill(0, offset, offset + length);
      });
    },
    writeZeroes(offset: number, length: number, options: WriteOptions) {
      return run({ op: 'writeZeroes', offset, length, fua: options.fua }, () => {
        check(offset, length);
        data.fill(0, offset, offset + length);
        if (options.fua) durable.fill(0, offset, offset + length);
      });
    },
  };
}
