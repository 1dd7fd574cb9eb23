// `sanspec run` as a programmatic function (the CLI is a thin shell over it): resolves the
// adapter and the plan from options as typed on the command line, runs the plan with progress on
// stderr, prints the summary per SPEC ID and every failure, and writes the report files.
// Exit codes: 0 every path passed (or was not applicable), 1 some path failed, 2 bad usage,
// 130 interrupted (SIGINT or SIGTERM; every system opened was closed, SANSPEC_INTERRUPTED).

import '../../adapters/builtin.js';
import { resolveAdapter } from '../../adapters/registry.js';
import type { Adapter } from '../../adapters/types.js';
import { codes, isCode } from '../../contracts/codes.js';
import type { GroupModel } from '../../models/group.js';
import type { Topology } from '../../models/types.js';
import { createPlan, DEFAULT_SEED, DEFAULT_TOPOLOGY, loadPlan, parseShard, resolveTopology } from '../plan/index.js';
import type { Plan } from '../plan/types.js';
import { formatFailure } from './format-failure.js';
import { formatSummary } from './format-summary.js';
import { createProgress, type ProgressStream } from './progress.js';
import { runPlan } from './run-plan.js';
import { shardPlan } from './shard-plan.js';
import type { RunOptions } from './types.js';
import { writeReport } from './write-report.js';

/** Options as `sanspec run` takes them (strings from the command line, or typed values). */
export interface RunCommandOptions {
  /** `--adapter engine|command|model` (default engine). */
  readonly adapter?: string;
  /** `--adapter-config FILE`. */
  readonly adapterConfig?: string;
  /** `--backend file|loop` (default file), passed to the adapter factory. */
  readonly backend?: string;
  /** `--criterion C` (default components). */
  readonly criterion?: string;
  /** `--topology NAME|FILE` (default conformance). */
  readonly topology?: string;
  /** `--shard I/N`. */
  readonly shard?: string;
  /** `--jobs N` (default: the number of cores). */
  readonly jobs?: string | number;
  /** `--seed S` (default 1), for planning. */
  readonly seed?: string | number;
  /** `--plan FILE`: run a plan file instead of planning. */
  readonly plan?: string;
  /** `--report DIR`. */
  readonly report?: string;
  /** `--json`: print the report as JSON instead of the summary. */
  readonly json?: boolean;
}

/** Makes a plan: harness/plan's `createPlan`, or a stand-in (tests). */
export type CreatePlan = (
  topology: Topology,
  criterion: string,
  options: { seed: number; shard?: { index: number; count: number } },
) => Plan | Promise<Plan>;

/** Where `runCommand` writes and what it may be handed instead of the defaults (tests). */
export interface RunCommandEnvironment {
  readonly stdout?: ProgressStream;
  readonly stderr?: ProgressStream;
  /** Aborts the run like SIGINT. */
  readonly signal?: AbortSignal;
  /** Abort on SIGINT and SIGTERM (default true). */
  readonly handleSignals?: boolean;
  /** The planner (default: harness/plan createPlan; tests pass small hand-made plans). */
  readonly createPlan?: CreatePlan;
  /** The model whose predictions are checked (default: the real one); tests pass deliberately broken models. */
  readonly model?: (topology: Topology) => GroupModel;
  /** Throw usage problems (coded errors) instead of printing them and returning 2: the CLI prints them its way. */
  readonly rethrowUsage?: boolean;
  /** Run settings (timeouts, work directory root). */
  readonly run?: Partial<Omit<RunOptions, 'adapter' | 'plan' | 'model' | 'signal' | 'onProgress'>>;
}

/** A command line that cannot run as given (exit code 2). */
export class RunUsageError extends Error {
  constructor(
    message: string,
    readonly code: string = 'USAGE_BAD_ARGUMENT',
  ) {
    super(message);
    this.name = 'RunUsageError';
  }
}

const positiveInt = (name: string, value: string | number): number => {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new RunUsageError(`--${name} must be a positive integer (got ${JSON.stringify(value)})`);
  return n;
};

/** Whether an error is one the user caused (a usage, plan, topology or adapter configuration problem): exit code 2. */
function isUsageProblem(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  if (error instanceof RunUsageError) return true;
  if (['SANSPEC_BAD_PLAN', 'SANSPEC_BAD_TOPOLOGY', 'SANSPEC_BAD_ADAPTER_CONFIG', 'SANSPEC_BAD_EVENT'].includes(code)) return true;
  return isCode(code) && codes[code].kind === 'usage';
}

/** Runs `sanspec run`; resolves to the exit code. */
export async function runCommand(options: RunCommandOptions, env: RunCommandEnvironment = {}): Promise<number> {
  const stdout = env.stdout ?? process.stdout;
  const stderr = env.stderr ?? process.stderr;
  let adapter: Adapter;
  let plan: Plan;
  try {
    const backend = options.backend ?? 'file';
    if (backend !== 'file' && backend !== 'loop')
      throw new RunUsageError(`--backend must be file or loop (got ${JSON.stringify(backend)})`);
    const shard = options.shard !== undefined ? parseShard(options.shard) : undefined;
    const seed = options.seed === undefined ? DEFAULT_SEED : Number(options.seed);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new RunUsageError(`--seed must be an integer from 0 to 4294967295 (got ${JSON.stringify(options.seed)})`);
    }
    if (options.jobs !== undefined) positiveInt('jobs', options.jobs);
    if (options.plan !== undefined) {
      if (options.criterion !== undefined)
        throw new RunUsageError('--plan and --criterion exclude each other: the plan file has its criterion');
      plan = loadPlan(options.plan);
      if (options.topology !== undefined && options.topology !== plan.topology.name) {
        throw new RunUsageError(`--topology ${options.topology} does not match the plan file's topology ${plan.topology.name}`);
      }
      if (shard) plan = shardPlan(plan, shard);
    } else {
      const topology = resolveTopology(options.topology ?? DEFAULT_TOPOLOGY);
      plan = await (env.createPlan ?? createPlan)(topology, options.criterion ?? 'components', { seed, ...(shard ? { shard } : {}) });
    }
    adapter = await resolveAdapter(options.adapter ?? 'engine', {
      ...(options.adapterConfig !== undefined ? { configPath: options.adapterConfig } : {}),
      backend,
    });
  } catch (error) {
    if (!isUsageProblem(error) || env.rethrowUsage) throw error;
    stderr.write(`sanspec run: ${error.code}: ${error.message}\n`);
    return 2;
  }

  const controller = new AbortController();
  const interrupt = () => controller.abort();
  if (env.signal?.aborted) controller.abort();
  env.signal?.addEventListener('abort', interrupt, { once: true });
  const handleSignals = env.handleSignals !== false;
  if (handleSignals) {
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
  }
  const progress = options.json ? null : createProgress(stderr, plan.paths.length);
  let report: Awaited<ReturnType<typeof runPlan>>;
  try {
    report = await runPlan({
      ...env.run,
      adapter,
      plan,
      ...(env.model ? { model: env.model(plan.topology) } : {}),
      ...(options.jobs !== undefined ? { jobs: positiveInt('jobs', options.jobs) } : {}),
      signal: controller.signal,
      onProgress: (p) => progress?.update(p),
    });
  } finally {
    progress?.stop();
    env.signal?.removeEventListener('abort', interrupt);
    if (handleSignals) {
      process.removeListener('SIGINT', interrupt);
      process.removeListener('SIGTERM', interrupt);
    }
  }

  if (options.report !== undefined) await writeReport(options.report, report, plan);
  if (options.json) {
    stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    stdout.write(`${formatSummary(report)}\n`);
    for (const p of report.paths) if (p.outcome === 'failed') stdout.write(`\n${formatFailure(p)}\n`);
    if (options.report !== undefined) stdout.write(`\nreport written to ${options.report}\n`);
  }
  if (report.interrupted) {
    stderr.write(
      `sanspec run: SANSPEC_INTERRUPTED: the run was interrupted after ${report.totals.paths} of ${plan.paths.length} path(s); every system it opened was closed\n`,
    );
    return 130;
  }
  return report.totals.failed > 0 ? 1 : 0;
}
