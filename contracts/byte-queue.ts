// A FIFO of received socket chunks, read without concatenating them (no O(n^2) growth). Both ends of
// the wire parse with it: the engine's NBD server and mirror link (engine/) and the host's NBD client
// (harness/host), so it lives in the shared leaf rather than twice.

/** Bytes received and not yet parsed. */
export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index of the first live chunk in `chunks`. */
  private head = 0;
  /** Bytes of `chunks[head]` already consumed. */
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

  /**
   * Returns the next `n` bytes (n <= length) and consumes them. A view into a received chunk when
   * the bytes are contiguous, else a copy; either way only valid until the caller is done parsing.
   */
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

  /**
   * Returns the next `n` bytes as a view into the received chunk holding all of them, consumed,
   * or null (nothing consumed) when they are not all there in one chunk. Received chunks are
   * never reused, so the view stays valid for as long as the caller keeps it.
   */
  takeView(n: number): Buffer | null {
    const first = this.chunks[this.head];
    if (first === undefined || first.length - this.headOffset < n) return null;
    const view = first.subarray(this.headOffset, this.headOffset + n);
    this.advance(n);
    return view;
  }

  /** Returns the next `n` bytes (n <= length) in a buffer the caller owns, and consumes them. */
  takeCopy(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    this.copyInto(out, 0, n);
    return out;
  }

  /** Moves `n` bytes (n <= length) into `target` at `targetOffset`, consuming them. */
  copyInto(target: Buffer, targetOffset: number, n: number): void {
    let written = 0;
    while (written < n) {
      const chunk = this.chunks[this.head];
      if (chunk === undefined) throw new RangeError(`ByteQueue underflow: wanted ${n} bytes, had ${written}`);
      const step = Math.min(n - written, chunk.length - this.headOffset);
      chunk.copy(target, targetOffset + written, this.headOffset, this.headOffset + step);
      written += step;
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

  /** Removes and returns every remaining chunk (views, in order). */
  drain(): Buffer[] {
    const first = this.chunks[this.head];
    const out = first === undefined ? [] : [first.subarray(this.headOffset), ...this.chunks.slice(this.head + 1)];
    this.clear();
    return out;
  }

  /** Drops everything. */
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
