// The data of the model adapter: every copy of every virtual disk in memory, per server, each a
// backend with, optionally, a volatile write-back cache in front of it. Host writes go to the
// copies that serve hosts (a single disk's one copy while online; a mirrored disk's up-to-date
// copies on running servers, MIR-1); on a server whose effective cache mode is write-back an
// unflushed write stays in its cache until a flush, a graceful stop, or the switch to battery
// destages it, and a crash drops it (SRV-3, SRV-6, SRV-11, SRV-13). A recovery copies what the
// source holds over the recovered copy when it completes (MIR-7). Simple, but real bytes: the
// data checks, the cache probes and the byte comparison of copies (DS-6) judge something that can
// go wrong.

import type { GroupStatus, Topology } from '../../models/types.js';

/** An unflushed write held in a server's cache. */
interface CachedWrite {
  readonly offset: number;
  readonly data: Buffer;
}

/** One copy: its backend, and the writes cached in front of it. */
interface Copy {
  readonly backend: Buffer;
  cache: CachedWrite[];
}

/** The copies of every virtual disk. */
export class MemoryCopies {
  private readonly copies = new Map<string, Map<string, Copy>>();

  constructor(
    topology: Topology,
    /** Bytes per virtual disk. */
    readonly size: number,
  ) {
    for (const v of topology.virtualDisks) {
      const servers = v.kind === 'single' ? [v.server] : v.copies;
      this.copies.set(v.name, new Map(servers.map((s) => [s, { backend: Buffer.alloc(size), cache: [] }])));
    }
  }

  /** Whether `vdisk` exists. */
  has(vdisk: string): boolean {
    return this.copies.has(vdisk);
  }

  /** Whether `server` holds a copy of `vdisk`. */
  holds(vdisk: string, server: string): boolean {
    return this.copies.get(vdisk)?.has(server) === true;
  }

  /** What hosts read from `server`'s copy: the backend with the cached writes over it. */
  view(vdisk: string, server: string, offset: number, length: number): Buffer {
    const copy = this.copies.get(vdisk)!.get(server)!;
    const out = Buffer.from(copy.backend.subarray(offset, offset + length));
    for (const w of copy.cache) overlay(out, offset, w);
    return out;
  }

  /** What `server`'s backend holds, beneath its cache (copy readers, DS-6). */
  backend(vdisk: string, server: string, offset: number, length: number): Buffer {
    return Buffer.from(
      this.copies
        .get(vdisk)!
        .get(server)!
        .backend.subarray(offset, offset + length),
    );
  }

  /** Servers whose copy of `vdisk` takes host writes in `status`: up to date, on a running server, with host access granted. */
  serving(status: GroupStatus, vdisk: string): string[] {
    const v = status.virtualDisks.find((x) => x.name === vdisk);
    if (v?.hostAccess !== 'readWrite') return [];
    const running = (s: string) => status.servers.find((x) => x.name === s)?.state === 'running';
    return v.copies.filter((c) => c.dataStatus === 'upToDate' && running(c.server)).map((c) => c.server);
  }

  /** Writes `data` at `offset` into `server`'s copy: into its cache when `cached`, else through to the backend. */
  write(vdisk: string, server: string, offset: number, data: Buffer, cached: boolean): void {
    const copy = this.copies.get(vdisk)!.get(server)!;
    if (cached) {
      copy.cache.push({ offset, data: Buffer.from(data) });
      return;
    }
    data.copy(copy.backend, offset);
    // Older cached writes to the same bytes must not shadow (or later overwrite) this one.
    for (const w of copy.cache) overlay(w.data, w.offset, { offset, data });
  }

  /** Writes `server`'s cached writes (of `vdisk`, or of every disk) to its backend. */
  destage(server: string, vdisk?: string): void {
    for (const [name, copies] of this.copies) {
      const copy = copies.get(server);
      if (!copy || (vdisk !== undefined && name !== vdisk)) continue;
      for (const w of copy.cache) w.data.copy(copy.backend, w.offset);
      copy.cache = [];
    }
  }

  /** `server` crashed: its cached writes are gone (SRV-11). */
  dropCache(server: string): void {
    for (const copies of this.copies.values()) {
      const copy = copies.get(server);
      if (copy) copy.cache = [];
    }
  }

  /** Zeroes every copy `server` holds, backend and cache (a lie: a crash that loses durable data). */
  wipe(server: string): void {
    for (const copies of this.copies.values()) {
      const copy = copies.get(server);
      if (!copy) continue;
      copy.backend.fill(0);
      copy.cache = [];
    }
  }

  /** Recovery completed: what `source` holds (cache included) is copied over `target`'s backend. */
  recover(vdisk: string, source: string, target: string): void {
    const copy = this.copies.get(vdisk)!.get(target)!;
    this.view(vdisk, source, 0, this.size).copy(copy.backend);
    copy.cache = [];
  }
}

/** Copies the part of `w` that overlaps `out` (which starts at `offset`) into `out`. */
function overlay(out: Buffer, offset: number, w: CachedWrite): void {
  const from = Math.max(offset, w.offset);
  const to = Math.min(offset + out.length, w.offset + w.data.length);
  if (from < to) w.data.copy(out, from - offset, from - w.offset, to - w.offset);
}
