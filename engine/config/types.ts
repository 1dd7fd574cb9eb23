// The group configuration: one JSON file describing servers, ports, pools, virtual disks,
// hosts and cache settings. `loadGroupConfig` validates it and fills in defaults.

import type { FaultSwitch } from '../faults.js';

export type CacheMode = 'writeBack' | 'writeThrough';
export type PortRole = 'frontEnd' | 'mirror' | 'backEnd';
export type BackendKind = 'file' | 'loop';

/** Cache settings of a server (SRV-6). */
export interface CacheSettings {
  /** Write-back or write-through. */
  mode: CacheMode;
  /** Cache size in MiB, shared by the server's virtual disks. */
  sizeMiB: number;
}

export interface PortConfig {
  /** Port name, unique within its server (e.g. `fe1`). */
  name: string;
  /** Roles; decide the port mode (PRT-1). */
  roles: PortRole[];
  /** A mirror port explicitly set to Target Only (PRT-1). */
  targetOnly: boolean;
  /** Also listen on a Unix socket (front-end ports), `<dir>/servers/<server>/<port>.sock`. */
  unixSocket: boolean;
}

export interface ServerConfig {
  /** Server name, unique in the group. */
  name: string;
  /** Ports; the default is fe1 (front end), mr1 (mirror), be1 (back end). */
  ports: PortConfig[];
  /** Automatic restart attempts after an unexpected restart, per window (SRV-10). */
  autoRestartAttempts: number;
  /** Powered through a UPS that reports battery state (SRV-13). */
  ups: boolean;
  /** Cache settings applied at the first start. */
  cache: CacheSettings;
  /** The pool of backing disks: one backing disk per virtual disk copy. */
  pool: { backend: BackendKind };
}

export type VirtualDiskConfig =
  | { name: string; kind: 'single'; server: string; sizeMiB: number }
  | { name: string; kind: 'mirrored'; copies: [string, string]; sizeMiB: number };

export interface GroupConfig {
  /** Group name (a random id is added at `group up` so two groups never mirror to each other). */
  name: string;
  servers: ServerConfig[];
  hosts: string[];
  virtualDisks: VirtualDiskConfig[];
  /** The window in which automatic restart attempts are counted (SRV-10); default 4 hours. */
  autoRestartWindowSeconds: number;
  /** Mirror link timing (MIR-2: failure detection). */
  mirror: { heartbeatMs: number; deadAfterMs: number };
  /** Background recovery throttle in MiB/s, 0 for unthrottled (MIR-7). */
  recoveryMiBPerSecond: number;
  /** Knobs for tests and benchmarks. */
  tuning: {
    /** Dirty cache data younger than this is not destaged unless a flush waits for it (default 0). */
    destageDelayMs: number;
    /**
     * Backend reads run on the server's main thread (pread) instead of the thread pool: several
     * times cheaper for data in the page cache; a read that misses it stalls the server for the
     * disk's latency (default true).
     */
    syncReads: boolean;
    /**
     * Backend writes (the destager's) run on the server's main thread (pwrite), the writes of one
     * event-loop turn together, instead of the thread pool: half the CPU per 4 KiB write into the
     * page cache; a write the kernel throttles stalls the server that long (default true).
     */
    syncWrites: boolean;
    /**
     * Threads of each server's I/O thread pool, UV_THREADPOOL_SIZE (default 4, Node's): they run
     * syncs, and the destager's writes unless syncWrites; fewer threads contend less on small machines, more keep
     * destaging while the kernel throttles writers.
     */
    threadPoolSize: number;
  };
  /** Test-only settings: nothing here is for production (docs/engine.md, "Testing the tests"). */
  testing: {
    /** Fault switches on in every process of the group (engine/faults.ts); empty unless SANSPEC_ALLOW_FAULTS=1 allowed them. */
    faults: FaultSwitch[];
    /** Power-loss mode: backend writes not yet synced live in the server process and are lost by a crash. */
    powerLoss: boolean;
  };
}
