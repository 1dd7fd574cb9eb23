// What every check of a path shares: the system under test, the prediction, the disks' histories,
// the devices, the settings, and where the path is.

import type { Capabilities, SystemUnderTest } from '../../adapters/types.js';
import type { GroupState } from '../../models/group.js';
import type { Topology } from '../../models/types.js';
import type { PlanPath } from '../plan/types.js';
import type { DevicePool } from './device-pool.js';
import type { DiskHistory } from './disk-history.js';
import type { Predictor } from './predictor.js';
import { mulberry32 } from '../random.js';

/** The run's settings, resolved to numbers. */
export interface RunSettings {
  readonly settleTimeoutMs: number;
  readonly settlePollMs: number;
  /** Per request (and connect) timeout of host devices. */
  readonly ioTimeoutMs: number;
  /** How long multipath devices retry across paths. */
  readonly retryForMs: number;
  /** Longest wait for any host operation, after which it counts as hung. */
  readonly opDeadlineMs: number;
  readonly blockSize: number;
  readonly maxBlocks: number;
}

/** One path in progress. */
export interface PathRuntime {
  readonly path: PlanPath;
  readonly sut: SystemUnderTest;
  readonly topology: Topology;
  readonly capabilities: Capabilities;
  readonly predictor: Predictor;
  readonly settings: RunSettings;
  /** Histories per virtual disk (host I/O adapters only; created when a disk's size is first known). */
  readonly histories: Map<string, DiskHistory>;
  readonly devices: DevicePool;
  /** Seeded by the plan seed and the path id: block choices replay identically. */
  readonly random: () => number;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  /** The step in progress (-1: the initial state; steps.length: the final checks). */
  step: number;
  /** Host operations in the step so far. */
  ioOps: number;
  /** The candidates: model states the system may be in now. */
  states: readonly GroupState[];
}

/** mulberry32 seeded by a string: a small deterministic generator (0 <= x < 1). */
export function seededRandom(seed: string): () => number {
  let a = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) a = Math.imul(a ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  return mulberry32(a);
}
