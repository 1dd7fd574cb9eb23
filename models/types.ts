// Contracts shared by every model: the topology a group is built from, the events the world and
// the operator send to it, and the observable status (CF-2) that a system under test reports.

import type { CacheMode, PortRole } from '../contracts/status.js';

// The vocabulary and the observable status (CF-2) are one contract with the engine: defined once,
// schema first, in contracts/status.ts.
export type {
  Alua,
  CacheMode,
  CacheStatus,
  CopyStatus,
  DataStatus,
  GroupStatus,
  HostAccess,
  MirrorLinkStatus,
  PathStatus,
  PortMode,
  PortRole,
  PortStatus,
  SeenAs,
  ServerStatus,
  Virtualization,
  VirtualDiskState,
  VirtualDiskStatus,
} from '../contracts/status.js';

// ---------------------------------------------------------------------------------------------
// Topology

/** A port of a server. */
export interface PortSpec {
  /** Port name, unique within its server (e.g. `fe1`). */
  name: string;
  /** Roles the port plays; decides its mode (PRT-1). */
  roles: PortRole[];
  /** A mirror port explicitly set to Target Only (PRT-1). */
  targetOnly?: boolean;
}

/** A server of the group. */
export interface ServerSpec {
  /** Server name, unique in the group (e.g. `s1`). */
  name: string;
  /** Its ports. */
  ports: PortSpec[];
  /** Automatic restart attempts after an unexpected restart, within the window (SRV-10). */
  autoRestartAttempts: number;
  /** The server is powered through a UPS that reports battery state (SRV-13). */
  ups: boolean;
}

/** A virtual disk served to hosts. */
export type VirtualDiskSpec =
  | {
      /** Virtual disk name, unique in the group (e.g. `v1`). */
      name: string;
      /** Single virtual disk: one copy, on one server. */
      kind: 'single';
      /** The server that holds it. */
      server: string;
    }
  | {
      /** Virtual disk name, unique in the group (e.g. `m1`). */
      name: string;
      /** Mirrored virtual disk: one copy on each of two servers. */
      kind: 'mirrored';
      /** The servers holding its copies, preferred server first (PTH-3). */
      copies: [string, string];
    };

/** A server group: servers, hosts and virtual disks. Every host has one front-end path to the FE port of every server. */
export interface Topology {
  /** Name of the topology, for reports. */
  name: string;
  /** Servers, at least two. */
  servers: ServerSpec[];
  /** Host names. */
  hosts: string[];
  /** Virtual disks. */
  virtualDisks: VirtualDiskSpec[];
  /**
   * Event types left out of this topology's alphabet, to bound exploration where a behaviour
   * is independent of the topology and checked in another one (default: none).
   */
  exclude?: GroupEventType[];
  /**
   * Renamings of servers, hosts and virtual disks under which the topology is the same (issue 9,
   * models/symmetry.ts), e.g. `{"s1": "s3", "s3": "s1", "s2": "s4", "s4": "s2", "m1": "m2", "m2":
   * "m1"}` for two interchangeable mirror pairs. The checker explores one state of each class of
   * states that differ only by them (default: none).
   */
  symmetry?: Array<Record<string, string>>;
  /**
   * Behaviours explored in this topology beyond SPEC.md's catalogue (default: none). Each adds
   * events to the alphabet and fields to the status, so topologies without it (`default`,
   * `conformance`) keep their state space and predictions:
   * - `hostConnections`: hosts disconnect and reconnect (PTH-1); paths report `hostConnected`.
   * - `backendPools`: a server's backend pool fails and is restored (SRV-14); servers report `pool`.
   * - `forceRecord`: a mirrored disk reports the last forced decision (MIR-11) as `forced`.
   */
  features?: TopologyFeature[];
}

/** An opt-in behaviour of a topology (see `Topology.features`). */
export type TopologyFeature = 'hostConnections' | 'backendPools' | 'forceRecord';

// ---------------------------------------------------------------------------------------------
// Events: everything an operator or the world does to the group.

/** An event sent to a server group. */
export type GroupEvent =
  /** Operator stops virtualization on a server (SRV-1..5). */
  | { type: 'stop'; server: string }
  /** Operator starts virtualization on a server (SRV-7). */
  | { type: 'start'; server: string }
  /** Graceful machine shutdown (SRV-8). */
  | { type: 'shutdown'; server: string }
  /** Graceful machine restart (SRV-8, SRV-9). */
  | { type: 'restart'; server: string }
  /** Crash or power failure of one server (SRV-10, SRV-11). */
  | { type: 'crash'; server: string }
  /** Power failure of the whole site: every powered-on server crashes at the same instant (MIR-11). */
  | { type: 'siteCrash' }
  /** The machine is powered on (SRV-9, SRV-10). */
  | { type: 'powerOn'; server: string }
  /** Operator changes the cache setting; it applies at the next start (SRV-6). */
  | { type: 'setCache'; server: string; mode: CacheMode }
  /** The server's UPS switched to battery (SRV-13). */
  | { type: 'onBattery'; server: string }
  /** Mains power is back at the server's UPS (SRV-13). */
  | { type: 'mainsRestored'; server: string }
  /** The server's UPS battery is low (SRV-13). */
  | { type: 'batteryLow'; server: string }
  /** The automatic-restart window elapsed; attempts are counted afresh (SRV-10). */
  | { type: 'autoRestartWindowElapsed'; server: string }
  /** Hosts wrote to a virtual disk (abstract: writes arrived and were acknowledged). */
  | { type: 'write'; vdisk: string }
  /** A host flush of a virtual disk completed. */
  | { type: 'flush'; vdisk: string }
  /** The system finished the running mirror recovery of a virtual disk (MIR-7). */
  | { type: 'recoveryComplete'; vdisk: string }
  /** Operator forces a copy of a virtual disk online (MIR-11). */
  | { type: 'forceMirrorRecovery'; vdisk: string; copy: string }
  /** The mirror link between two servers failed (MIR-13). */
  | { type: 'linkDown'; servers: [string, string] }
  /** The mirror link between two servers is back (MIR-13). */
  | { type: 'linkUp'; servers: [string, string] }
  /** A host lost its connection to the group: every path from it goes offline (PTH-1; feature `hostConnections`). */
  | { type: 'hostDisconnect'; host: string }
  /** A host is connected again: its paths follow their ports and servers (PTH-1; feature `hostConnections`). */
  | { type: 'hostReconnect'; host: string }
  /** A server's backend pool (its backing storage) failed (SRV-14; feature `backendPools`). */
  | { type: 'poolFail'; server: string }
  /** A server's backend pool is available again (SRV-14; feature `backendPools`). */
  | { type: 'poolRestore'; server: string };

export type GroupEventType = GroupEvent['type'];
