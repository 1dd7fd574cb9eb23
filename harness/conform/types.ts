// Contracts of the conformance runner: what it checks at each step of a path against a system
// under test, and the report it writes. A failure carries its evidence: the path as numbered steps,
// the step it broke at, the SPEC ID, and the expected and observed status (as a diff) or the
// offending block with the value read, the values allowed and the history entries behind them.

import type { Adapter } from '../../adapters/types.js';
import type { GroupModel } from '../../models/group.js';
import type { GroupStatus } from '../../models/types.js';
import type { Plan, PlanPath } from '../plan/types.js';
import type { HistoryEntry } from '../workload/types.js';

/** One difference between the predicted and the reported status, named by what it is about. */
export interface StatusDifference {
  /** Where, with names instead of indices, e.g. `virtualDisks[m1].copies[s2].dataStatus`. */
  readonly field: string;
  /** The model's prediction (one of them, when several states were possible). */
  readonly expected: unknown;
  /** What the system reported. */
  readonly observed: unknown;
}

/** A byte-level finding: a block read back wrong, or copies that differ. */
export interface DataFinding {
  /** The virtual disk. */
  readonly vdisk: string;
  /** The block (index in blocks of the path's block size). */
  readonly block: number;
  /** What was found, for humans (`write 41`, `zeros`, `torn: ...`). */
  readonly found: string;
  /** Values that would have been allowed (`write 40`, `zeros`). */
  readonly allowed: readonly string[];
  /** The history entries involved: the read, the writes to the block, the flushes behind durability. */
  readonly evidence: readonly HistoryEntry[];
}

/** Why a path failed. */
export interface PathFailure {
  /** The SPEC ID broken: `CF-1` (status), `SRV-12` (refusal), `DS-1`..`DS-8` (data), `VD-1`, `MIR-2`, `PTH-3`, `SRV-6` (probes). */
  readonly rule: string;
  /** Index of the step (0-based) after which it was seen; -1 for the initial state, `steps.length` for the final checks. */
  readonly step: number;
  /** One or two sentences: what was expected, what happened. */
  readonly message: string;
  /** A stable code when the failure is an error rather than a broken rule (SANSPEC_BAD_STATUS, SANSPEC_ADAPTER_FAILED). */
  readonly code?: string;
  /** Status differences (CF-1). */
  readonly diff?: readonly StatusDifference[];
  /** The status predicted and observed (CF-1), in full. */
  readonly expected?: GroupStatus;
  readonly observed?: GroupStatus;
  /** Byte-level evidence (DS-*). */
  readonly data?: readonly DataFinding[];
}

/** What happened at one step. */
export interface StepRecord {
  /** The step's label as an operator would type it (`stop s1`, `write m1`). */
  readonly label: string;
  /** accepted, or refused with the code (both the model's and the system's when they differ). */
  readonly result: 'accepted' | { readonly refused: string };
  /** Time from the action until the status matched the prediction, in ms. */
  readonly settleMs: number;
  /** Host operations performed after the step (reads, writes, flushes, probes). */
  readonly ioOps: number;
  /** The status the system settled in, on one line (as `sanspec check` prints it). */
  readonly status?: string;
}

/** The outcome of one path. */
export interface PathResult {
  readonly id: string;
  readonly spec: readonly string[];
  readonly outcome: 'passed' | 'failed' | 'notApplicable';
  /** Why the path is not applicable: the capability it needs and the adapter's reason. */
  readonly reason?: string;
  readonly failure?: PathFailure;
  /** Steps performed (up to the failure). */
  readonly steps: readonly StepRecord[];
  /** The path as planned. */
  readonly path: PlanPath;
  /** Wall time in ms. */
  readonly durationMs: number;
  /** The path's log (adapter lines, settle waits), kept for failing paths. */
  readonly log?: readonly string[];
  /** Failing paths: the last host operations on each disk, for the failure report. */
  readonly history?: readonly HistoryExcerpt[];
  /** Failing paths, unless minimization is off: the smallest path found that fails the same way (minimize.ts). */
  readonly minimized?: Minimization;
  /** Failing paths, when the run saved them: the file holding the path to replay (the minimized one if any) and the command. */
  readonly replay?: ReplayFile;
}

/** How often a minimized path failed again when re-run on fresh systems. */
export interface Reproduction {
  /** Re-runs of the final path. */
  readonly runs: number;
  /** Re-runs that failed the same way. */
  readonly failures: number;
  /** Every re-run failed: deterministic; some: timing-dependent; none: not reproduced; no re-run asked: unchecked. */
  readonly verdict: 'deterministic' | 'timing-dependent' | 'not-reproduced' | 'unchecked';
}

/** A failing path minimized: model-guided shortcuts or the shortest failing prefix, then steps the failure does not need removed (delta debugging). */
export interface Minimization {
  /** The minimized path, a self-contained plan path (its ID comes from its steps, `min-<hash>`). */
  readonly path: PlanPath;
  /** Its failure, on the run that showed it (the same SPEC ID and code as the original failure). */
  readonly failure: PathFailure;
  /** The steps of that run. */
  readonly steps: readonly StepRecord[];
  /** Steps of the original failing path. */
  readonly originalLength: number;
  /** Steps of the path delta debugging started from: the shortest failing prefix, or a shorter model-guided shortcut of it that failed the same way. */
  readonly prefixLength: number;
  /** Candidate paths run on fresh systems (the reproduction runs not counted). */
  readonly candidateRuns: number;
  /** Candidates skipped because the model refuses a step there that the original path did not refuse. */
  readonly invalidCandidates: number;
  /** Time spent finding it, in ms (reproduction not counted). */
  readonly durationMs: number;
  /** The time budget ran out: the path is smaller, but maybe not minimal. */
  readonly budgetExhausted: boolean;
  readonly reproduction: Reproduction;
}

/** A saved path to replay: `sanspec run --replay FILE [--adapter ...]`. */
export interface ReplayFile {
  /** The plan file holding the one path (criterion `replay`, the run's topology and seed). */
  readonly file: string;
  /** The command line that replays it against the same adapter. */
  readonly command: string;
}

/** Options of minimization (`--no-minimize`, `--reproduce N`, `--minimize-budget S`). */
export interface MinimizeOptions {
  /** Re-runs of the final path that tell a deterministic failure from a timing-dependent one (default 3). */
  readonly reproduce?: number;
  /** Time for prefix search and delta debugging together, in ms (default 120000); the best path so far is kept when it runs out. */
  readonly budgetMs?: number;
  /** Settle timeout of candidate runs, in ms (default: five times the slowest settle of the failing path, 2 s at least, the run's at most). */
  readonly settleTimeoutMs?: number;
}

/** The last host operations on one disk of a path. */
export interface HistoryExcerpt {
  readonly vdisk: string;
  /** Operations recorded on the disk in all (the excerpt holds the last ones). */
  readonly total: number;
  readonly entries: readonly HistoryEntry[];
}

/** Per SPEC ID: how many paths exercised it and how they ended. */
export interface SpecSummary {
  readonly spec: string;
  readonly paths: number;
  readonly passed: number;
  readonly failed: number;
  readonly notApplicable: number;
}

/** The report of a run (`--report DIR` writes it as report.json, with a published schema). */
export interface RunReport {
  readonly version: 1;
  /** Adapter name. */
  readonly adapter: string;
  /** Topology name. */
  readonly topology: string;
  /** Plan criterion and shard. */
  readonly criterion: string;
  readonly shard: Plan['shard'];
  readonly seed: number;
  /** ISO time the run started. */
  readonly startedAt: string;
  readonly durationMs: number;
  /** The run was interrupted (SIGINT): paths not started are missing, every system opened was closed. */
  readonly interrupted?: boolean;
  readonly paths: readonly PathResult[];
  readonly summary: readonly SpecSummary[];
  /** Totals. */
  readonly totals: {
    readonly paths: number;
    readonly passed: number;
    readonly failed: number;
    readonly notApplicable: number;
    readonly steps: number;
  };
}

/** Options of a run. */
export interface RunOptions {
  readonly adapter: Adapter;
  readonly plan: Plan;
  /** Paths run concurrently, each on its own system (default: the number of cores). */
  readonly jobs?: number;
  /** Longest wait for the status to match the prediction after a step, in ms. */
  readonly settleTimeoutMs?: number;
  /** Host I/O timeout per request, in ms: I/O to a disabled disk must fail within it. */
  readonly ioTimeoutMs?: number;
  /** Aborts the run: paths in progress are closed, nothing is left behind. */
  readonly signal?: AbortSignal;
  /** Progress: called after every step and every path. */
  readonly onProgress?: (p: RunProgress) => void;
  /** The model whose prediction is checked (default: `createGroupModel(plan.topology)`); tests pass deliberately broken ones. */
  readonly model?: GroupModel;
  /** How often the status is polled while settling, in ms (default 20). */
  readonly settlePollMs?: number;
  /** How long a multipath device keeps retrying across paths (MIR-2), in ms (default 3000). */
  readonly retryForMs?: number;
  /** Directory the paths' work directories are created in (default: the system's temp dir). */
  readonly workRoot?: string;
  /** Bytes per block of host I/O (default 4096). */
  readonly blockSize?: number;
  /** Blocks of each disk the path writes and reads back at the end (default 256: 1 MiB of 4 KiB blocks; fewer if the disk is smaller). */
  readonly maxBlocks?: number;
  /** Minimize every failing path (default: off when not given; `sanspec run` turns it on unless --no-minimize). */
  readonly minimize?: MinimizeOptions;
  /** Called when a path starts, when its failure starts being minimized (with the failed result), and when it ends. */
  readonly onPath?: (e: { readonly id: string; readonly phase: 'start' | 'minimize' | 'end'; readonly result?: PathResult }) => void;
}

/** Progress of a run. */
export interface RunProgress {
  readonly pathsDone: number;
  readonly pathsTotal: number;
  readonly stepsDone: number;
  readonly failures: number;
  readonly elapsedMs: number;
}
