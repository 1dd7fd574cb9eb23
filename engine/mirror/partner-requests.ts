// Requests from the partner copy over the mirror link, and what this copy does with them:
// replicated host writes and recovery writes (applied to this copy's cache, never replicated
// again), flushes, writes forwarded for ordering, the end of a recovery, a graceful leave, and
// meetings. Each request names its virtual disk; a failure is sent back with a stable code.

import type { BlockDevice, WriteOptions } from '../types.js';
import { MirrorLinkError } from './errors.js';
import type { MirrorReplyInput, MirrorRequest } from './link-types.js';
import type { MeetInfo, Role } from './types.js';

/** What partner requests act on: one copy of a mirrored disk (a MirroredVolume). */
export interface PartnerRequestTarget extends Pick<BlockDevice, 'write' | 'trim' | 'writeZeroes'> {
  readonly name: string;
  readonly role: Role;
  /** This copy is the preferred one: it orders the writes of both copies while both serve. */
  readonly preferred: boolean;
  /** The link below the mirror: this copy's cache. Partner writes are applied there. */
  readonly next: BlockDevice;
  /** A meeting this copy started and has not applied yet (its partner may already act on it). */
  readonly pendingMeeting: Promise<void> | null;
  /** The partner asked to meet: decide with the same inputs it will use, and answer with this copy's. */
  onMeet(peer: MeetInfo): Promise<MeetInfo>;
  /** The source finished recovering this copy: flush, adopt its generation, serve. */
  adoptRecovered(gen: string, history: string[]): Promise<void>;
  /** The partner stops gracefully (it flushed first). */
  partnerLeaving(): Promise<void>;
}

/**
 * Handles one request of the partner for `volume` (undefined: this server holds no copy of the
 * disk it names). Resolves with the reply, or rejects with an error whose code the partner gets.
 *
 * The copy's role decides what it accepts: replicated and recovery writes only while it is the
 * in-sync partner (`serving`) or being recovered (`target`); forwarded writes only while it is
 * the preferred copy and both serve. Anything else is refused with MLINK_NOT_IN_SYNC, so a
 * partner that believes otherwise learns it before acknowledging a host write.
 */
export async function handlePartnerRequest(
  volume: PartnerRequestTarget | undefined,
  server: string,
  req: MirrorRequest,
): Promise<MirrorReplyInput | undefined> {
  if (!volume) throw new MirrorLinkError('MLINK_UNKNOWN_DISK', `no mirrored disk ${String(req.header.vdisk)} on ${server}`);
  if (req.type === 'meet') return { header: await volume.onMeet(req.header as MeetInfo) };
  const h = req.header;
  // The partner may act on a meeting this copy has not applied yet: let it finish first.
  if (volume.pendingMeeting && req.type !== 'leaving') await volume.pendingMeeting;
  const notInSync = () => new MirrorLinkError('MLINK_NOT_IN_SYNC', `${volume.name} is ${volume.role} here`);
  const options = (): WriteOptions => ({ fua: h.fua === true });
  switch (req.type) {
    case 'write':
    case 'recoveryWrite':
    case 'trim':
    case 'zeroes': {
      if (volume.role !== 'serving' && volume.role !== 'target') throw notInSync();
      const offset = Number(h.offset);
      const cache = volume.next;
      if (req.type === 'trim') await cache.trim(offset, Number(h.length), options());
      else if (req.type === 'zeroes') await cache.writeZeroes(offset, Number(h.length), options());
      else await cache.write(offset, req.payload, options());
      return undefined;
    }
    case 'flush':
      await volume.next.flush();
      return undefined;
    case 'forward': {
      // A write through the partner while both serve: order it here, as a host write of this
      // copy (replicated back to the partner before it is answered).
      if (volume.role !== 'serving' || !volume.preferred) throw notInSync();
      const offset = Number(h.offset);
      if (h.op === 'trim') await volume.trim(offset, Number(h.length), options());
      else if (h.op === 'zeroes') await volume.writeZeroes(offset, Number(h.length), options());
      else await volume.write(offset, req.payload, options());
      return undefined;
    }
    case 'recoveryDone':
      await volume.adoptRecovered(String(h.gen), h.history as string[]);
      return undefined;
    case 'leaving':
      await volume.partnerLeaving();
      return undefined;
    default:
      throw new MirrorLinkError('MLINK_UNKNOWN_REQUEST', `unknown mirror request ${req.type}`);
  }
}
