import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OpenDisk } from '../server/storage-server.js';
import type { Alua, DataStatus, VirtualDiskStatus } from '../status-types.js';
import { BlockError, type BlockDevice, type WriteOptions } from '../types.js';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../util/atomic-file.js';
import { advance, decide, initialRecord, type Decision, type GenerationRecord } from './generations.js';
import type { MirrorLink, MirrorRequest } from './link-types.js';
import { RegionBitmap } from './region-bitmap.js';

/**
 * What this copy does now:
 * - `awaiting`: not serving; waits to meet its partner (after a start, MIR-9).
 * - `serving`: serves hosts, partner connected and in sync (MIR-1).
 * - `source`: serves hosts and recovers the partner (MIR-7).
 * - `alone`: serves hosts without the partner (failover, MIR-2); logs changes (MIR-3).
 * - `target`: being recovered by the partner; does not serve hosts.
 * - `cutOff`: the partner is alive but unreachable and keeps host access (MIR-13).
 * - `undecidable`: met the partner, nobody can tell the newest copy (MIR-11).
 * - `stopped`: virtualization stopped.
 */
export type Role = 'awaiting' | 'serving' | 'source' | 'alone' | 'target' | 'cutOff' | 'undecidable' | 'stopped';

/** What the witness (the supervisor, this group's tiebreaker) says of the partner. */
export type PeerVerdict = 'down' | 'alive';

export interface VolumeContext {
  server: string;
  peer: string;
  /** This copy is the preferred one (PTH-3; the MIR-13 tiebreaker). */
  preferred: boolean;
  disk: OpenDisk;
  /** Directory for the generation record and bitmaps. */
  dir: string;
  link: () => MirrorLink | undefined;
  witness: () => Promise<PeerVerdict>;
  /** Recovery throttle in bytes per second (0 = unthrottled). */
  recoveryBytesPerSecond: number;
  log: (line: string) => void;
}

/** A refusal the management API reports with a stable code. */
export class MirrorRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Recovery copies runs of up to this many adjacent regions per request... */
const RUN_REGIONS = 16;
/**
 * ...with about this many bytes in flight: 4 requests of full runs, more (up to
 * RECOVERY_MAX_IN_FLIGHT) for the short scattered runs of a log recovery, whose cost is otherwise
 * the round trip per region rather than the data.
 */
const RECOVERY_IN_FLIGHT_BYTES = 4 * RUN_REGIONS * 64 * 1024;
const RECOVERY_MIN_IN_FLIGHT = 4;
const RECOVERY_MAX_IN_FLIGHT = 32;

const serves = (r: Role) => r === 'serving' || r === 'source' || r === 'alone';

/**
 * One copy of a mirrored virtual disk on this server: host I/O (replicated synchronously to
 * the partner), the meeting that decides recovery, failover, failback, recovery, and the
 * persisted generation record with its change log.
 */
export class MirroredVolume implements BlockDevice {
  readonly name: string;
  readonly size: number;
  role: Role = 'stopped';
  private record!: GenerationRecord;
  /** Regions written since the partner fell behind (valid when record.bitmapBase is set). */
  private changed!: RegionBitmap;
  /** Regions written here whose copy on the partner is uncertain (replication failed). */
  private unsure!: RegionBitmap;
  /** The partner said it leaves gracefully (after flushing). */
  private peerLeaving = false;
  /** The partner holds this copy's generation (it left gracefully, or was cut off): first write moves on. */
  private peerSameGen = false;
  /** The partner's copy is known to be running (for status while it is unreachable). */
  private recovery: { kind: 'log' | 'full'; done: number; total: number; abort: boolean } | null = null;
  private lastDecision: Decision | null = null;
  private readonly locks = new Map<number, Promise<void>>();
  private queue: Promise<unknown> = Promise.resolve();
  private linkLoss: Promise<void> | null = null;
  /** A meeting this copy started and has not applied yet (its partner may already act on it). */
  private meeting: Promise<void> | null = null;
  private bitmapDirty = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: VolumeContext) {
    this.name = ctx.disk.config.name;
    this.size = ctx.disk.backend.size;
  }

  private get files() {
    return {
      record: join(this.ctx.dir, `${this.name}.json`),
      changed: join(this.ctx.dir, `${this.name}.changed`),
      unsure: join(this.ctx.dir, `${this.name}.unsure`),
    };
  }

  /** Serializes state changes of this volume. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Virtualization starts: load the record; a copy that crashed while receiving writes lost its cache (SRV-11). */
  async open(): Promise<void> {
    this.record = (await readJson<GenerationRecord>(this.files.record)) ?? initialRecord(this.name);
    this.changed = await this.loadBitmap(this.files.changed);
    this.unsure = await this.loadBitmap(this.files.unsure);
    if (this.record.serving) {
      this.ctx.log(`${this.name}: the last run ended in a crash while receiving writes; the cache was lost`);
      this.record = { ...this.record, serving: false, lostCache: true };
    }
    await this.saveRecord();
    this.role = 'awaiting';
    this.peerLeaving = false;
    this.peerSameGen = false;
    this.timer = setInterval(() => void this.saveBitmapsIfDirty(), 1000);
    this.timer.unref();
  }

  private async loadBitmap(path: string): Promise<RegionBitmap> {
    try {
      return RegionBitmap.fromBuffer(this.size, await readFile(path));
    } catch {
      return new RegionBitmap(this.size);
    }
  }

  private saveRecord(): Promise<void> {
    return writeJsonAtomic(this.files.record, this.record);
  }

  private async saveBitmapsIfDirty(): Promise<void> {
    if (!this.bitmapDirty) return;
    this.bitmapDirty = false;
    await writeFileAtomic(this.files.changed, this.changed.toBuffer());
    await writeFileAtomic(this.files.unsure, this.unsure.toBuffer());
  }

  private async setRole(role: Role, why: string): Promise<void> {
    if (role === this.role) return;
    this.ctx.log(`${this.name}: ${this.role} -> ${role} (${why})`);
    this.role = role;
    // A copy that takes writes is marked before it acknowledges any (crash => lost cache).
    if (this.markServing(role)) await this.saveRecord();
  }

  /** Sets the record's `serving` mark for `role`; true if it changed (and must be saved). */
  private markServing(role: Role): boolean {
    const active = serves(role) || role === 'target';
    if (active === this.record.serving) return false;
    this.record = { ...this.record, serving: active };
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Meeting the partner (MIR-10)

  /** What this copy tells its partner when they meet. */
  private meetInfo() {
    return { vdisk: this.name, record: this.record, role: this.role, unsure: this.unsure.toBuffer().toString('base64') };
  }

  /** The coordinator (or a copy just forced online) asks its partner to meet. */
  async meet(): Promise<void> {
    const link = this.ctx.link();
    if (!link?.up || this.role === 'stopped') return;
    const meeting = (async () => {
      try {
        const reply = await link.request('meet', this.meetInfo());
        await this.serial(() => this.applyMeeting(reply.header as ReturnType<MirroredVolume['meetInfo']>));
      } catch (error) {
        this.ctx.log(`${this.name}: meeting the partner failed: ${(error as Error).message}`);
      }
    })();
    this.meeting = meeting;
    await meeting;
    if (this.meeting === meeting) this.meeting = null;
  }

  /** The partner asked to meet: decide with the same inputs it will use, then answer. */
  async onMeet(peer: ReturnType<MirroredVolume['meetInfo']>): Promise<Record<string, unknown>> {
    return this.serial(async () => {
      const mine = this.meetInfo();
      await this.applyMeeting(peer, mine);
      return mine;
    });
  }

  private async applyMeeting(peer: ReturnType<MirroredVolume['meetInfo']>, mine = this.meetInfo()): Promise<void> {
    if (this.role === 'stopped') return;
    const decision = decide(mine.record, peer.record);
    this.lastDecision = decision;
    const peerUnsure = RegionBitmap.fromBuffer(this.size, Buffer.from(peer.unsure, 'base64'));
    this.peerLeaving = false;
    if (decision.kind === 'undecidable') {
      this.ctx.log(`${this.name}: cannot tell the newest copy: ${decision.reason}; waiting for Force Mirror Recovery (MIR-11)`);
      await this.setRole('undecidable', 'met partner');
      return;
    }
    // Once met, a lost cache is resolved: the decision has accounted for it.
    this.record = { ...this.record, lostCache: false };
    if (decision.kind === 'inSync') {
      this.unsure.clear();
      this.changed.clear();
      this.record = { ...this.record, bitmapBase: null, peerNeedsFull: false };
      this.markServing('serving');
      await this.saveRecord();
      this.bitmapDirty = true;
      await this.setRole('serving', 'met partner, copies in sync');
      return;
    }
    if (decision.source === 'self') {
      if (this.role === 'source' && this.recovery) return; // already recovering it
      const set = new RegionBitmap(this.size);
      if (decision.recovery === 'full') set.markAll();
      else {
        set.merge(this.changed);
        set.merge(this.unsure);
        set.merge(peerUnsure);
      }
      // One durable save for the decision and the new role's mark (a meeting is on the rejoin path).
      this.markServing('source');
      await this.saveRecord();
      await this.setRole('source', `met partner, ${decision.recovery} recovery of its copy`);
      this.startRecovery(decision.recovery, set);
    } else {
      this.markServing('target');
      await this.saveRecord();
      await this.setRole('target', `met partner, ${decision.recovery} recovery from it`);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Recovery (MIR-7): the source copies regions while hosts keep writing.

  private startRecovery(kind: 'log' | 'full', set: RegionBitmap): void {
    const state = { kind, done: 0, total: set.size, abort: false };
    this.recovery = state;
    void (async () => {
      const started = Date.now();
      const link = this.ctx.link();
      if (!link) return;
      try {
        // Runs of adjacent regions (up to 1 MiB) copied with several in flight.
        const runs: Array<{ offset: number; length: number; regions: number }> = [];
        for (const region of set.marked()) {
          const { offset, length } = set.range(region);
          const last = runs.at(-1);
          if (last && last.offset + last.length === offset && last.regions < RUN_REGIONS) {
            last.length += length;
            last.regions++;
          } else {
            runs.push({ offset, length, regions: 1 });
          }
        }
        let next = 0;
        const worker = async () => {
          while (next < runs.length) {
            if (state.abort || this.role !== 'source' || !link.up) throw new Error('recovery stopped');
            const run = runs[next++]!;
            await this.withRegions(run.offset, run.length, async () => {
              const data = await this.ctx.disk.cache.read(run.offset, run.length);
              await link.request('recoveryWrite', { vdisk: this.name, offset: run.offset }, data);
            });
            state.done += run.regions;
            const rate = this.ctx.recoveryBytesPerSecond;
            if (rate > 0) {
              const due = started + ((state.done * set.regionBytes) / rate) * 1000;
              if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
            }
          }
        };
        const meanRunBytes = runs.length === 0 ? 1 : runs.reduce((sum, r) => sum + r.length, 0) / runs.length;
        const inFlight = Math.min(
          RECOVERY_MAX_IN_FLIGHT,
          Math.max(RECOVERY_MIN_IN_FLIGHT, Math.floor(RECOVERY_IN_FLIGHT_BYTES / meanRunBytes)),
        );
        await Promise.all(Array.from({ length: inFlight }, worker));
        if (state.abort || this.role !== 'source' || !link.up) return;
        await link.request('flush', { vdisk: this.name });
        await this.serial(async () => {
          if (state.abort || this.role !== 'source') return;
          await link.request('recoveryDone', { vdisk: this.name, gen: this.record.gen, history: this.record.history });
          this.changed.clear();
          this.unsure.clear();
          this.bitmapDirty = true;
          this.record = { ...this.record, bitmapBase: null, peerNeedsFull: false };
          await this.saveRecord();
          this.recovery = null;
          this.ctx.log(`${this.name}: ${kind} recovery complete, ${state.done} region(s) in ${Date.now() - started} ms`);
          await this.setRole('serving', 'recovery complete');
        });
      } catch (error) {
        if (!state.abort) {
          this.ctx.log(`${this.name}: recovery interrupted: ${(error as Error).message}`);
          // Still connected and still the source: try again shortly (the partner may have been busy).
          if (this.recovery === state) this.recovery = null;
          setTimeout(() => {
            if (this.role === 'source' && !this.recovery && link.up) this.startRecovery(kind, set);
          }, 200).unref();
        }
      } finally {
        if (this.recovery === state) this.recovery = null;
      }
    })();
  }

  /** Runs `f` with the regions of a byte range locked against recovery copies and other writers. */
  private async withRegions<T>(offset: number, length: number, f: () => Promise<T>): Promise<T> {
    const first = Math.floor(offset / this.changed.regionBytes);
    const last = Math.floor((offset + Math.max(1, length) - 1) / this.changed.regionBytes);
    for (;;) {
      const busy: Promise<void>[] = [];
      for (let r = first; r <= last; r++) {
        const p = this.locks.get(r);
        if (p) busy.push(p);
      }
      if (busy.length === 0) break;
      await Promise.all(busy);
    }
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    for (let r = first; r <= last; r++) this.locks.set(r, held);
    try {
      return await f();
    } finally {
      for (let r = first; r <= last; r++) if (this.locks.get(r) === held) this.locks.delete(r);
      release();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Host I/O (what NBD serves)

  read(offset: number, length: number): Promise<Buffer> {
    if (!serves(this.role)) return Promise.reject(this.notServing());
    return this.ctx.disk.cache.read(offset, length);
  }

  write(offset: number, data: Buffer, options: WriteOptions): Promise<void> {
    return this.replicated(offset, data.length, (dev) => dev.write(offset, data, options), {
      type: 'write',
      header: { offset, fua: options.fua },
      payload: data,
    });
  }

  trim(offset: number, length: number, options: WriteOptions): Promise<void> {
    return this.replicated(offset, length, (dev) => dev.trim(offset, length, options), {
      type: 'trim',
      header: { offset, length, fua: options.fua },
    });
  }

  writeZeroes(offset: number, length: number, options: WriteOptions): Promise<void> {
    return this.replicated(offset, length, (dev) => dev.writeZeroes(offset, length, options), {
      type: 'zeroes',
      header: { offset, length, fua: options.fua },
    });
  }

  async flush(): Promise<void> {
    if (!serves(this.role)) throw this.notServing();
    const link = this.ctx.link();
    const remote =
      this.role !== 'alone' && link?.up
        ? link.request('flush', { vdisk: this.name }).then(
            () => null,
            (e: unknown) => e,
          )
        : Promise.resolve(null);
    const [, remoteError] = await Promise.all([this.ctx.disk.cache.flush(), remote]);
    if (remoteError) await this.afterReplicationFailure(0, 0);
  }

  private notServing(): BlockError {
    return new BlockError('EIO', `${this.name} on ${this.ctx.server} does not serve hosts now (${this.role}); use the other path`);
  }

  /**
   * MIR-1: a write is acknowledged only when every running, in-sync copy holds it: the local
   * cache and the partner (in sync, or being recovered) in parallel. Serving alone, the change
   * log records it (MIR-3), after the generation moved on (persisted before the first ack).
   */
  private async replicated(
    offset: number,
    length: number,
    local: (dev: BlockDevice) => Promise<void>,
    remote: { type: string; header: Record<string, unknown>; payload?: Buffer },
  ): Promise<void> {
    if (!serves(this.role)) throw this.notServing();
    if (offset + length > this.size) throw new BlockError('ENOSPC', `write past the end of ${this.name}`);
    if (this.role === 'serving' && !this.ctx.preferred) return this.forwarded(offset, length, local, remote);
    await this.withRegions(offset, length, async () => {
      if (!serves(this.role)) throw this.notServing();
      if (this.role === 'alone') {
        await this.divergeIfNeeded();
        if (this.changed.mark(offset, length)) this.bitmapDirty = true;
        await local(this.ctx.disk.cache);
        return;
      }
      const link = this.ctx.link();
      const sent = link?.up
        ? link.request(remote.type, { vdisk: this.name, ...remote.header }, remote.payload).then(
            () => null,
            (e: unknown) => e,
          )
        : Promise.resolve(new Error('link down'));
      const [, remoteError] = await Promise.all([local(this.ctx.disk.cache), sent]);
      if (remoteError) await this.afterReplicationFailure(offset, length);
    });
  }

  /**
   * While both copies serve, writes through the non-preferred copy are ordered by the preferred
   * one: it applies them under its region locks and replicates them back before answering, so
   * the two copies never apply concurrent writes to a block in different orders.
   */
  private async forwarded(
    offset: number,
    length: number,
    local: (dev: BlockDevice) => Promise<void>,
    remote: { type: string; header: Record<string, unknown>; payload?: Buffer },
  ): Promise<void> {
    const link = this.ctx.link();
    const error = link?.up
      ? await link.request('forward', { vdisk: this.name, op: remote.type, ...remote.header }, remote.payload).then(
          () => null,
          (e: unknown) => e,
        )
      : new Error('link down');
    if (error === null) return;
    // The preferred copy may or may not have applied it. If it is gone (it left gracefully or
    // crashed), this copy serves alone and applies the write; if it keeps access (link cut),
    // hosts must use the other path.
    await this.settleAfterPartnerError();
    if (this.role !== 'alone') throw this.notServing();
    await this.withRegions(offset, length, async () => {
      await this.divergeIfNeeded();
      if (this.changed.mark(offset, length)) this.bitmapDirty = true;
      await local(this.ctx.disk.cache);
    });
  }

  /** A write reached this copy but maybe not the partner: settle the failover, then ack or refuse. */
  private async afterReplicationFailure(offset: number, length: number): Promise<void> {
    if (length > 0 && this.unsure.mark(offset, length)) this.bitmapDirty = true;
    await this.settleAfterPartnerError();
    if (!serves(this.role)) throw this.notServing();
    if (this.role === 'alone') {
      await this.divergeIfNeeded();
      if (length > 0 && this.changed.mark(offset, length)) this.bitmapDirty = true;
      return;
    }
    throw new BlockError('EIO', `${this.name}: replication to ${this.ctx.peer} failed and the partner is still connected`);
  }

  /** The partner holds this generation: before acknowledging a write it lacks, move on (MIR-5). */
  private async divergeIfNeeded(): Promise<void> {
    if (!this.peerSameGen) return;
    await this.serial(async () => {
      if (!this.peerSameGen) return;
      this.peerSameGen = false;
      this.changed.clear();
      this.record = advance(this.record, this.ctx.server, this.record.gen, false);
      await this.saveRecord();
      await writeFileAtomic(this.files.changed, this.changed.toBuffer());
    });
  }

  /** After a failed request to the partner: let a pending 'leaving' or link loss take effect first. */
  private async settleAfterPartnerError(): Promise<void> {
    await this.serial(async () => {}); // a 'leaving' being applied
    await this.waitLinkLoss();
  }

  private waitLinkLoss(): Promise<void> {
    const link = this.ctx.link();
    if (!this.linkLoss && link && !link.up) this.onLinkDown();
    return this.linkLoss ?? Promise.resolve();
  }

  // ---------------------------------------------------------------------------------------
  // Losing the partner (MIR-2, MIR-6, MIR-13)

  /** The link went down: decide, with the witness, whether this copy keeps serving. */
  onLinkDown(): void {
    if (this.linkLoss) return;
    this.linkLoss = this.serial(async () => {
      if (this.recovery) this.recovery.abort = true;
      const role = this.role;
      if (role === 'stopped' || role === 'awaiting' || role === 'undecidable' || role === 'cutOff' || role === 'alone') return;
      if (this.peerLeaving) {
        await this.partnerLeft();
        return;
      }
      const verdict = await this.ctx.witness();
      if (role === 'target') {
        await this.setRole(verdict === 'down' ? 'awaiting' : 'cutOff', `lost the recovery source (${verdict})`);
        return;
      }
      if (verdict === 'down') {
        // MIR-6: the partner crashed: it needs full recovery, whatever is written from now on.
        if (role === 'serving') this.record = advance(this.record, this.ctx.server, null, true);
        else this.record = { ...this.record, peerNeedsFull: true };
        await this.saveRecord();
        await this.setRole('alone', `${this.ctx.peer} crashed: failover`);
        return;
      }
      // The partner is alive but unreachable (MIR-13): the preferred copy keeps host access; a
      // copy whose partner is behind (being recovered) keeps it too. No split brain.
      if (role === 'source' || this.ctx.preferred) {
        if (role === 'serving') {
          this.record = advance(this.record, this.ctx.server, this.record.gen, false);
          this.changed.clear();
          this.bitmapDirty = true;
          await this.saveRecord();
        }
        await this.setRole(
          'alone',
          `mirror link to ${this.ctx.peer} lost, ${role === 'source' ? 'partner behind' : 'preferred copy'} keeps access`,
        );
      } else {
        await this.setRole('cutOff', `mirror link to ${this.ctx.peer} lost; the preferred copy keeps access`);
      }
    }).finally(() => {
      this.linkLoss = null;
    });
  }

  /** Graceful stop of the partner: it flushed first; it holds this generation if it was in sync. */
  private async partnerLeft(): Promise<void> {
    const role = this.role;
    if (role !== 'serving' && role !== 'source' && role !== 'target') return;
    if (this.recovery) this.recovery.abort = true;
    this.peerSameGen = role === 'serving';
    if (role === 'target') await this.setRole('awaiting', 'the recovery source stopped');
    else await this.setRole('alone', `${this.ctx.peer} stopped gracefully`);
  }

  // ---------------------------------------------------------------------------------------
  // Requests from the partner

  async onRequest(req: MirrorRequest): Promise<Record<string, unknown> | undefined> {
    const h = req.header;
    const cache = this.ctx.disk.cache;
    // The partner may act on a meeting this copy has not applied yet: let it finish first.
    if (this.meeting && req.type !== 'leaving') await this.meeting;
    switch (req.type) {
      case 'write':
      case 'recoveryWrite':
      case 'trim':
      case 'zeroes': {
        if (this.role !== 'serving' && this.role !== 'target')
          throw Object.assign(new Error(`${this.name} is ${this.role} here`), { code: 'MIRROR_NOT_IN_SYNC' });
        const offset = Number(h.offset);
        const fua = { fua: h.fua === true };
        if (req.type === 'trim') await cache.trim(offset, Number(h.length), fua);
        else if (req.type === 'zeroes') await cache.writeZeroes(offset, Number(h.length), fua);
        else await cache.write(offset, req.payload, fua);
        return undefined;
      }
      case 'flush':
        await cache.flush();
        return undefined;
      case 'forward': {
        // A write through the partner while both serve: order it here (see forwarded()).
        if (this.role !== 'serving' || !this.ctx.preferred)
          throw Object.assign(new Error(`${this.name} is ${this.role} here`), { code: 'MIRROR_NOT_IN_SYNC' });
        const offset = Number(h.offset);
        const fua = { fua: h.fua === true };
        if (h.op === 'trim') await this.trim(offset, Number(h.length), fua);
        else if (h.op === 'zeroes') await this.writeZeroes(offset, Number(h.length), fua);
        else await this.write(offset, req.payload, fua);
        return undefined;
      }
      case 'recoveryDone':
        return this.serial(async () => {
          await cache.flush();
          this.record = {
            ...this.record,
            gen: String(h.gen),
            history: h.history as string[],
            bitmapBase: null,
            peerNeedsFull: false,
            lostCache: false,
          };
          this.unsure.clear();
          this.changed.clear();
          this.bitmapDirty = true;
          await this.saveRecord();
          await this.setRole('serving', 'recovered from partner');
          return undefined;
        });
      case 'leaving':
        // The partner stops gracefully (it flushed first): serve alone from now on, without
        // waiting for the link to close, so host writes see no gap (MIR-2). Writes whose
        // replication it refuses from now on are recorded in the change log and acknowledged.
        this.peerLeaving = true;
        await this.serial(() => this.partnerLeft());
        return undefined;
      default:
        throw Object.assign(new Error(`unknown mirror request ${req.type}`), { code: 'MIRROR_UNKNOWN_REQUEST' });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Operator actions and lifecycle

  /** MIR-11: an operator brings this copy online; the other copy gets full recovery from it. */
  force(): Promise<void> {
    return this.serial(async () => {
      if (serves(this.role) || this.role === 'cutOff' || this.role === 'target') {
        throw new MirrorRefusal('MIR_FORCE_NOT_NEEDED', 'hosts have access through an up-to-date copy; nothing to force');
      }
      const previous = this.record.gen;
      this.record = {
        ...advance(this.record, this.ctx.server, null, true),
        lostCache: false,
        forced: { at: new Date().toISOString(), previousGen: previous, peerGen: null },
      };
      await this.saveRecord();
      this.ctx.log(
        `${this.name}: FORCE MIRROR RECOVERY: this copy (generation ${previous}) brought online by the operator; newer data elsewhere, if any, is discarded`,
      );
      await this.setRole('alone', 'forced online by the operator');
    }).then(() => this.meet());
  }

  /** Graceful stop (SRV-3): flush, tell the partner, record that no writes are pending. */
  async stop(): Promise<void> {
    if (this.recovery) this.recovery.abort = true;
    await this.serial(async () => {
      if (this.timer) clearInterval(this.timer);
      if (this.role === 'stopped') return;
      await this.ctx.disk.cache.flush();
      const link = this.ctx.link();
      if (link?.up) await link.request('leaving', { vdisk: this.name }).catch(() => {});
      this.bitmapDirty = true;
      await this.saveBitmapsIfDirty();
      this.role = 'stopped';
      this.record = { ...this.record, serving: false };
      await this.saveRecord();
    });
  }

  // ---------------------------------------------------------------------------------------
  // Status

  /** PTH-3: what this server offers hosts for this disk: the preferred copy is optimized while both serve. */
  access(): Alua {
    if (!serves(this.role)) return 'unavailable';
    return this.role === 'serving' && !this.ctx.preferred ? 'activeNonOptimized' : 'activeOptimized';
  }

  /** Whether hosts may use this copy now. */
  get serving(): boolean {
    return serves(this.role);
  }

  /** This server's view of the disk (MIR-4). */
  view(copies: [string, string]): VirtualDiskStatus {
    const me = this.ctx.server;
    const status = (
      mine: DataStatus,
      peer: DataStatus,
      state: VirtualDiskStatus['status'],
      access: 'readWrite' | 'disabled',
    ): VirtualDiskStatus => ({
      name: this.name,
      kind: 'mirrored',
      status: state,
      hostAccess: access,
      copies: copies.map((server, i) => ({ server, preferred: i === 0, dataStatus: server === me ? mine : peer })),
    });
    const inRecovery: DataStatus = this.recoveryKind() === 'log' ? 'inLogRecovery' : 'inFullRecovery';
    switch (this.role) {
      case 'serving':
        return status('upToDate', 'upToDate', 'online', 'readWrite');
      case 'source':
        return status('upToDate', inRecovery, 'failedRedundancy', 'readWrite');
      case 'alone':
        return status('upToDate', this.peerNeed(), 'failedRedundancy', 'readWrite');
      case 'target':
        return status(inRecovery, 'upToDate', 'failedRedundancy', 'readWrite');
      case 'undecidable':
        return status('doubleFailure', 'doubleFailure', 'unknown', 'disabled');
      default:
        return status('unknown', 'unknown', 'unknown', 'disabled');
    }
  }

  /** The partner's status while this copy serves alone: what it will need when it is back. */
  private peerNeed(): DataStatus {
    if (this.record.peerNeedsFull) return 'fullRecoveryNeeded';
    if (this.peerSameGen) return 'upToDate';
    return this.record.bitmapBase ? 'logRecoveryNeeded' : 'fullRecoveryNeeded';
  }

  private recoveryKind(): 'log' | 'full' {
    if (this.recovery) return this.recovery.kind;
    const d = this.lastDecision;
    return d?.kind === 'recover' ? d.recovery : 'full';
  }

  details() {
    return {
      vdisk: this.name,
      role: this.role,
      record: this.record,
      changedRegions: this.changed?.size ?? 0,
      unsureRegions: this.unsure?.size ?? 0,
      recovery: this.recovery ? { kind: this.recovery.kind, done: this.recovery.done, total: this.recovery.total } : null,
    };
  }
}
