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

const bit = (w: number, i: number) => Math.floor(w / 2 ** i) % 2 === 1;
const activeAlua = (a: string | undefined) => a === 'activeOptimized' || a === 'activeNonOptimized';

/** Hosts can send I/O for `vdisk` to `server`: some path to it is online and active for the disk. */
export function takesHostIo(s: GroupStatus, vdisk: string, server: string): boolean {
  return s.paths.some((p) => p.server === server && p.online && activeAlua(p.alua[vdisk]));
}

/** A world (see worldReader) with the pools' state the record keeps. */
interface World {
  w: number;
  poolDown: boolean[];
}

/** The ghost of one topology: encoding, decoding and the update rules. */
export class Ghost {
  private readonly mirrors: Array<{ name: string; copies: [string, string] }>;
  private readonly serverNames: string[];
  /** Per mirror: the server index of each copy, and its mirror link's bit in a world. */
  private readonly layout: Array<{ servers: [number, number]; link: number; io: [number, number] }>;
  private readonly reader: (state: GroupState) => number;
  private readonly memo = new Map<string, number>();
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

  /** The record after event number `e` of the alphabet (accepted by the model) took the world from `before` to `after`. Memoized. */
  next(g: number, e: number, before: number, after: number): number {
    const event = this.model.alphabet[e]!;
    if (!ghostEvents.has(event.type)) return g;
    const key = `${g},${e},${before},${after}`;
    let n = this.memo.get(key);
    if (n === undefined) this.memo.set(key, (n = this.compute(g, event, before, after)));
    return n;
  }

  private compute(g: number, event: GroupEvent, before: number, after: number): number {
    const v = this.decode(g);
    // SRV-14: pools before and after the event.
    const poolsBefore = v.servers.map((s) => s.poolDown);
    if (event.type === 'poolFail' || event.type === 'poolRestore') {
      const s = v.servers.find((x) => x.name === event.server);
      if (s) s.poolDown = event.type === 'poolFail';
    }
    const poolsAfter = v.servers.map((s) => s.poolDown);
    v.servers.forEach((s, j) => {
      const on = (w: number) => bit(w, 2 * j);
      if (on(before) && !on(after)) {
        s.cleanOff = event.type === 'shutdown';
        s.runningAtShutdown = event.type === 'shutdown' && bit(before, 2 * j + 1);
      } else if (on(after)) {
        // Read only while the server is off; forgotten at power-on so that states do not split.
        s.cleanOff = false;
        s.runningAtShutdown = false;
      }
    });
    v.disks.forEach((d, k) => {
      const at = this.at(k, before, after, poolsBefore, poolsAfter);
      this.diskNext(d, event, at);
      const { running, linked, io, after: now } = at;
      // A running copy that hosts can reach, directly or through the mirror link, may hold
      // acknowledged writes in its cache from now on (what a system knows without tracking writes).
      d.copies.forEach((c, i) => {
        if (!running(now, i)) return;
        if (d.copies.some((_, o) => io(now, o) && (o === i || linked(now)))) c.dirty = true;
      });
      // A copy that already needs a full copy cannot fall further behind: forget its cache so that states do not split.
      for (const c of d.copies) if (c.behind === Behind.Full || !running(now, d.copies.indexOf(c))) c.dirty = false;
    });
    return this.encode(v);
  }

  /**
   * World readers for mirror `k`, by copy index, on the world before or after the event (each with
   * the pools' state then). A copy runs while its server runs and its pool is available.
   */
  private at(k: number, before: number, after: number, poolsBefore: boolean[], poolsAfter: boolean[]) {
    const l = this.layout[k]!;
    return {
      before: { w: before, poolDown: poolsBefore },
      after: { w: after, poolDown: poolsAfter },
      running: (x: World, i: number) => {
        const server = l.servers[i as 0 | 1];
        return bit(x.w, 2 * server + 1) && !x.poolDown[server];
      },
      linked: (x: World) => bit(x.w, l.link),
      io: (x: World, i: number) => bit(x.w, l.io[i as 0 | 1]),
    };
  }

  private diskNext(d: GhostDisk, event: GroupEvent, at: ReturnType<Ghost['at']>): void {
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

/**
 * Reads the facts the record depends on straight from a model state, without building its
 * status: per server (power on, running), per mirror link (up), per copy of each mirrored disk
 * (hosts can send it I/O). Each component snapshot is looked at once.
 */
function worldReader(model: GroupModel, mirrors: Array<{ name: string; copies: [string, string] }>): (state: GroupState) => number {
  const servers = model.components.flatMap((c, i) => (c.kind === 'server' ? [i] : []));
  const memo = model.components.map(() => new Map<number, number>());
  const serverBits = (part: number, id: number) => {
    let b = memo[part]!.get(id);
    if (b === undefined) {
      const s = serverStatus(model.components[part]!.snapshot(id));
      memo[part]!.set(id, (b = (s.power === 'on' ? 1 : 0) | (s.state === 'running' ? 2 : 0)));
    }
    return b;
  };
  // For each copy: its paths, and per path snapshot whether it is online and active for the disk.
  const copyPaths = mirrors.flatMap((m) =>
    m.copies.map((server) => ({
      vdisk: m.name,
      paths: model.components.flatMap((c, i) => (c.kind === 'path' && c.name.endsWith(`/${server}`) ? [i] : [])),
      memo: new Map<string, boolean>(),
    })),
  );
  const base = model.components.length;
  const S = servers.length;
  const L = model.links.length;
  return (state) => {
    let w = 0;
    servers.forEach((part, j) => {
      w += serverBits(part, state[part]!) * 2 ** (2 * j);
    });
    for (let l = 0; l < L; l++) if (state[base + l] === 1) w += 2 ** (2 * S + l);
    copyPaths.forEach((cp, k) => {
      for (const p of cp.paths) {
        const id = state[p]!;
        const key = `${p}:${id}`;
        let active = cp.memo.get(key);
        if (active === undefined) {
          const ps = pathStatus(model.components[p]!.snapshot(id));
          cp.memo.set(key, (active = ps.online && activeAlua(ps.alua[cp.vdisk])));
        }
        if (active) {
          w += 2 ** (2 * S + L + k);
          break;
        }
      }
    });
    return w;
  };
}
