/** Default region of the change log (MIR-3): 64 KiB. */
export const REGION_BYTES = 64 * 1024;

/** A dirty-region bitmap: one bit per region of a disk. */
export class RegionBitmap {
  readonly regions: number;
  private bits: Uint8Array;
  private count = 0;

  constructor(
    readonly diskBytes: number,
    readonly regionBytes = REGION_BYTES,
    bits?: Uint8Array,
  ) {
    this.regions = Math.ceil(diskBytes / regionBytes);
    this.bits = new Uint8Array(Math.ceil(this.regions / 8));
    if (bits) {
      this.bits.set(bits.subarray(0, this.bits.length));
      for (let i = 0; i < this.regions; i++) if (this.has(i)) this.count++;
    }
  }

  /** Regions marked. */
  get size(): number {
    return this.count;
  }

  has(region: number): boolean {
    return (this.bits[region >> 3]! & (1 << (region & 7))) !== 0;
  }

  /** Marks every region a byte range touches; returns true if a new region was marked. */
  mark(offset: number, length: number): boolean {
    if (length <= 0) return false;
    let added = false;
    const last = Math.min(this.regions - 1, Math.floor((offset + length - 1) / this.regionBytes));
    for (let r = Math.floor(offset / this.regionBytes); r <= last; r++) {
      if (!this.has(r)) {
        this.bits[r >> 3]! |= 1 << (r & 7);
        this.count++;
        added = true;
      }
    }
    return added;
  }

  markAll(): void {
    for (let r = 0; r < this.regions; r++) if (!this.has(r)) this.mark(r * this.regionBytes, 1);
  }

  /** Adds every region of another bitmap of the same geometry. */
  merge(other: RegionBitmap): void {
    for (let r = 0; r < this.regions; r++) if (other.has(r) && !this.has(r)) this.mark(r * this.regionBytes, 1);
  }

  clear(): void {
    this.bits.fill(0);
    this.count = 0;
  }

  /** Marked regions, in order. */
  *marked(): Generator<number> {
    for (let r = 0; r < this.regions; r++) if (this.has(r)) yield r;
  }

  /** Byte range of a region (the last one may be short). */
  range(region: number): { offset: number; length: number } {
    const offset = region * this.regionBytes;
    return { offset, length: Math.min(this.regionBytes, this.diskBytes - offset) };
  }

  toBuffer(): Buffer {
    return Buffer.from(this.bits);
  }

  static fromBuffer(diskBytes: number, buffer: Buffer, regionBytes = REGION_BYTES): RegionBitmap {
    return new RegionBitmap(diskBytes, regionBytes, new Uint8Array(buffer));
  }
}
