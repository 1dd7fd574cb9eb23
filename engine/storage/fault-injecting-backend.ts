// A link in the I/O chain that passes every operation to the backend below it, and can fail,
// hold back (until released) or gate operations: for tests of ordering, crashes and I/O errors.

import { BackendLink } from './backend-link.js';
import type { StorageBackend } from './types.js';

/** Kinds of backend operations (`writev` counts as `write`). */
export type BackendOperation = 'read' | 'write' | 'discard' | 'sync';

/** When a gate is consulted: before an operation reaches the inner backend, or after it did, before it is reported done. */
export type GatePhase = 'start' | 'end';

/** Options of a FaultInjectingBackend. */
export interface FaultInjectingOptions {
  /**
   * Awaited before each operation reaches the inner backend (`start`) and again after the inner
   * backend did it, before the caller hears about it (`end`): e.g. a fast-check scheduler, so an
   * operation can take effect early and report late.
   */
  gate?: (operation: BackendOperation, offset: number, length: number, phase: GatePhase) => Promise<void>;
}

interface Held {
  operation: BackendOperation;
  release: () => void;
}

export class FaultInjectingBackend extends BackendLink {
  readonly kind: StorageBackend['kind'];
  readonly size: number;
  readonly location: string;
  /** Operations that reached this link, by kind. */
  readonly calls: Record<BackendOperation, number> = { read: 0, write: 0, discard: 0, sync: 0 };
  private readonly failures: Record<BackendOperation, { count: number; code: string }> = {
    read: { count: 0, code: 'EIO' },
    write: { count: 0, code: 'EIO' },
    discard: { count: 0, code: 'EIO' },
    sync: { count: 0, code: 'EIO' },
  };
  private readonly holding = new Set<BackendOperation>();
  private held: Held[] = [];
  private heldWaiters: Array<() => void> = [];

  constructor(
    /** The backend below. */
    readonly inner: StorageBackend,
    private readonly options: FaultInjectingOptions = {},
  ) {
    super();
    this.kind = inner.kind;
    this.size = inner.size;
    this.location = inner.location;
  }

  /** The next `count` operations of this kind fail with a system error `code` (after any hold). */
  failNext(operation: BackendOperation, count = 1, code = 'EIO'): void {
    this.failures[operation] = { count, code };
  }

  /** Every operation of this kind fails with `code` until `failNext(operation, 0)`. */
  failAlways(operation: BackendOperation, code = 'EIO'): void {
    this.failures[operation] = { count: Infinity, code };
  }

  /** Operations of this kind that start from now on wait until `release`. */
  hold(operation: BackendOperation): void {
    this.holding.add(operation);
  }

  /** Stops holding this kind and lets every held operation of it proceed, in order. */
  release(operation: BackendOperation): void {
    this.holding.delete(operation);
    const mine = this.held.filter((h) => h.operation === operation);
    this.held = this.held.filter((h) => h.operation !== operation);
    for (const h of mine) h.release();
  }

  /** Operations of this kind currently held. */
  heldCount(operation: BackendOperation): number {
    return this.held.filter((h) => h.operation === operation).length;
  }

  /** Resolves once at least `count` operations of this kind are held; rejects after `timeoutMs`. */
  async whenHeld(operation: BackendOperation, count = 1, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.heldCount(operation) < count) {
      if (Date.now() >= deadline) {
        throw new Error(
          `fault injection: ${this.heldCount(operation)} ${operation} operations held after ${timeoutMs} ms, expected ${count}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.heldWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async read(offset: number, length: number): Promise<Buffer> {
    await this.enter('read', offset, length);
    const data = await this.inner.read(offset, length);
    await this.leave('read', offset, length);
    return data;
  }

  protected async writeBuffers(offset: number, buffers: readonly Buffer[]): Promise<void> {
    const length = buffers.reduce((sum, b) => sum + b.length, 0);
    await this.enter('write', offset, length);
    if (buffers.length === 1) await this.inner.write(offset, buffers[0] as Buffer);
    else if (this.inner.writev !== undefined) await this.inner.writev(offset, buffers);
    else await this.inner.write(offset, Buffer.concat(buffers));
    await this.leave('write', offset, length);
  }

  async discard(offset: number, length: number): Promise<void> {
    await this.enter('discard', offset, length);
    await this.inner.discard(offset, length);
    await this.leave('discard', offset, length);
  }

  async sync(): Promise<void> {
    await this.enter('sync', 0, 0);
    await this.inner.sync();
    await this.leave('sync', 0, 0);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async enter(operation: BackendOperation, offset: number, length: number): Promise<void> {
    this.calls[operation]++;
    if (this.options.gate !== undefined) await this.options.gate(operation, offset, length, 'start');
    if (this.holding.has(operation)) {
      await new Promise<void>((release) => {
        this.held.push({ operation, release });
        const waiters = this.heldWaiters;
        this.heldWaiters = [];
        for (const w of waiters) w();
      });
    }
    const failure = this.failures[operation];
    if (failure.count > 0) {
      failure.count--;
      throw Object.assign(new Error(`injected ${failure.code} on ${operation} at offset ${offset} (${length} bytes) of ${this.location}`), {
        code: failure.code,
      });
    }
  }

  private async leave(operation: BackendOperation, offset: number, length: number): Promise<void> {
    if (this.options.gate !== undefined) await this.options.gate(operation, offset, length, 'end');
  }
}
