// Contracts shared by every model: the topology a group is built from, the events the world and
// the operator send to it, and the observable status (CF-2) that a system under test reports.

/** Write caching mode of a server (SRV-6, SRV-13). */
export type CacheMode = 'writeBack' | 'writeThrough';

/** A role a port plays (PRT-1). */
export type PortRole = 'frontEnd' | 'mirror' | 'backEnd';

/** Mode a port runs in, derived from its roles (PRT-1). */
export type PortMode = 'targetOnly' | 'initiator' | 'initiatorTarget';

/** ALUA access state of a path for one virtual disk (PTH-3). */
export type Alua = 'activeOptimized' | 'activeNonOptimized' | 'unavailable';

/** Copy data status vocabulary (MIR-4). */
export type DataStatus =
  | 'upToDate'
  | 'logRecoveryNeeded'
  | 'fullRecoveryNeeded'
  | 'logRecoveryPending'
  | 'fullRecoveryPending'
  | 'inLogRecovery'
  | 'inFullRecovery'
  | 'unknown'
  | 'doubleFailure';

/** Virtual disk status vocabulary (MIR-4). */
export type VirtualDiskState = 'online' | 'failedRedundancy' | 'offline' | 'unknown';

/** Host access to a virtual disk (MIR-4). */
export type HostAccess = 'readWrite' | 'disabled';

/** Virtualization state of a server (SRV vocabulary). */
export type Virtualization = 'stopped' | 'starting' | 'running' | 'stopping';

/** How the other servers of the group see a server (SRV vocabulary). */
export type SeenAs = 'Running' | 'Stopped' | 'Failed' | 'Unavailable';

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
}

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
  | { type: 'linkUp'; servers: [string, string] };

export type GroupEventType = GroupEvent['type'];

// ---------------------------------------------------------------------------------------------
// Observable status (CF-2): the one JSON shape every system under test reports.

/** Cache settings of a server (SRV-6, SRV-13). */
export interface CacheStatus {
  /** Mode in force since the last start. */
  applied: CacheMode;
  /** Mode set since, applying at the next start; null when nothing is pending. */
  pending: CacheMode | null;
  /** Mode actually used now: write-through while on battery (SRV-13). */
  effective: CacheMode;
}

/** One server. */
export interface ServerStatus {
  /** Server name. */
  name: string;
  /** Machine power. */
  power: 'on' | 'off';
  /** Virtualization state. */
  state: Virtualization;
  /** How the rest of the group sees it. */
  seenAs: SeenAs;
  /** UPS power source; `mains` for servers without a UPS. */
  ups: 'mains' | 'battery';
  /** Cache settings. */
  cache: CacheStatus;
  /** Automatic restarts used in the current window (SRV-10). */
  autoRestartsUsed: number;
}

/** One port of one server. */
export interface PortStatus {
  /** Server the port belongs to. */
  server: string;
  /** Port name. */
  name: string;
  /** Its roles. */
  roles: PortRole[];
  /** Its mode (PRT-1). */
  mode: PortMode;
  /** Enabled (PRT-2, PRT-3). */
  enabled: boolean;
}

/** One front-end path from a host to a server's front-end port. */
export interface PathStatus {
  /** Host name. */
  host: string;
  /** Server name. */
  server: string;
  /** Front-end port name on that server. */
  port: string;
  /** Online (PTH-1). */
  online: boolean;
  /** ALUA state per virtual disk the server holds (PTH-3); `unavailable` while offline. */
  alua: Record<string, Alua>;
}

/** One copy of a virtual disk. */
export interface CopyStatus {
  /** Server holding the copy. */
  server: string;
  /** The preferred copy of a mirrored virtual disk (PTH-3); true for a single virtual disk. */
  preferred: boolean;
  /** Copy data status (MIR-4). */
  dataStatus: DataStatus;
}

/** One virtual disk. */
export interface VirtualDiskStatus {
  /** Virtual disk name. */
  name: string;
  /** Single or mirrored. */
  kind: 'single' | 'mirrored';
  /** Virtual disk status (MIR-4). */
  status: VirtualDiskState;
  /** Host access (MIR-4). */
  hostAccess: HostAccess;
  /** Its copies, preferred first. */
  copies: CopyStatus[];
}

/** The mirror link between two servers that share mirrored virtual disks. */
export interface MirrorLinkStatus {
  /** The two servers, in topology order. */
  servers: [string, string];
  /** Link up (MIR-13). */
  up: boolean;
}

/** The observable status of a whole server group (CF-2). Arrays are in topology order. */
export interface GroupStatus {
  /** Servers. */
  servers: ServerStatus[];
  /** Ports of every server. */
  ports: PortStatus[];
  /** Front-end paths, host-major. */
  paths: PathStatus[];
  /** Virtual disks. */
  virtualDisks: VirtualDiskStatus[];
  /** Mirror links. */
  mirrorLinks: MirrorLinkStatus[];
}
