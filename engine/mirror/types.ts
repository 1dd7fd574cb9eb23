// Contracts of the mirror layer: what a storage server plugs in for its mirrored disks (the
// `MirrorService` and the `MirrorLayer` link of each disk's I/O chain), and the types its parts
// share. The server knows the mirror only through these.

import type { GroupConfig, ServerConfig, VirtualDiskConfig } from '../config/types.js';
import type { Alua, VirtualDiskStatus } from '../status-types.js';
import type { BlockLayer } from '../types.js';
import type { Route } from '../util/json-http.js';
import type { GenerationRecord } from './generations.js';
import type { MirrorLink } from './link-types.js';

/** The configuration of a mirrored virtual disk. */
export type MirroredDiskConfig = Extract<VirtualDiskConfig, { kind: 'mirrored' }>;

/**
 * The mirror link of one copy of a mirrored disk in its I/O chain, directly over this copy's
 * cache: host writes go to the cache below and to the partner's copy, in parallel.
 */
export interface MirrorLayer extends BlockLayer {
  /** Hosts may use this copy now; while false the front end does not serve the disk here. */
  readonly serving: boolean;
}

/** This server's view of its mirrored disks and mirror links, for the CF-2 status. */
export interface MirrorStatus {
  virtualDisks: VirtualDiskStatus[];
  /** PTH-3: what this server offers hosts for each mirrored disk. */
  access: Record<string, Alua>;
  links: Array<{ servers: [string, string]; up: boolean }>;
}

/**
 * The mirror layer a storage server plugs in (engine/mirror/mirror-service.ts). Without one,
 * mirrored disks are reported unknown and not served. At each start of virtualization the server
 * calls `layer()` for every mirrored disk while it assembles that disk's I/O chain, then
 * `start()`; at a stop, `stop()` before it closes the chains.
 */
export interface MirrorService {
  /** Stacks the mirror link of `vdisk` over `next` (this copy's cache); loads its generation record. */
  layer(vdisk: MirroredDiskConfig, next: BlockLayer): Promise<MirrorLayer>;
  /** Virtualization started (SRV-7): connect to the partners; their meetings decide roles and recovery. */
  start(): Promise<void>;
  /** Virtualization stops gracefully (SRV-3): each copy flushes and tells its partner, then the links close. */
  stop(): Promise<void>;
  /** This server's view of its mirrored disks and links (valid while running). */
  status(): MirrorStatus;
  /** Extra details for `sanspec status --json`. */
  details(): unknown;
  /** Management routes the mirror layer adds (link switch, forced recovery). */
  routes(): Route[];
}

/** What the mirror layer needs to know of the server it is plugged into. */
export interface MirrorHost {
  readonly config: GroupConfig;
  readonly me: ServerConfig;
  /** Virtualization is running. */
  readonly running: boolean;
}

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

/** Roles in which a copy serves hosts. */
export const servesHosts = (r: Role): boolean => r === 'serving' || r === 'source' || r === 'alone';

/** What the witness (the supervisor, this group's tiebreaker) says of the partner. */
export type PeerVerdict = 'down' | 'alive';

/** What a copy tells its partner when they meet (the `meet` request's header and its reply's). */
export type MeetInfo = {
  vdisk: string;
  record: GenerationRecord;
  role: Role;
  /** The copy's uncertain regions (RegionBitmap.toBuffer), base64. */
  unsure: string;
};

/** What one copy (a MirroredVolume) is given by the mirror service. */
export interface VolumeContext {
  server: string;
  peer: string;
  /** This copy is the preferred one (PTH-3; the MIR-13 tiebreaker). */
  preferred: boolean;
  /** The virtual disk. */
  vdisk: MirroredDiskConfig;
  /** The link below the mirror in this copy's I/O chain: its cache. */
  next: BlockLayer;
  /** Directory for the generation record and bitmaps. */
  dir: string;
  link: () => MirrorLink | undefined;
  witness: () => Promise<PeerVerdict>;
  /** Recovery throttle in bytes per second (0 = unthrottled). */
  recoveryBytesPerSecond: number;
  log: (line: string) => void;
}
