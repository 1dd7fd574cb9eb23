// The data of the model adapter: every copy of every virtual disk in memory, per server. Host
// writes go to the copies that serve hosts (a single disk's one copy while online; a mirrored
// disk's up-to-date copies on running servers, MIR-1); a recovery copies the source copy over
// the recovered one when it completes (MIR-7). Simple, but real bytes: the data checks and the
// byte comparison of copies (DS-6) judge something that can go wrong.

import type { GroupStatus, Topology } from '../../models/types.js';

/** The copies of every virtual disk. */
export class MemoryCopies {
  private readonly copies = new Map<string, Map<string, Buffer>>();

  constructor(
    topology: Topology,
    /** Bytes per virtual disk. */
    readonly size: number,
  ) {
    for (const v of topology.virtualDisks) {
      const servers = v.kind === 'single' ? [v.server] : v.copies;
      this.copies.set(v.name, new Map(servers.map((s) => [s, Buffer.alloc(size)])));
    }
  }

  /** The bytes of `vdisk`'s copy on `server` (live: later writes show). */
  copy(vdisk: string, server: string): Buffer | undefined {
    return this.copies.get(vdisk)?.get(server);
  }

  /** Whether `vdisk` exists. */
  has(vdisk: string): boolean {
    return this.copies.has(vdisk);
  }

  /** Servers whose copy of `vdisk` takes host writes in `status`: up to date, on a running server, with host access granted. */
  serving(status: GroupStatus, vdisk: string): string[] {
    const v = status.virtualDisks.find((x) => x.name === vdisk);
    if (v?.hostAccess !== 'readWrite') return [];
    const running = (s: string) => status.servers.find((x) => x.name === s)?.state === 'running';
    return v.copies.filter((c) => c.dataStatus === 'upToDate' && running(c.server)).map((c) => c.server);
  }

  /** Writes `data` at `offset` into the copies on `servers`. */
  write(vdisk: string, servers: readonly string[], offset: number, data: Buffer): void {
    for (const s of servers) data.copy(this.copies.get(vdisk)!.get(s)!, offset);
  }

  /** Recovery completed: `source`'s copy is copied over `target`'s. */
  recover(vdisk: string, source: string, target: string): void {
    const copies = this.copies.get(vdisk)!;
    copies.get(source)!.copy(copies.get(target)!);
  }
}
