// A FIFO of received socket chunks, consumed without concatenating them.

/** Bytes received and not yet parsed. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  private head = 0;
  private headOffset = 0;
  private total = 0;

  /** Bytes available. */
  get length(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** Consumes `n` bytes (n <= length): a view when contiguous, else a copy. Parse it at once. */
  take(n: number): Buffer {
    const first = this.chunks[this.head];
    if (first !== undefined && first.length - this.headOffset >= n) {
      const view = first.subarray(this.headOffset, this.headOffset + n);
      this.advance(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    this.copyInto(out, 0, n);
    return out;
  }

  /** Consumes `n` bytes (n <= length) into `target` at `targetOffset`. */
  copyInto(target: Buffer, targetOffset: number, n: number): void {
    let done = 0;
    while (done < n) {
      const chunk = this.chunks[this.head];
      if (chunk === undefined) throw new RangeError(`ByteQueue underflow: wanted ${n} bytes, had ${done}`);
      const step = Math.min(n - done, chunk.length - this.headOffset);
      chunk.copy(target, targetOffset + done, this.headOffset, this.headOffset + step);
      done += step;
      this.advance(step);
    }
  }

  /** Drops up to `n` bytes; returns how many were dropped. */
  skip(n: number): number {
    const step = Math.min(n, this.total);
    let left = step;
    while (left > 0) {
      const chunk = this.chunks[this.head];
      if (chunk === undefined) break;
      const here = Math.min(left, chunk.length - this.headOffset);
      this.advance(here);
      left -= here;
    }
    return step;
  }

  /** Removes and returns every remaining chunk. */
  drain(): Buffer[] {
    const first = this.chunks[this.head];
    const out = first === undefined ? [] : [first.subarray(this.headOffset), ...this.chunks.slice(this.head + 1)];
    this.clear();
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.total = 0;
  }

  private advance(n: number): void {
    this.total -= n;
    this.headOffset += n;
    const chunk = this.chunks[this.head];
    if (chunk !== undefined && this.headOffset >= chunk.length) {
      this.head += 1;
      this.headOffset = 0;
      if (this.head === this.chunks.length) {
        this.chunks = [];
        this.head = 0;
      } else if (this.head >= 64) {
        this.chunks = this.chunks.slice(this.head);
        this.head = 0;
      }
    }
  }
}
