// What every backend shares as the bottom link of an I/O chain (the `Backend` contract of
// ../types.ts): the link operations in terms of the backend's own write, discard and sync.

import type { Backend, WriteOptions } from '../types.js';

/**
 * A backend as a link: `write` and `writev` are one positional write (then a sync if FUA),
 * `flush` is `sync`, and `trim` and `writeZeroes` are `discard` (reads give zeros afterwards).
 * A backend implements `writeBuffers`, `read`, `discard`, `sync` and `close`.
 */
export abstract class BackendLink implements Backend {
  abstract readonly kind: Backend['kind'];
  abstract readonly size: number;
  abstract readonly location: string;

  abstract read(offset: number, length: number): Promise<Buffer>;
  /** Writes `buffers` back to back from `offset` (not durable until `sync`). */
  protected abstract writeBuffers(offset: number, buffers: readonly Buffer[]): Promise<void>;
  abstract discard(offset: number, length: number): Promise<void>;
  abstract sync(): Promise<void>;
  abstract close(): Promise<void>;

  write(offset: number, data: Buffer, options?: WriteOptions): Promise<void> {
    return this.durable(this.writeBuffers(offset, [data]), options);
  }

  writev(offset: number, buffers: readonly Buffer[], options?: WriteOptions): Promise<void> {
    return this.durable(this.writeBuffers(offset, buffers), options);
  }

  flush(): Promise<void> {
    return this.sync();
  }

  trim(offset: number, length: number): Promise<void> {
    return this.discard(offset, length);
  }

  writeZeroes(offset: number, length: number): Promise<void> {
    return this.discard(offset, length);
  }

  private durable(written: Promise<void>, options: WriteOptions | undefined): Promise<void> {
    return options?.fua === true ? written.then(() => this.sync()) : written;
  }
}
