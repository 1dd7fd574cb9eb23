// Options of the engine adapter: how each system under test (a fresh engine group) is set up.

import type { FaultSwitch } from '../../engine/faults.js';

/** Backing storage of the engine's virtual disk copies. */
export type EngineBackend = 'file' | 'loop';

/** Options of `engineAdapter()`; every field has a default suited to conformance runs. */
export interface EngineAdapterOptions {
  /** Sparse files, or those files attached as loop devices (needs root and losetup). Default `file`. */
  readonly backend?: EngineBackend;
  /** Size of every virtual disk in MiB: small, so that full recoveries are quick. Default 16. */
  readonly diskSizeMiB?: number;
  /** Write cache size of every server in MiB. Default 32. */
  readonly cacheSizeMiB?: number;
  /**
   * Dirty cache data younger than this is not destaged unless a flush waits for it: long enough
   * that a write acknowledged in write-back is certainly not on the backend when the runner reads
   * it right after the acknowledgement (cache probe, SRV-6, SRV-13). Default 3000.
   */
  readonly destageDelayMs?: number;
  /** Mirror link heartbeat interval (MIR-2 failure detection). Default 50. */
  readonly heartbeatMs?: number;
  /** A mirror partner silent this long is lost (MIR-2). Default 500. */
  readonly deadAfterMs?: number;
  /** Start the engine's processes from the TypeScript sources (tsx) instead of bundles: slow, for debugging. Default false. */
  readonly fromSources?: boolean;
  /** Background recovery throttle in MiB/s, 0 for unthrottled (MIR-7): a slow recovery keeps its window open for host writes. Default 0. */
  readonly recoveryMiBPerSecond?: number;
  /**
   * Power-loss mode of the backends (docs/engine.md, "Testing the tests"): writes a backend has not
   * synced are lost by a crash, a power failure or a site crash, as on real hardware, instead of
   * being kept by the kernel. The runner needs it on every path with a crash or power event; the
   * adapter cannot see the path at open(), so it is on for every path. Default true.
   */
  readonly powerLoss?: boolean;
  /**
   * Fault switches to turn on in every engine process (engine/faults.ts): test-only, refused with
   * ENGINE_FAULTS_DISABLED unless SANSPEC_ALLOW_FAULTS=1 is set in this process's environment.
   * Default none.
   */
  readonly faults?: readonly FaultSwitch[];
}

/** The options with every default filled in. */
export type EngineSettings = Required<EngineAdapterOptions>;

/** The defaults of `EngineAdapterOptions`. */
export const engineDefaults: EngineSettings = {
  backend: 'file',
  diskSizeMiB: 16,
  cacheSizeMiB: 32,
  destageDelayMs: 3000,
  heartbeatMs: 50,
  deadAfterMs: 500,
  fromSources: false,
  recoveryMiBPerSecond: 0,
  powerLoss: true,
  faults: [],
};
