// One copy of a mirrored virtual disk on this server, the mirror link of its I/O chain: it decides
// the copy's role (the meeting with the partner, failover, failback, forced recovery) and serves
// host I/O by role, replicating writes synchronously. Its parts, each in its own module:
//   ./volume-record.ts     the persisted generation record and bitmaps
//   ./region-locks.ts      host writes and recovery copies of a region take turns
//   ./recovery.ts          the source's copy loop (MIR-7)
//   ./partner-requests.ts  what the partner asks of this copy

import { fault } from '../faults.js';
import type { Alua, DataStatus, VirtualDiskStatus } from '../status-types.js';
import { BlockError, type BlockDevice, type BlockLayer, type WriteOptions } from '../types.js';
import { MirrorLinkError, MirrorRefusal } from './errors.js';
import { advance, decide, type Decision } from './generations.js';
import type { PartnerRequestTarget } from './partner-requests.js';
import { Recovery, type RecoverySource } from './recovery.js';
import { REGION_BYTES, RegionBitmap } from './region-bitmap.js';
import { RegionLocks } from './region-locks.js';
import { type MeetInfo, type MirrorLayer, type Role, servesHosts, type VolumeContext } from './types.js';
import { VolumeRecord } from './volume-record.js';

/** A host request as the partner is sent it (replicated, or forwarded to the preferred copy). */
interface RemoteRequest {
  type: string;
  header: Record<string, unknown>;
  payload?: Buffer;
}

/**
 * One copy of a mirrored virtual disk: a `MirrorLayer` over this copy's cache.
 *
 * Invariants:
 * - Hosts are served only in the roles `serving`, `source` and `alone`; elsewhere requests fail
 *   with EIO and the front end does not offer the disk here (MIR-9, MIR-13).
 * - Role changes and record changes run one at a time (`serial`), and a role that takes writes is
 *   persisted in the record (`serving`) before the first write is acknowledged.
 * - A write is acknowledged only when every running, in-sync copy holds it (MIR-1); serving
 *   alone, the change bitmap records it, after the generation moved on (MIR-3, MIR-5).
 */
export class MirroredVolume implements MirrorLayer, RecoverySource, PartnerRequestTarget {
  readonly name: string;
  readonly size: number;
  readonly location: string;
  readonly preferred: boolean;
  /** The link below: this copy's cache. */
  readonly next: BlockLayer;
  readonly locks: RegionLocks;
  readonly recoveryBytesPerSecond: number;
  role: Role = 'stopped';
  /** The recovery this copy runs as the source, if any. */
  recovery: Recovery | null = null;
  private readonly state: VolumeRecord;
  /** The partner said it leaves gracefully (after flushing). */
  private peerLeaving = false;
  /** This copy, as a recovery's source, sent 'recoveryDone' and has no answer yet (recovery.ts). */
  doneInDoubt = false;
  /** A graceful stop of this copy has begun (cleared when virtualization starts again). */
  private stopping = false;
  /** The partner holds this copy's generation (it left gracefully, or was cut off): first write moves on. */
  private peerSameGen = false;
  private lastDecision: Decision | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private linkLoss: Promise<void> | null = null;
  /** A meeting this copy started and has not applied yet (its partner may already act on it). */
  private meeting: Promise<void> | null = null;

  constructor(private readonly ctx: VolumeContext) {
    this.name = ctx.vdisk.name;
    this.next = ctx.next;
    this.size = ctx.next.size;
    this.location = `mirror ${this.name} on ${ctx.server} over ${ctx.next.location}`;
    this.preferred = ctx.preferred;
    this.recoveryBytesPerSecond = ctx.recoveryBytesPerSecond;
    this.state = new VolumeRecord(this.name, this.size, ctx.dir);
    this.locks = new RegionLocks(REGION_BYTES);
  }

  /** Serializes state changes of this volume. */
  serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Virtualization starts: load the record; a copy that crashed while receiving writes lost its cache (SRV-11). */
  async open(): Promise<void> {
    if (await this.state.load()) this.ctx.log(`${this.name}: the last run ended in a crash while receiving writes; the cache was lost`);
    this.role = 'awaiting';
    this.stopping = false;
    this.doneInDoubt = false;
    this.peerLeaving = false;
    this.peerSameGen = false;
  }

  private async setRole(role: Role, why: string): Promise<void> {
    if (role === this.role) return;
    this.ctx.log(`${this.name}: ${this.role} -> ${role} (${why})`);
    this.role = role;
    // A copy that takes writes is marked before it acknowledges any (crash => lost cache).
    if (this.markServing(role)) await this.state.save();
  }

  /** Sets the record's `serving` mark for `role`; true if it changed (and must be saved). */
  private markServing(role: Role): boolean {
    const active = servesHosts(role) || role === 'target';
    if (active === this.state.record.serving) return false;
    this.state.record = { ...this.state.record, serving: active };
    return true;
  }

  // ---------------------------------------------------------------------------------------
  // Meeting the partner (MIR-10)

  /** What this copy tells its partner when they meet. */
  private meetInfo(): MeetInfo {
    return { vdisk: this.name, record: this.state.record, role: this.role, unsure: this.state.unsure.toBuffer().toString('base64') };
  }

  /** A meeting this copy started and has not applied yet. */
  get pendingMeeting(): Promise<void> | null {
    return this.meeting;
  }

  /** The coordinator (or a copy just forced online) asks its partner to meet. */
  async meet(): Promise<void> {
    const link = this.ctx.link();
    if (!link?.up || this.role === 'stopped') return;
    const meeting = (async () => {
      try {
        const reply = await link.request('meet', this.meetInfo());
        await this.serial(() => this.applyMeeting(reply.header as MeetInfo));
      } catch (error) {
        this.ctx.log(`${this.name}: meeting the partner failed: ${(error as Error).message}`);
      }
    })();
    this.meeting = meeting;
    await meeting;
    if (this.meeting === meeting) this.meeting = null;
  }

  /** The partner asked to meet: decide with the same inputs it will use, then answer. */
  onMeet(peer: MeetInfo): Promise<MeetInfo> {
    return this.serial(async () => {
      const mine = this.meetInfo();
      await this.applyMeeting(peer, mine);
      return mine;
    });
  }

  private async applyMeeting(peer: MeetInfo, mine = this.meetInfo()): Promise<void> {
    if (this.role === 'stopped') return;
    const decision = decide(mine.record, peer.record);
    this.lastDecision = decision;
    const peerUnsure = RegionBitmap.fromBuffer(this.size, Buffer.from(peer.unsure, 'base64'));
    this.peerLeaving = false;
    this.doneInDoubt = false;
    // What an earlier graceful leave said of the partner's generation is superseded by this meeting.
    this.peerSameGen = false;
    if (decision.kind === 'undecidable') {
      this.ctx.log(`${this.name}: cannot tell the newest copy: ${decision.reason}; waiting for Force Mirror Recovery (MIR-11)`);
      await this.setRole('undecidable', 'met partner');
      return;
    }
    // Once met, a lost cache is resolved: the decision has accounted for it.
    this.state.record = { ...this.state.record, lostCache: false };
    if (decision.kind === 'inSync') {
      this.state.clearBitmaps();
      this.state.record = { ...this.state.record, bitmapBase: null, peerNeedsFull: false };
      this.markServing('serving');
      await this.state.save();
      await this.setRole('serving', 'met partner, copies in sync');
      return;
    }
    if (decision.source === 'self') {
      if (this.role === 'source' && this.recovery) return; // already recovering it
      const set = new RegionBitmap(this.size);
      if (decision.recovery === 'full') set.markAll();
      else {
        set.merge(this.state.changed);
        set.merge(this.state.unsure);
        set.merge(peerUnsure);
      }
      // One durable save for the decision and the new role's mark (a meeting is on the rejoin path).
      this.markServing('source');
      await this.state.save();
      await this.setRole('source', `met partner, ${decision.recovery} recovery of its copy`);
      Recovery.start(this, decision.recovery, set);
    } else {
      this.markServing('target');
      await this.state.save();
      await this.setRole('target', `met partner, ${decision.recovery} recovery from it`);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Recovery (MIR-7): what ./recovery.ts asks of the source, and the target's end of it

  link() {
    return this.ctx.link();
  }

  isSource(): boolean {
    return this.role === 'source';
  }

  generation(): { gen: string; history: string[] } {
    return { gen: this.state.record.gen, history: this.state.record.history };
  }

  log(line: string): void {
    this.ctx.log(line);
  }

  /** The source: the target holds every region and adopted this generation. */
  async recovered(recovery: Recovery, summary: string): Promise<void> {
    this.state.clearBitmaps();
    this.state.record = { ...this.state.record, bitmapBase: null, peerNeedsFull: false };
    await this.state.save();
    if (this.recovery === recovery) this.recovery = null;
    this.ctx.log(`${this.name}: ${summary}`);
    await this.setRole('serving', 'recovery complete');
  }

  /** The target: the source copied everything (`recoveryDone`); flush, adopt its generation, serve. */
  adoptRecovered(gen: string, history: string[]): Promise<void> {
    return this.serial(async () => {
      // Only a copy still being recovered may adopt the source's generation. One that stopped
      // meanwhile (its stop held the queue while this request waited) did not get every region
      // the source wrote since, and adopting would make it look current (MIR-7, DS-6).
      if (this.role !== 'target')
        throw new MirrorLinkError('MLINK_NOT_IN_SYNC', `${this.name} is ${this.role} here, no longer the recovery target`);
      await this.next.flush();
      this.state.record = { ...this.state.record, gen, history, bitmapBase: null, peerNeedsFull: false, lostCache: false };
      this.state.clearBitmaps();
      await this.state.save();
      await this.setRole('serving', 'recovered from partner');
    });
  }

  // ---------------------------------------------------------------------------------------
  // Host I/O (what NBD serves)

  read(offset: number, length: number): Promise<Buffer> {
    if (!servesHosts(this.role)) return Promise.reject(this.notServing());
    return this.next.read(offset, length);
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
    if (!servesHosts(this.role)) throw this.notServing();
    // With the link down there is no partner to flush; the link loss decides what this copy does.
    const remote = this.role !== 'alone' && this.ctx.link()?.up ? this.toPartner('flush', {}) : Promise.resolve(null);
    const [, remoteError] = await Promise.all([this.next.flush(), remote]);
    if (remoteError) await this.afterReplicationFailure(0, 0);
  }

  /** Sends a request to the partner; resolves with its error (or "link down") instead of rejecting. */
  private toPartner(type: string, header: Record<string, unknown>, payload?: Buffer): Promise<unknown> {
    const link = this.ctx.link();
    if (!link?.up) return Promise.resolve(new Error('link down'));
    return link.request(type, { vdisk: this.name, ...header }, payload).then(
      () => null,
      (e: unknown) => e,
    );
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
    remote: RemoteRequest,
  ): Promise<void> {
    if (!servesHosts(this.role)) throw this.notServing();
    if (offset + length > this.size) throw new BlockError('ENOSPC', `write past the end of ${this.name}`);
    if (this.role === 'serving' && !this.ctx.preferred) return this.forwarded(offset, length, local, remote);
    await this.locks.hold(offset, length, async () => {
      if (!servesHosts(this.role)) throw this.notServing();
      if (this.role === 'alone') {
        await this.applyAlone(offset, length, local);
        return;
      }
      if (
        (fault('mirrorAckBeforePartner') && this.role === 'serving') ||
        (fault('recoveryWritesNotForwarded') && this.role === 'source' && this.recovery)
      ) {
        this.state.markUnsure(offset, length);
        await local(this.next);
        return;
      }
      const sent = this.toPartner(remote.type, remote.header, remote.payload);
      const [, remoteError] = await Promise.all([local(this.next), sent]);
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
    remote: RemoteRequest,
  ): Promise<void> {
    const error = await this.toPartner('forward', { op: remote.type, ...remote.header }, remote.payload);
    if (error === null) return;
    // The preferred copy may or may not have applied it. If it is gone (it left gracefully or
    // crashed), this copy serves alone and applies the write; if it keeps access (link cut),
    // hosts must use the other path.
    await this.settleAfterPartnerError();
    if (this.role !== 'alone') throw this.notServing();
    await this.locks.hold(offset, length, () => this.applyAlone(offset, length, local));
  }

  /** A write while serving alone: move the generation on if needed, log the region, apply it here. */
  private async applyAlone(offset: number, length: number, local: (dev: BlockDevice) => Promise<void>): Promise<void> {
    await this.divergeIfNeeded();
    this.state.markChanged(offset, length);
    await local(this.next);
  }

  /** A write reached this copy but maybe not the partner: settle the failover, then ack or refuse. */
  private async afterReplicationFailure(offset: number, length: number): Promise<void> {
    if (length > 0) this.state.markUnsure(offset, length);
    await this.settleAfterPartnerError();
    if (!servesHosts(this.role)) throw this.notServing();
    if (this.role === 'alone') {
      await this.divergeIfNeeded();
      if (length > 0) this.state.markChanged(offset, length);
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
      this.state.changed.clear();
      this.state.record = advance(this.state.record, this.ctx.server, this.state.record.gen, false);
      await this.state.save();
      await this.state.saveChanged();
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
      this.recovery?.abort();
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
        this.peerSameGen = false;
        if (role === 'serving') this.state.record = advance(this.state.record, this.ctx.server, null, true);
        else this.state.record = { ...this.state.record, peerNeedsFull: true };
        await this.state.save();
        await this.setRole('alone', `${this.ctx.peer} crashed: failover`);
        return;
      }
      // The partner is alive but unreachable (MIR-13): the preferred copy keeps host access; a
      // copy whose partner is behind (being recovered) keeps it too. No split brain.
      // A source that sent 'recoveryDone' and heard no answer cannot tell whether the partner took
      // it and serves as the preferred copy: it keeps access only if it is the preferred copy itself.
      if ((role === 'source' && !this.doneInDoubt) || this.ctx.preferred || fault('bothServeAfterLinkCut')) {
        await this.continueWithoutTarget();
        if (role === 'serving') {
          this.state.record = advance(this.state.record, this.ctx.server, this.state.record.gen, false);
          this.state.clearChanged();
          await this.state.save();
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

  /**
   * The partner stops gracefully (it flushed first): serve alone from now on, without waiting for
   * the link to close, so host writes see no gap (MIR-2). Writes whose replication it refuses from
   * now on are recorded in the change log and acknowledged.
   */
  async partnerLeaving(): Promise<void> {
    this.peerLeaving = true;
    // Both copies stopping at once (a group going down, a site shutdown): this copy's own stop
    // holds the queue while it waits for the partner's answer to its own 'leaving'; waiting here
    // for the queue would make each wait for the other until the request times out.
    if (this.stopping) return;
    await this.serial(() => this.partnerLeft());
  }

  /** Graceful stop of the partner: it flushed first; it holds this generation if it was in sync. */
  private async partnerLeft(): Promise<void> {
    const role = this.role;
    if (role !== 'serving' && role !== 'source' && role !== 'target') return;
    await this.continueWithoutTarget();
    this.recovery?.abort();
    this.peerSameGen = role === 'serving';
    if (role === 'target') await this.setRole('awaiting', 'the recovery source stopped');
    else await this.setRole('alone', `${this.ctx.peer} stopped gracefully`);
  }

  /**
   * A recovery of the partner ends before its last region (the partner stopped, the link was
   * cut), and this copy goes on alone. A full recovery cut short leaves the partner needing a
   * full one still (MIR-6, MIR-7): the change log covers only what was written since, not the
   * regions the recovery had not copied yet.
   */
  private async continueWithoutTarget(): Promise<void> {
    if (this.role !== 'source') return;
    const full = this.recoveryKind() === 'full' || this.state.record.peerNeedsFull;
    // The recovery's target may have adopted this generation just before the link went ('recoveryDone'
    // sent, its answer lost): writes from now on must be a newer generation, or a later meeting
    // would take the two copies for equals and could pick the partner's copy over these writes.
    // The change log keeps the regions not copied yet, against the same base.
    this.state.record = advance(this.state.record, this.ctx.server, this.state.record.bitmapBase, full);
    await this.state.save();
  }

  /** The partner's server. */
  get peer(): string {
    return this.ctx.peer;
  }

  /**
   * The witness says the partner crashed (MIR-6). With the link up, link loss handles it; with the
   * link already cut, this copy serves alone and would otherwise count on a log recovery the
   * partner's lost cache makes insufficient.
   */
  partnerCrashed(): Promise<void> {
    return this.serial(async () => {
      if (this.role !== 'alone' || this.state.record.peerNeedsFull) return;
      this.peerSameGen = false;
      this.state.record = { ...this.state.record, peerNeedsFull: true };
      await this.state.save();
      this.ctx.log(`${this.name}: ${this.ctx.peer} crashed while the link was down: it needs full recovery`);
    });
  }

  // ---------------------------------------------------------------------------------------
  // Operator actions and lifecycle

  /** MIR-11: an operator brings this copy online; the other copy gets full recovery from it. */
  force(): Promise<void> {
    return this.serial(async () => {
      // A cut-off copy may be forced: the supervisor refuses first when the copy across the cut
      // still serves hosts (it sees the whole group; this copy cannot).
      if (servesHosts(this.role) || this.role === 'target') {
        throw new MirrorRefusal('MIR_FORCE_NOT_NEEDED', 'hosts have access through an up-to-date copy; nothing to force');
      }
      const previous = this.state.record.gen;
      this.state.record = {
        ...advance(this.state.record, this.ctx.server, null, true),
        lostCache: false,
        forced: { at: new Date().toISOString(), previousGen: previous, peerGen: null },
      };
      await this.state.save();
      this.ctx.log(
        `${this.name}: FORCE MIRROR RECOVERY: this copy (generation ${previous}) brought online by the operator; newer data elsewhere, if any, is discarded`,
      );
      await this.setRole('alone', 'forced online by the operator');
    }).then(() => this.meet());
  }

  /** Graceful stop (SRV-3): flush, tell the partner, record that no writes are pending. Idempotent. */
  async stop(): Promise<void> {
    this.recovery?.abort();
    this.stopping = true;
    await this.serial(async () => {
      this.state.stopTimer();
      if (this.role === 'stopped') return;
      await this.next.flush();
      const link = this.ctx.link();
      if (link?.up) await link.request('leaving', { vdisk: this.name }).catch(() => {});
      await this.state.close();
      this.role = 'stopped';
      this.state.record = { ...this.state.record, serving: false };
      await this.state.save();
    });
  }

  /** As a link of the chain: the graceful stop (the mirror service stops every copy first, so this is usually done already). */
  close(): Promise<void> {
    return this.stop();
  }

  // ---------------------------------------------------------------------------------------
  // Status

  /** PTH-3: what this server offers hosts for this disk: the preferred copy is optimized while both serve. */
  access(): Alua {
    if (!servesHosts(this.role)) return 'unavailable';
    return this.role === 'serving' && !this.ctx.preferred && !fault('nonPreferredOptimized') ? 'activeNonOptimized' : 'activeOptimized';
  }

  /** Whether hosts may use this copy now. */
  get serving(): boolean {
    return servesHosts(this.role);
  }

  /** This server's view of the disk (MIR-4). */
  view(): VirtualDiskStatus {
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
      copies: this.ctx.vdisk.copies.map((server, i) => ({ server, preferred: i === 0, dataStatus: server === me ? mine : peer })),
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
    if (this.state.record.peerNeedsFull) return 'fullRecoveryNeeded';
    if (this.peerSameGen) return 'upToDate';
    return this.state.record.bitmapBase ? 'logRecoveryNeeded' : 'fullRecoveryNeeded';
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
      record: this.state.record,
      changedRegions: this.state.changed?.size ?? 0,
      unsureRegions: this.state.unsure?.size ?? 0,
      recovery: this.recovery ? { kind: this.recovery.kind, done: this.recovery.done, total: this.recovery.total } : null,
    };
  }
}
