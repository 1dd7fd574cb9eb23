// A reference model of a virtual disk for the cache tests: the bytes hosts should read, and per
// 4 KiB block the values it has held, plus its last durable point (FLUSH or FUA, DS-3), so the
// image a crash leaves behind can be checked: every block holds a value it had at or after its
// last durable point (DS-5), never an older one.

const BS = 4096;

export class ReferenceDisk {
  /** What reads must return. */
  readonly bytes: Buffer;
  /** Per block: the values it has held, oldest first (starts with zeros). */
  private readonly history: Buffer[][];
  /** Per block: index in `history` of its last durable value. */
  private readonly floor: number[];
  /** Per block: the op that produced each value, for failure messages. */
  private readonly labels: string[][];

  constructor(readonly size: number) {
    this.bytes = Buffer.alloc(size);
    const blocks = Math.ceil(size / BS);
    this.history = Array.from({ length: blocks }, () => [Buffer.alloc(BS)]);
    this.labels = Array.from({ length: blocks }, () => ['initial zeros']);
    this.floor = new Array<number>(blocks).fill(0);
  }

  /** Applies a write. */
  write(offset: number, data: Buffer, label: string): void {
    data.copy(this.bytes, offset);
    this.record(offset, data.length, label);
  }

  /** Applies a zero write. */
  zero(offset: number, length: number, label: string): void {
    this.bytes.fill(0, offset, offset + length);
    this.record(offset, length, label);
  }

  /** Applies a trim as the cache defines it: whole blocks inside the range become zeros, partial ones stay. */
  trim(offset: number, length: number, label: string): void {
    const first = Math.ceil(offset / BS) * BS;
    const end = Math.floor((offset + length) / BS) * BS;
    if (end > first) this.zero(first, end - first, label);
  }

  read(offset: number, length: number): Buffer {
    return Buffer.from(this.bytes.subarray(offset, offset + length));
  }

  /** The history position of every block now (what a flush that starts now covers). */
  positions(): number[] {
    return this.history.map((h) => h.length - 1);
  }

  /** A flush that started when `positions` were taken completed: those values are durable. */
  flushed(positions: readonly number[]): void {
    positions.forEach((p, block) => {
      if (p > (this.floor[block] as number)) this.floor[block] = p;
    });
  }

  /** A FUA request on [offset, offset + length) completed: the blocks' latest values are durable. */
  durable(offset: number, length: number): void {
    if (length === 0) return;
    for (let b = Math.floor(offset / BS); b <= Math.floor((offset + length - 1) / BS); b++) {
      this.floor[b] = (this.history[b] as Buffer[]).length - 1;
    }
  }

  /** Every block everything is durable (after a drain). */
  allDurable(): void {
    this.history.forEach((h, b) => {
      this.floor[b] = h.length - 1;
    });
  }

  /**
   * Checks the image a crash left: each block must hold a value it had at or after its last
   * durable point. Returns one line per offending block (empty when all is well).
   */
  crashViolations(image: Buffer): string[] {
    const problems: string[] = [];
    this.history.forEach((values, block) => {
      const actual = image.subarray(block * BS, block * BS + BS);
      const floor = this.floor[block] as number;
      const at = values.findIndex((v, i) => i >= floor && v.equals(actual));
      if (at >= 0) return;
      const older = values.findIndex((v) => v.equals(actual));
      const labels = this.labels[block] as string[];
      problems.push(
        `block ${block}: durable point is value #${floor} (${labels[floor]}), but the crash image holds ` +
          (older >= 0 ? `older value #${older} (${labels[older]})` : 'data no host wrote to this block'),
      );
    });
    return problems;
  }

  private record(offset: number, length: number, label: string): void {
    if (length === 0) return;
    for (let b = Math.floor(offset / BS); b <= Math.floor((offset + length - 1) / BS); b++) {
      (this.history[b] as Buffer[]).push(Buffer.from(this.bytes.subarray(b * BS, b * BS + BS)));
      (this.labels[b] as string[]).push(label);
    }
  }
}
