// `sanspec run` as a programmatic function (the CLI is a thin shell over it): resolves the
// adapter and the plan from options as typed on the command line, runs the plan with progress on
// stderr, prints the summary per SPEC ID and every failure, and writes the report files. A failing
// path is minimized (minimize.ts; --no-minimize, --reproduce N, --minimize-budget S) and saved as a
// replay file, a plan of that one path, with the command that replays it (`--replay FILE`).
// Exit codes: 0 every path passed (or was not applicable), 1 some path failed, 2 bad usage,
// 130 interrupted (SIGINT or SIGTERM; every system opened was closed, SANSPEC_INTERRUPTED).

import '../../adapters/builtin.js';
import { resolveAdapter } from '../../adapters/registry.js';
import type { Adapter } from '../../adapters/types.js';
import { codes, isCode } from '../../contracts/codes.js';
import type { GroupModel } from '../../models/group.js';
import type { Topology } from '../../models/types.js';
import { createPlan, DEFAULT_SEED, DEFAULT_TOPOLOGY, loadPlan, parseShard, resolveTopology } from '../plan/index.js';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { savePlan } from '../plan/plan-file.js';
import type { Plan, PlanPath } from '../plan/types.js';
import { formatFailure } from './format-failure.js';
import { formatSummary } from './format-summary.js';
import { createProgress, type ProgressStream } from './progress.js';
import { runPlan } from './run-plan.js';
import { shardPlan } from './shard-plan.js';
import type { MinimizeOptions, PathResult, RunOptions, RunReport } from './types.js';
import { failureFileName, writeReport } from './write-report.js';

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
  /** `--replay FILE`: run the path(s) of a saved replay file (a plan file; written by a failing run) as they are, without minimizing. */
  readonly replay?: string;
  /** `--path ID`: run only this path of the plan (a random walk of `--criterion random:N --seed S`, a plan file's path). */
  readonly path?: string;
  /** Minimize failing paths (default true; `--no-minimize` turns it off). */
  readonly minimize?: boolean;
  /** `--reproduce N`: re-runs of a minimized path that tell deterministic from timing-dependent (default 3; 0 skips them). */
  readonly reproduce?: string | number;
  /** `--minimize-budget S`: seconds each failing path may spend minimizing (default 120). */
  readonly minimizeBudget?: string | number;
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
  readonly run?: Partial<Omit<RunOptions, 'adapter' | 'plan' | 'model' | 'signal' | 'onProgress' | 'minimize'>>;
  /** Where replay files go without `--report` (default: a new `sanspec-replay-*` directory in the system's temp dir). */
  readonly replayDir?: string;
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

const positiveInt = (name: string, value: string | number, least = 1): number => {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < least)
    throw new RunUsageError(`--${name} must be ${least === 0 ? 'a non-negative' : 'a positive'} integer (got ${JSON.stringify(value)})`);
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
    if (options.reproduce !== undefined) positiveInt('reproduce', options.reproduce, 0);
    if (options.minimizeBudget !== undefined) positiveInt('minimize-budget', options.minimizeBudget);
    const file = options.replay ?? options.plan;
    if (options.replay !== undefined && options.plan !== undefined) throw new RunUsageError('--replay and --plan exclude each other');
    if (file !== undefined) {
      const flag = options.replay !== undefined ? '--replay' : '--plan';
      if (options.criterion !== undefined)
        throw new RunUsageError(`${flag} and --criterion exclude each other: the file has its criterion`);
      plan = loadPlan(file);
      if (options.topology !== undefined && options.topology !== plan.topology.name) {
        throw new RunUsageError(`--topology ${options.topology} does not match the ${flag} file's topology ${plan.topology.name}`);
      }
      if (shard) plan = shardPlan(plan, shard);
    } else {
      const topology = resolveTopology(options.topology ?? DEFAULT_TOPOLOGY);
      plan = await (env.createPlan ?? createPlan)(topology, options.criterion ?? 'components', { seed, ...(shard ? { shard } : {}) });
    }
    if (options.path !== undefined) plan = onlyPath(plan, options.path);
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
  // A replay is run as saved: it is minimized already, or was written by hand on purpose.
  const minimize: MinimizeOptions | null =
    options.minimize === false || options.replay !== undefined
      ? null
      : {
          ...(options.reproduce !== undefined ? { reproduce: positiveInt('reproduce', options.reproduce, 0) } : {}),
          ...(options.minimizeBudget !== undefined ? { budgetMs: positiveInt('minimize-budget', options.minimizeBudget) * 1000 } : {}),
        };
  let report: Awaited<ReturnType<typeof runPlan>>;
  try {
    report = await runPlan({
      ...env.run,
      adapter,
      plan,
      ...(env.model ? { model: env.model(plan.topology) } : {}),
      ...(options.jobs !== undefined ? { jobs: positiveInt('jobs', options.jobs) } : {}),
      ...(minimize ? { minimize } : {}),
      signal: controller.signal,
      onProgress: (p) => progress?.update(p),
      onPath: (e) => {
        if (e.phase !== 'minimize' || options.json || !e.result?.failure) return;
        const f = e.result.failure;
        stderr.write(`${e.id} failed ${f.rule} after ${e.result.steps.length} of ${e.result.path.steps.length} step(s); minimizing it\n`);
      },
    });
  } finally {
    progress?.stop();
    env.signal?.removeEventListener('abort', interrupt);
    if (handleSignals) {
      process.removeListener('SIGINT', interrupt);
      process.removeListener('SIGTERM', interrupt);
    }
  }

  if (report.totals.failed > 0) report = await saveReplays(report, plan, options, env);
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

/** The plan with only the path `id`; USAGE_BAD_ARGUMENT naming a few of the IDs there are when it has none. */
function onlyPath(plan: Plan, id: string): Plan {
  const paths = plan.paths.filter((p) => p.id === id);
  if (paths.length === 0) {
    const some = plan.paths.slice(0, 5).map((p) => p.id);
    throw new RunUsageError(
      `--path ${id}: the plan has no such path (${plan.paths.length} path(s)${some.length > 0 ? `, e.g. ${some.join(', ')}` : ''}); the same criterion, topology and seed give the same IDs`,
    );
  }
  return { ...plan, paths };
}

/** A word of a command line, quoted for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Where a failure was seen, in words. */
function failurePlace(step: number, steps: number): string {
  if (step < 0) return 'in the initial state';
  return step >= steps ? 'in the final checks' : `at step ${step + 1}`;
}

/** The command that replays `file` against the adapter of this run. */
export function replayCommand(file: string, options: Pick<RunCommandOptions, 'adapter' | 'adapterConfig' | 'backend'>): string {
  const words = ['sanspec', 'run', '--replay', file, '--adapter', options.adapter ?? 'engine'];
  if (options.adapterConfig !== undefined) words.push('--adapter-config', options.adapterConfig);
  if (options.backend !== undefined && options.backend !== 'file') words.push('--backend', options.backend);
  return words.map(shellWord).join(' ');
}

/** A plan file of one path to replay: the run's topology and seed (block choices replay the same), criterion `replay`. */
export function replayPlan(plan: Plan, path: PlanPath): Plan {
  return {
    version: 1,
    topology: plan.topology,
    criterion: 'replay',
    seed: plan.seed,
    shard: null,
    coverage: { unit: 'replayed paths', goal: 1, covered: 1, uncovered: [] },
    paths: [path],
  };
}

/**
 * Saves each failing path (its minimized path when there is one) as a replay file, into the report's
 * failures/ directory, or `env.replayDir`, or a new temporary directory; a replay run names its own
 * file. Returns the report with each failure's replay file and command.
 */
async function saveReplays(report: RunReport, plan: Plan, options: RunCommandOptions, env: RunCommandEnvironment): Promise<RunReport> {
  let dir: string | undefined;
  const directory = async () => {
    if (dir === undefined) {
      dir =
        options.report !== undefined
          ? join(options.report, 'failures')
          : (env.replayDir ?? (await mkdtemp(join(tmpdir(), 'sanspec-replay-'))));
      await mkdir(dir, { recursive: true });
    }
    return dir;
  };
  const paths: PathResult[] = [];
  for (const p of report.paths) {
    if (p.outcome !== 'failed') {
      paths.push(p);
      continue;
    }
    let file = options.replay;
    if (file === undefined) {
      file = join(await directory(), failureFileName(p.id).replace(/\.txt$/, '.replay.json'));
      const path = p.minimized?.path ?? p.path;
      const f = p.minimized?.failure ?? p.failure;
      // Whoever opens the file sees what it showed, and on what.
      const showed = f
        ? [`failed ${f.rule}${f.code ? ` ${f.code}` : ''} ${failurePlace(f.step, path.steps.length)} on adapter ${report.adapter}`]
        : [];
      savePlan(file, replayPlan(plan, { ...path, covers: [...path.covers, ...showed] }));
    }
    paths.push({ ...p, replay: { file, command: replayCommand(file, options) } });
  }
  return { ...report, paths };
}
