// A link of the I/O chain that passes every request to the link below, unchanged. It is the
// template for links that can sit anywhere in a chain (engine/server/io-chain.ts, `extraLinks`):
// a fault layer, a tracer or a power-loss overlay extends it and overrides only the requests it
// changes.

import type { BlockLayer, WriteOptions } from '../types.js';

/** Passes every request to `next`; `close()` releases nothing (the chain closes `next` itself). */
export class PassThroughLayer implements BlockLayer {
  readonly size: number;
  readonly location: string;

  constructor(
    /** The link below. */
    protected readonly next: BlockLayer,
    /** What this link is, for messages. */
    name = 'pass-through',
  ) {
    this.size = next.size;
    this.location = `${name} over ${next.location}`;
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.next.read(offset, length);
  }

  write(offset: number, data: Buffer, options: WriteOptions): Promise<void> {
    return this.next.write(offset, data, options);
  }

  writev(offset: number, buffers: readonly Buffer[], options: WriteOptions): Promise<void> {
    if (this.next.writev !== undefined) return this.next.writev(offset, buffers, options);
    return this.next.write(offset, Buffer.concat(buffers), options);
  }

  flush(): Promise<void> {
    return this.next.flush();
  }

  trim(offset: number, length: number, options: WriteOptions): Promise<void> {
    return this.next.trim(offset, length, options);
  }

  writeZeroes(offset: number, length: number, options: WriteOptions): Promise<void> {
    return this.next.writeZeroes(offset, length, options);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
