// What the `file` and `loop` backends share: positional I/O on one open file or device, range and
// open checks, and the discard method in use. Each adds its own discard and close.

import type { FileHandle } from 'node:fs/promises';
import { BackendLink } from './backend-link.js';
import { checkRange } from './check-range.js';
import { PositionalIo } from './positional-io.js';
import { StorageError } from './storage-error.js';
import type { DiscardMethod } from './types.js';

export abstract class PositionalBackend extends BackendLink {
  abstract override readonly kind: 'file' | 'loop';
  /** Set by `close()`; every later request fails with STORAGE_CLOSED. */
  protected closing: Promise<void> | null = null;
  protected method: DiscardMethod = 'punchHole';
  protected readonly io: PositionalIo;

  constructor(
    /** The file or device the I/O goes to (named in errors). */
    readonly location: string,
    /** Size in bytes. */
    readonly size: number,
    handle: FileHandle,
    /** Reads run on the calling thread (see OpenBackendOptions.syncReads). */
    readonly syncReads: boolean,
    /** Writes run on the calling thread, batched per event-loop turn (see OpenBackendOptions.syncWrites). */
    readonly syncWrites: boolean,
    /** Says what to do after close, in STORAGE_CLOSED errors. */
    private readonly closedMessage: string,
  ) {
    super();
    this.io = new PositionalIo(handle, location, syncReads, syncWrites);
  }

  /** How large discards are done now: `punchHole`, or `zeros` after punching failed once. */
  get discardMethod(): DiscardMethod {
    return this.method;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.check(offset, length);
    return this.io.read(offset, length);
  }

  protected async writeBuffers(offset: number, buffers: readonly Buffer[]): Promise<void> {
    this.check(offset, buffers.length === 1 ? (buffers[0] as Buffer).length : buffers.reduce((sum, b) => sum + b.length, 0));
    return this.io.write(offset, buffers);
  }

  async sync(): Promise<void> {
    this.checkOpen();
    await this.io.sync();
  }

  protected check(offset: number, length: number): void {
    this.checkOpen();
    checkRange(this.location, this.size, offset, length);
  }

  protected checkOpen(): void {
    if (this.closing !== null) throw new StorageError('STORAGE_CLOSED', `${this.location}: ${this.closedMessage}`);
  }
}
