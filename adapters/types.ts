// The adapter contract: the seam between the harness and any system under test. An adapter is a
// thin translator: it opens a fresh system for a topology, performs the model's events on it,
// reports its status in the CF-2 shape, and gives hosts block devices over the paths the model
// describes. The runner (harness/conform/) drives every system through this contract alone, so
// a vendor checks their product by writing an adapter (or a command manifest, adapters/command/).
//
// Events `write` and `flush` are host I/O: the runner performs them through `device()`, never
// through `apply()`. `recoveryComplete` is the system's own doing: the runner waits for it, unless
// the adapter declares `holdsRecovery` and releases recoveries when the runner applies it.

import type { Code } from '../contracts/codes.js';
import type { GroupEvent, GroupEventType, GroupStatus, Topology } from '../models/types.js';

/** What a system under test can do. The runner reports a path that needs more as not applicable, with the reason. */
export interface Capabilities {
  /** Event types `apply()` performs (never `write` or `flush`; `recoveryComplete` only with `holdsRecovery`). */
  readonly events: readonly GroupEventType[];
  /** Hosts can do block I/O through `device()` and `pathDevice()` (the `write` and `flush` events, and every data check). */
  readonly hostIo: boolean;
  /** Mirrored virtual disks are supported (topologies with them can run). */
  readonly mirroredDisks: boolean;
  /** `copyReader()` reads the backend of every copy (byte comparison of copies, DS-6; cache probes). */
  readonly copyReader: boolean;
  /**
   * Write caching can be observed: with the cache in write-back, an acknowledged unflushed write is
   * not yet on the copy's backend; in write-through it is (SRV-6, SRV-13). Needs `copyReader`.
   */
  readonly cacheProbe: boolean;
  /**
   * Every mirror recovery is held until the runner applies `recoveryComplete` for its disk, so that
   * states during recovery are reached on purpose. Without it, recovery completes whenever the
   * system gets there and the runner accepts either side of that race.
   */
  readonly holdsRecovery: boolean;
  /** Why each missing event type or feature is missing, for the report ("nbdkit has no cache"). */
  readonly reasons?: Readonly<Partial<Record<GroupEventType | CapabilityFeature, string>>>;
}

/** Feature flags of `Capabilities`. */
export const capabilityFeatures = ['hostIo', 'mirroredDisks', 'copyReader', 'cacheProbe', 'holdsRecovery'] as const;
export type CapabilityFeature = (typeof capabilityFeatures)[number];

/** Options for opening a system. */
export interface OpenOptions {
  /** A fresh, empty directory the system may use; removed by the runner after `close()`. */
  readonly workDir: string;
  /** Aborted when the run is interrupted: long operations should give up and `close()` will follow. */
  readonly signal?: AbortSignal;
  /** Lines for the path's log (kept in the report of a failing path). */
  readonly log?: (line: string) => void;
}

/** The answer to `apply()`. */
export type ApplyResult =
  /** The event took effect (the system may still be settling). */
  | { readonly outcome: 'accepted' }
  /** The event does not apply in the current state and changed nothing (SRV-12), with its stable code. */
  | { readonly outcome: 'refused'; readonly code: Code | string; readonly message: string };

/** Block I/O as a host sees it. Errors carry `outcome: 'fail'` when the request certainly had no effect. */
export interface HostDevice {
  /** Size in bytes. */
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  write(offset: number, data: Buffer, options?: { fua?: boolean }): Promise<void>;
  flush(): Promise<void>;
  /** The path in use (multipath devices), recorded in the history. */
  readonly activePath?: string | null;
  /** Disconnects; requests in flight complete or fail first. */
  close(): Promise<void>;
}

/** Reads the bytes one copy holds on its backend, beneath any cache (DS-6, cache probes). */
export interface CopyReader {
  /** Size in bytes. */
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Options of a host device. */
export interface DeviceOptions {
  /** Per request: reply timeout (and connect timeout) in ms. I/O to a disabled disk must fail within it (VD-1, DS-7). */
  readonly ioTimeoutMs: number;
  /** How long a multipath device keeps retrying an operation across paths (MIR-2). */
  readonly retryForMs: number;
}

/** A system under test, opened for one topology. Methods may be called concurrently except `close()`. */
export interface SystemUnderTest {
  /** Performs one event (not `write`, `flush`; `recoveryComplete` only with `holdsRecovery`). Throws only when the adapter itself fails. */
  apply(event: GroupEvent): Promise<ApplyResult>;
  /** The system's observable status (CF-2), validated by the runner against the schema. */
  status(): Promise<GroupStatus>;
  /** A block device for `host` to `vdisk` over every path the topology gives it, preferred first (multipath, PTH-3). */
  device(host: string, vdisk: string, options: DeviceOptions): Promise<HostDevice>;
  /** A block device for `host` to `vdisk` over the single path to `server` (probes of what a path's ALUA state claims). */
  pathDevice(host: string, server: string, vdisk: string, options: DeviceOptions): Promise<HostDevice>;
  /** Reads the copy of `vdisk` held by `server` (a single virtual disk's one copy too). */
  copyReader(vdisk: string, server: string): Promise<CopyReader>;
  /** Ends everything the system started: processes, sockets, ports, loop devices, files outside workDir. Idempotent. */
  close(): Promise<void>;
}

/** An adapter: a factory of fresh systems under test. */
export interface Adapter {
  /** Name for reports, e.g. `engine (file)`. */
  readonly name: string;
  /** What systems opened for `topology` can do. */
  capabilities(topology: Topology): Capabilities;
  /** A fresh system in the initial state of `topology` (every server powered on and running, every copy up to date). */
  open(topology: Topology, options: OpenOptions): Promise<SystemUnderTest>;
}

/** Thrown by an adapter that cannot perform an action or report status (not a refusal). */
export class AdapterError extends Error {
  readonly code: Code;
  constructor(
    message: string,
    /** Evidence: command output, the HTTP answer, the log tail. */
    readonly details?: unknown,
    code: Code = 'SANSPEC_ADAPTER_FAILED',
  ) {
    super(message);
    this.name = 'AdapterError';
    this.code = code;
  }
}
