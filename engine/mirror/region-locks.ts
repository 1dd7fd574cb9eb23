// Region locks of a mirrored copy: host writes and recovery copies of the same 64 KiB regions
// take turns, so a write racing a recovery copy lands after it on both copies.

/**
 * Exclusive locks on regions of `regionBytes`, taken for a byte range at a time.
 *
 * Invariant: at most one holder per region. A caller waits until none of its regions is held and
 * then takes all of them at once (no partial holds, so no deadlock between overlapping ranges).
 */
export class RegionLocks {
  private readonly held = new Map<number, Promise<void>>();

  constructor(private readonly regionBytes: number) {}

  /** Runs `f` with the regions of [offset, offset + length) locked. */
  async hold<T>(offset: number, length: number, f: () => Promise<T>): Promise<T> {
    const first = Math.floor(offset / this.regionBytes);
    const last = Math.floor((offset + Math.max(1, length) - 1) / this.regionBytes);
    for (;;) {
      const busy: Promise<void>[] = [];
      for (let r = first; r <= last; r++) {
        const p = this.held.get(r);
        if (p) busy.push(p);
      }
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    for (let r = first; r <= last; r++) this.held.set(r, held);
    try {
      return await f();
    } finally {
      for (let r = first; r <= last; r++) if (this.held.get(r) === held) this.held.delete(r);
      release();
    }
  }
}
