// The checker's own record of the truth ("ghost state"), kept beside the model and never read
// from the model's data labels.
//
// Time model: the checker sees one group event at a time, with the observable status before and
// after it. The record changes only through what the events do to the world:
//   - a host write lands on the copies whose server has an active path for the disk, and through
//     an up mirror link on every running copy connected to one of them; every other copy misses it;
//   - a crash (power lost without a shutdown) loses the server's volatile cache (SRV-11); a stop,
//     shutdown, restart or battery-low stop flushes it first (SRV-3, SRV-8, SRV-13);
//   - forcing a copy online (MIR-11) makes it the truth by decree, and every other copy behind it;
//   - a recovery completes only for copies that run connected to a copy that is truly current;
//   - a server's backend pool failing under running virtualization takes its copies down as a
//     crash does (the writes on their way to it are lost); its return brings them back (SRV-14).
// A copy counts as running while its server runs and its pool is available: the record keeps the
// pools' state itself, from the pool events.
// What the record reads from the status: which servers run (the server lifecycle, checked by its
// own properties), which mirror links are up (a fact of the world), and where hosts send writes
// (active paths). It never reads a copy's data status, the disk's status or its host access: the
// properties compare those labels with this record.
//
// The record is a small integer so that the explorer keeps it in the explored state: per
// mirrored disk 9 bits (two copies of 4, then the access gate), per server 2 bits, and with the
// backendPools feature one more per server.

import type { GroupModel, GroupState } from '../../models/group.js';
import { pathStatus, serverStatus } from '../../models/status.js';
import type { GroupEvent, GroupStatus, Topology } from '../../models/types.js';

/** How far a copy is behind the truth. */
export enum Behind {
  /** Holds every acknowledged write any copy holds. */
  None = 0,
  /** Missed writes while away or cut off; the change log of a current copy covers them (MIR-3, MIR-5). */
  Log = 1,
  /** Missed what only a full copy repairs: lost its cache while another copy had the writes (MIR-6), or its source's log was lost. */
  Full = 2,
}

/** The truth about one copy of a mirrored disk. */
export interface GhostCopy {
  server: string;
  behind: Behind;
  /** Hosts could write to this copy since its server last started: its volatile cache may hold acknowledged writes (SRV-11). */
  dirty: boolean;
  /** The copy was the newest when its server crashed with hosts writing: acknowledged writes may be gone with its cache (SRV-11). */
  lost: boolean;
}

/** The truth about one mirrored disk. */
export interface GhostDisk {
  name: string;
  copies: GhostCopy[];
  /** MIR-9: every copy's server went down; no host access until all are running again, or a copy is forced. */
  gate: boolean;
}

/** The truth about one server. */
export interface GhostServer {
  name: string;
  /** Its last power-off was a graceful shutdown (SRV-8): the group sees it `Unavailable`, not `Failed`. */
  cleanOff: boolean;
  /** It was running when it was last shut down gracefully: power-on starts it again (SRV-9). */
  runningAtShutdown: boolean;
  /** Its backend pool is unavailable (SRV-14; always false without the backendPools feature). */
  poolDown: boolean;
}

/** The decoded record. */
export interface GhostView {
  disks: GhostDisk[];
  servers: GhostServer[];
}

/** Event types that can change the record; others leave it as it is. */
export const ghostEvents: ReadonlySet<GroupEvent['type']> = new Set([
  'write',
  'stop',
  'shutdown',
  'restart',
  'crash',
  'siteCrash',
  'batteryLow',
  'start',
  'powerOn',
  'recoveryComplete',
  'forceMirrorRecovery',
  'linkUp',
  'linkDown',
  'hostDisconnect',
  'hostReconnect',
  'poolFail',
  'poolRestore',
]);

const DISK_BITS = 9;

/** Both copies are the newest and both lost their cache in one crash: nobody can tell which is newer (MIR-11). */
export function undecidable(d: GhostDisk): boolean {
  const best = d.copies.filter((c) => c.behind === Behind.None);
  return best.length > 1 && best.every((c) => c.lost);
}

/** Bit `i` of a world or record (both fit in 32 bits: the constructor checks). */
const bit = (w: number, i: number) => ((w >>> i) & 1) === 1;
const activeAlua = (a: string | undefined) => a === 'activeOptimized' || a === 'activeNonOptimized';

/** Hosts can send I/O for `vdisk` to `server`: some path to it is online and active for the disk. */
export function takesHostIo(s: GroupStatus, vdisk: string, server: string): boolean {
  return s.paths.some((p) => p.server === server && p.online && activeAlua(p.alua[vdisk]));
}

/** The ghost of one topology: encoding, decoding and the update rules. */
export class Ghost {
  private readonly mirrors: Array<{ name: string; copies: [string, string] }>;
  private readonly serverNames: string[];
  /** Per mirror: the server index of each copy, and its mirror link's bit in a world. */
  private readonly layout: Array<{ servers: [number, number]; link: number; io: [number, number] }>;
  private readonly reader: (state: GroupState) => number;
  /** memo[mirror][event].get(its 9 bits, local facts before, after): its next 9 bits (see next). */
  private readonly memo: Array<Array<Map<number, number>>>;
  /** Decoded records for the properties, which only read them. */
  private readonly views = new Map<number, GhostView>();
  /** The record keeps each server's pool state (feature backendPools). */
  private readonly pools: boolean;
  /** Encoded record of the initial state: every copy current, every server running, hosts writing (caches may hold acknowledged writes). */
  readonly initial: number;

  constructor(readonly model: GroupModel) {
    const topology: Topology = model.topology;
    this.mirrors = topology.virtualDisks.flatMap((v) => (v.kind === 'mirrored' ? [{ name: v.name, copies: v.copies }] : []));
    this.serverNames = topology.servers.map((s) => s.name);
    const S = this.serverNames.length;
    const linkOf = (a: string, b: string) => model.links.findIndex((l) => l.servers.includes(a) && l.servers.includes(b));
    this.layout = this.mirrors.map((m, k) => ({
      servers: [this.serverNames.indexOf(m.copies[0]), this.serverNames.indexOf(m.copies[1])],
      link: 2 * S + linkOf(m.copies[0], m.copies[1]),
      io: [2 * S + model.links.length + 2 * k, 2 * S + model.links.length + 2 * k + 1],
    }));
    this.reader = worldReader(model, this.mirrors);
    this.memo = this.mirrors.map(() => []);
    const worldBits = 2 * S + model.links.length + 2 * this.mirrors.length;
    if (worldBits > 32) throw new Error(`the checker's world needs ${worldBits} bits for topology ${topology.name}; at most 32`);
    this.pools = topology.features?.includes('backendPools') ?? false;
    const bits = this.mirrors.length * DISK_BITS + this.serverNames.length * (this.pools ? 3 : 2);
    this.initial = bits > 32 ? 0 : this.initialRecord();
    if (bits > 32) {
      throw new Error(
        `the checker's record needs ${bits} bits for topology ${topology.name}; at most 32 (2 mirrored disks on up to 7 servers, 3 on up to 2)`,
      );
    }
  }

  private initialRecord(): number {
    const v = this.decode(0);
    for (const d of v.disks) for (const c of d.copies) c.dirty = true;
    return this.encode(v);
  }

  decode(g: number): GhostView {
    const disks = this.mirrors.map((m, k) => {
      const bits = g >>> (k * DISK_BITS);
      return {
        name: m.name,
        copies: m.copies.map((server, i) => ({
          server,
          behind: ((bits >>> (i * 4)) & 3) as Behind,
          lost: ((bits >>> (i * 4 + 2)) & 1) === 1,
          dirty: ((bits >>> (i * 4 + 3)) & 1) === 1,
        })),
        gate: ((bits >>> 8) & 1) === 1,
      };
    });
    const base = this.mirrors.length * DISK_BITS;
    const servers = this.serverNames.map((name, j) => ({
      name,
      cleanOff: ((g >>> (base + 2 * j)) & 1) === 1,
      runningAtShutdown: ((g >>> (base + 2 * j + 1)) & 1) === 1,
      poolDown: this.pools && ((g >>> (base + 2 * this.serverNames.length + j)) & 1) === 1,
    }));
    return { disks, servers };
  }

  /**
   * A function that renames records by `r` (a symmetry of the topology, models/symmetry.ts): each
   * disk's bits move to the renamed disk (its copies keep their order: the symmetry maps copies in
   * order) and each server's to the renamed server. Bit moves only: it runs once per transition.
   */
  permuter(r: Readonly<Record<string, string>>): (g: number) => number {
    const rn = (n: string) => r[n] ?? n;
    const disk = this.mirrors.map((m) => this.mirrors.findIndex((x) => x.name === rn(m.name)));
    const server = this.serverNames.map((s) => this.serverNames.indexOf(rn(s)));
    if (disk.some((k) => k < 0) || server.some((j) => j < 0)) throw new Error('the renaming is not a symmetry of the topology');
    const base = this.mirrors.length * DISK_BITS;
    const pools = this.pools;
    const poolBase = base + 2 * this.serverNames.length;
    return (g) => {
      let out = 0;
      for (let k = 0; k < disk.length; k++) out |= ((g >>> (k * DISK_BITS)) & 0x1ff) << (disk[k]! * DISK_BITS);
      for (let j = 0; j < server.length; j++) out |= ((g >>> (base + 2 * j)) & 3) << (base + 2 * server[j]!);
      if (pools) for (let j = 0; j < server.length; j++) out |= ((g >>> (poolBase + j)) & 1) << (poolBase + server[j]!);
      return out >>> 0;
    };
  }

  /** The decoded record `g`, shared: for reading only (decode gives a copy to change). */
  view(g: number): GhostView {
    let v = this.views.get(g);
    if (v === undefined) this.views.set(g, (v = this.decode(g)));
    return v;
  }

  encode(v: GhostView): number {
    let g = 0;
    v.disks.forEach((d, k) => {
      let bits = d.gate ? 1 << 8 : 0;
      d.copies.forEach((c, i) => {
        bits |= (c.behind | (c.lost ? 4 : 0) | (c.dirty ? 8 : 0)) << (i * 4);
      });
      g |= bits << (k * DISK_BITS);
    });
    const base = this.mirrors.length * DISK_BITS;
    v.servers.forEach((s, j) => {
      g |= ((s.cleanOff ? 1 : 0) | (s.runningAtShutdown ? 2 : 0)) << (base + 2 * j);
      if (s.poolDown) g |= 1 << (base + 2 * v.servers.length + j);
    });
    return g >>> 0;
  }

  /** The facts of the world the record reads in a model state (a bit set; see worldReader). */
  world(state: GroupState): number {
    return this.reader(state);
  }

  /**
   * The record after event number `e` of the alphabet (accepted by the model) took the world from
   * `before` to `after`. Each mirrored disk's part depends only on its own 9 bits, the event and
   * the few facts of the world about its copies (see local), so it is memoized per disk on small
   * integer keys; a server's bits (and its pool's, with backendPools) are computed directly.
   */
  next(g: number, e: number, before: number, after: number): number {
    const event = this.model.alphabet[e]!;
    if (!ghostEvents.has(event.type)) return g;
    // SRV-14: the pools the record keeps, before and after the event (bit j: server j's pool is down).
    const S = this.serverNames.length;
    const base = this.mirrors.length * DISK_BITS;
    const poolsBefore = this.pools ? (g >>> (base + 2 * S)) & ((1 << S) - 1) : 0;
    let poolsAfter = poolsBefore;
    if (event.type === 'poolFail' || event.type === 'poolRestore') {
      const j = this.serverNames.indexOf(event.server);
      if (j >= 0) poolsAfter = event.type === 'poolFail' ? poolsAfter | (1 << j) : poolsAfter & ~(1 << j);
    }
    let n = 0;
    for (let k = 0; k < this.mirrors.length; k++) {
      const bits = (g >>> (k * DISK_BITS)) & 0x1ff;
      const lb = this.local(k, before, poolsBefore);
      const la = this.local(k, after, poolsAfter);
      const key = (bits << 10) | (lb << 5) | la;
      let byKey = this.memo[k]![e];
      if (byKey === undefined) this.memo[k]![e] = byKey = new Map();
      let nb = byKey.get(key);
      if (nb === undefined) byKey.set(key, (nb = this.diskStep(k, bits, event, lb, la)));
      n |= nb << (k * DISK_BITS);
    }
    for (let j = 0; j < S; j++) {
      const on = (w: number) => bit(w, 2 * j);
      let sb = (g >>> (base + 2 * j)) & 3;
      if (on(before) && !on(after)) {
        // cleanOff, then runningAtShutdown: only a graceful shutdown records them.
        sb = event.type === 'shutdown' ? 1 | (bit(before, 2 * j + 1) ? 2 : 0) : 0;
      } else if (on(after)) {
        // Read only while the server is off; forgotten at power-on so that states do not split.
        sb = 0;
      }
      n |= sb << (base + 2 * j);
    }
    if (this.pools) n |= poolsAfter << (base + 2 * S);
    return n >>> 0;
  }

  /**
   * The facts of world `w` about mirror `k`, as 5 bits: copy 0 runs (its server runs and its pool,
   * bit set in `poolsDown` when not, is available), copy 1 runs, their mirror link is up, hosts can
   * send copy 0 I/O, copy 1.
   */
  private local(k: number, w: number, poolsDown: number): number {
    const l = this.layout[k]!;
    const runs = (i: 0 | 1) => bit(w, 2 * l.servers[i] + 1) && ((poolsDown >>> l.servers[i]) & 1) === 0;
    return (runs(0) ? 1 : 0) | (runs(1) ? 2 : 0) | (bit(w, l.link) ? 4 : 0) | (bit(w, l.io[0]) ? 8 : 0) | (bit(w, l.io[1]) ? 16 : 0);
  }

  /** Mirror `k`'s 9 bits of the record after `event` took its local facts from `before` to `after`. */
  private diskStep(k: number, bits: number, event: GroupEvent, before: number, after: number): number {
    const d = this.decode(bits << (k * DISK_BITS)).disks[k]!;
    const at = localReaders(before, after);
    this.diskNext(d, event, at);
    const { running, linked, io } = at;
    // A running copy that hosts can reach, directly or through the mirror link, may hold
    // acknowledged writes in its cache from now on (what a system knows without tracking writes).
    d.copies.forEach((c, i) => {
      if (!running(after, i)) return;
      if (d.copies.some((_, o) => io(after, o) && (o === i || linked(after)))) c.dirty = true;
    });
    // A copy that already needs a full copy cannot fall further behind: forget its cache so that states do not split.
    for (const c of d.copies) if (c.behind === Behind.Full || !running(after, d.copies.indexOf(c))) c.dirty = false;
    let out = d.gate ? 1 << 8 : 0;
    d.copies.forEach((c, i) => {
      out |= (c.behind | (c.lost ? 4 : 0) | (c.dirty ? 8 : 0)) << (i * 4);
    });
    return out;
  }

  private diskNext(d: GhostDisk, event: GroupEvent, at: LocalReaders): void {
    const { running, linked, io, before, after } = at;
    const ix = (c: GhostCopy) => d.copies.indexOf(c);
    const [c0, c1] = d.copies as [GhostCopy, GhostCopy];
    if (event.type === 'write') {
      if (event.vdisk !== d.name) return;
      const writers = d.copies.filter((c) => running(before, ix(c)) && io(before, ix(c)));
      for (const c of d.copies) {
        const receives = writers.includes(c) || (running(before, ix(c)) && writers.length > 0 && linked(before));
        if (!receives && c.behind === Behind.None) c.behind = Behind.Log;
      }
      return;
    }
    if (event.type === 'forceMirrorRecovery') {
      if (event.vdisk !== d.name) return;
      for (const c of d.copies) {
        c.behind = c.server === event.copy ? Behind.None : Behind.Full;
        c.lost = false;
        // What the forced copy's cache holds is now the truth, whatever hosts did before: count
        // it as written to, as a copy recovered is (MIR-11).
        if (c.server === event.copy) c.dirty = true;
      }
      d.gate = false;
      return;
    }
    if (event.type === 'recoveryComplete') {
      if (event.vdisk !== d.name || d.gate) return;
      const source = d.copies.find((c) => c.behind === Behind.None && !c.lost && running(before, ix(c)));
      if (!source) return;
      for (const c of d.copies) {
        if (c !== source && c.behind !== Behind.None && running(before, ix(c)) && linked(before)) {
          c.behind = Behind.None;
          // The recovery wrote through its cache: a crash may lose what it has not destaged (SRV-11).
          c.dirty = true;
        }
      }
      return;
    }
    // Servers going down: a restart goes down and comes back in one step.
    // A pool failing under running virtualization loses the writes on their way to it, as a crash does (SRV-14).
    const crash = event.type === 'crash' || event.type === 'siteCrash' || event.type === 'poolFail';
    const wentDown = (c: GhostCopy) =>
      running(before, ix(c)) && (!running(after, ix(c)) || (event.type === 'restart' && event.server === c.server));
    const going = d.copies.filter(wentDown);
    if (going.length > 0) {
      if (crash) {
        // Decide from the state before the crash: copies crashing together do not cover each other.
        const was = d.copies.map((c) => ({ behind: c.behind, lost: c.lost, dirty: c.dirty }));
        // A copy holds every acknowledged write after the crash if it was current and either stays
        // up or had nothing in its cache to lose (no host could write to it since its server started).
        const holder = d.copies.findIndex(
          (o, i) => (!going.includes(o) || !was[i]!.dirty) && was[i]!.behind === Behind.None && !was[i]!.lost,
        );
        for (const c of going) {
          const i = d.copies.indexOf(c);
          if (!was[i]!.dirty) {
            // No host could write to it since its server started: the lost cache held nothing acknowledged.
          } else if (holder >= 0 || was[i]!.behind !== Behind.None) {
            // MIR-6: another copy holds every acknowledged write; this one lost some with its cache
            // (a stale copy being recovered loses writes the change log does not cover).
            c.behind = Behind.Full;
          } else {
            // The newest copy crashed while hosts could write: what its cache held is gone, and
            // its change log was not persisted (MIR-3): copies behind it need full recovery.
            c.lost = true;
            for (const o of d.copies) if (o !== c && o.behind === Behind.Log) o.behind = Behind.Full;
          }
        }
      }
      for (const c of going) c.dirty = false;
      if (d.copies.every((c) => going.includes(c) || !running(before, ix(c)))) d.gate = true;
    }
    // MIR-13: a running copy cut off from a copy that serves hosts falls behind from that moment:
    // it cannot know what hosts write on the other side, whose change log covers it from then.
    for (const c of d.copies) {
      if (c.behind !== Behind.None || !running(after, ix(c)) || io(after, ix(c))) continue;
      if (!linked(after) && d.copies.some((o) => o !== c && io(after, ix(o)))) c.behind = Behind.Log;
    }
    // MIR-9, MIR-10: every copy's server is running again: the group can decide which copy is the
    // newest (a copy that lost its cache is then the source, and its loss is accepted), unless MIR-11.
    if (d.copies.every((c) => running(after, ix(c))) && !undecidable(d)) {
      d.gate = false;
      for (const c of [c0, c1]) c.lost = false;
    }
    // The gate adds nothing while every running copy is behind (they may not serve anyway, and
    // only the return of every copy's server, or a force, lets a current copy run): drop it then,
    // so that histories that differ only there lead to one explored state.
    const up = d.copies.filter((c) => running(after, ix(c)));
    if (d.gate && up.length > 0 && up.every((c) => c.behind !== Behind.None)) d.gate = false;
    // A lost cache matters only while another copy is as new (MIR-11, undecidable); a single newest
    // copy is the source whatever it lost.
    if (d.copies.filter((c) => c.behind === Behind.None).length < 2) for (const c of d.copies) c.lost = false;
  }
}

/** Readers of a mirror's local facts (Ghost.local) by copy index, and the facts before and after the event. */
interface LocalReaders {
  before: number;
  after: number;
  running: (w: number, i: number) => boolean;
  linked: (w: number) => boolean;
  io: (w: number, i: number) => boolean;
}

function localReaders(before: number, after: number): LocalReaders {
  return {
    before,
    after,
    running: (w, i) => ((w >>> i) & 1) === 1,
    linked: (w) => ((w >>> 2) & 1) === 1,
    io: (w, i) => ((w >>> (3 + i)) & 1) === 1,
  };
}

/**
 * Reads the facts the record depends on straight from a model state, without building its
 * status: per server (power on, running), per mirror link (up), per copy of each mirrored disk
 * (hosts can send it I/O). Each component snapshot is looked at once.
 */
function worldReader(model: GroupModel, mirrors: Array<{ name: string; copies: [string, string] }>): (state: GroupState) => number {
  const servers = model.components.flatMap((c, i) => (c.kind === 'server' ? [i] : []));
  const memo = model.components.map(() => [] as number[]);
  const serverBits = (part: number, id: number) => {
    let b = memo[part]![id];
    if (b === undefined) {
      const s = serverStatus(model.components[part]!.snapshot(id));
      memo[part]![id] = b = (s.power === 'on' ? 1 : 0) | (s.state === 'running' ? 2 : 0);
    }
    return b;
  };
  // For each copy: its paths, and per path snapshot whether it is online and active for the disk
  // (memo[path position][snapshot id]: 1 active, 0 not, undefined not seen yet).
  const copyPaths = mirrors.flatMap((m) =>
    m.copies.map((server) => {
      const paths = model.components.flatMap((c, i) => (c.kind === 'path' && c.name.endsWith(`/${server}`) ? [i] : []));
      return { vdisk: m.name, paths, memo: paths.map(() => [] as number[]) };
    }),
  );
  const base = model.components.length;
  const S = servers.length;
  const L = model.links.length;
  return (state) => {
    let w = 0;
    for (let j = 0; j < S; j++) {
      const part = servers[j]!;
      w += serverBits(part, state[part]!) * 2 ** (2 * j);
    }
    for (let l = 0; l < L; l++) if (state[base + l] === 1) w += 2 ** (2 * S + l);
    for (let k = 0; k < copyPaths.length; k++) {
      const cp = copyPaths[k]!;
      for (let q = 0; q < cp.paths.length; q++) {
        const p = cp.paths[q]!;
        const id = state[p]!;
        let active = cp.memo[q]![id];
        if (active === undefined) {
          const ps = pathStatus(model.components[p]!.snapshot(id));
          cp.memo[q]![id] = active = ps.online && activeAlua(ps.alua[cp.vdisk]) ? 1 : 0;
        }
        if (active === 1) {
          w += 2 ** (2 * S + L + k);
          break;
        }
      }
    }
    return w;
  };
}
