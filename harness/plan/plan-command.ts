// `sanspec plan`: plans paths through the model and prints a summary, writes the plan (--out), or
// prints it as JSON (--json). A programmatic command with typed options, declared as data, for
// the CLI to wire in; it throws PlanError with a USAGE_* code for options that cannot run.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { namedTopologies, TopologyError, assertTopology } from '../../models/topology.js';
import type { Topology } from '../../models/types.js';
import { DEFAULT_MAX_PATH_LENGTH, DEFAULT_SEED, createPlan } from './create-plan.js';
import { criterionHelp, parseCriterion } from './criterion.js';
import { savePlan } from './plan-file.js';
import { PlanError } from './plan-error.js';
import { sortSpecIds } from './spec-ids.js';
import type { Plan, PlanCoverage } from './types.js';

/** Options of `sanspec plan`, as the command line gives them. */
export interface PlanCommandOptions {
  /** `components` (default), `states`, `transitions`, `transition-pairs`, `depth:K`, `random:N`. */
  readonly criterion?: string;
  /** A named topology (default `conformance`) or a JSON file. */
  readonly topology?: string;
  /** `I/N`: keep shard I of N (1-based). */
  readonly shard?: string;
  /** Write the plan to this file instead of printing it. */
  readonly out?: string;
  /** Seed of random walks and tie-breaking (default 1). */
  readonly seed?: number | string;
  /** Steps before the heal suffix a path aims not to exceed (default 25). */
  readonly maxPathLength?: number | string;
  /** Print JSON: the plan, or with --out the summary. */
  readonly json?: boolean;
}

/** Where the command prints. */
export interface CommandOutput {
  write(text: string): unknown;
}

/** The summary printed after planning. */
export interface PlanSummary {
  readonly criterion: string;
  readonly topology: string;
  readonly seed: number;
  readonly shard: Plan['shard'];
  readonly paths: number;
  readonly steps: number;
  /** Steps of the heal suffixes. */
  readonly healSteps: number;
  readonly meanPathLength: number;
  readonly longestPath: number;
  readonly coverage: PlanCoverage;
  /** Paths exercising each SPEC ID, in catalogue order. */
  readonly spec: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  /** The file written, if any. */
  readonly out?: string;
}

/** The topology a run uses when none is given: SPEC's default with UPS on both servers. */
export const DEFAULT_TOPOLOGY = 'conformance';

export const planCommand = {
  name: 'plan',
  summary:
    'Plans test paths through the model of a server group: each path starts from a fresh group, takes the steps, and ends healed so every block can be read back. Prints a summary, or writes the plan as JSON for `sanspec run`.',
  usage: 'sanspec plan [--criterion C] [--topology NAME|FILE] [--shard I/N] [--seed S] [--max-path-length N] [--out FILE] [--json]',
  examples: [
    { command: 'sanspec plan', description: 'the default plan (components) of the conformance topology, summarized' },
    { command: 'sanspec plan --out plan.json', description: 'write it for `sanspec run --plan plan.json`' },
    {
      command: 'sanspec plan --criterion transitions --topology default --shard 3/8 --out shard-3.json',
      description: 'shard 3 of 8 of every composed transition',
    },
    { command: 'sanspec plan --criterion random:50 --seed 7 --json', description: '50 random walks from seed 7, printed as JSON' },
    { command: 'sanspec plan --criterion depth:2 --topology ups', description: 'every sequence of two events on the UPS topology' },
  ],
  options: {
    criterion: {
      type: 'string',
      value: 'C',
      description: `what to cover: ${Object.entries(criterionHelp)
        .map(([k, v]) => `${k} (${v})`)
        .join('; ')}`,
      default: 'components',
    },
    topology: {
      type: 'string',
      value: 'NAME|FILE',
      description: `topology: ${Object.keys(namedTopologies).join(', ')}, or a JSON file`,
      default: DEFAULT_TOPOLOGY,
    },
    shard: { type: 'string', value: 'I/N', description: 'keep shard I of N: paths dealt round-robin; coverage stays the whole plan' },
    seed: { type: 'string', value: 'S', description: 'seed of random walks and tie-breaking (an integer)', default: String(DEFAULT_SEED) },
    maxPathLength: {
      type: 'string',
      value: 'N',
      flag: 'max-path-length',
      description: 'steps before the heal suffix a path aims not to exceed',
      default: String(DEFAULT_MAX_PATH_LENGTH),
    },
    out: { type: 'string', value: 'FILE', description: 'write the plan to FILE (JSON) and print the summary' },
    json: { type: 'boolean', description: 'print JSON: the plan, or with --out the summary' },
  },
  /** Plans and prints; returns the exit code (0). Throws PlanError (USAGE_*) for bad options. */
  async run(options: PlanCommandOptions, output: CommandOutput = process.stdout): Promise<number> {
    const started = performance.now();
    const criterion = parseCriterion(options.criterion ?? 'components');
    const topology = resolveTopology(options.topology ?? DEFAULT_TOPOLOGY);
    // Before planning, which may take minutes: a plan that cannot be written is not worth making.
    if (options.out && !existsSync(dirname(resolve(options.out)))) {
      throw new PlanError('USAGE_BAD_ARGUMENT', `cannot write the plan to ${options.out}: its directory does not exist`, {
        out: options.out,
      });
    }
    const plan = createPlan(topology, criterion, {
      seed: options.seed === undefined ? DEFAULT_SEED : parseInteger('seed', options.seed, 0, 0xffffffff),
      shard: options.shard === undefined ? null : parseShard(options.shard),
      maxPathLength:
        options.maxPathLength === undefined ? DEFAULT_MAX_PATH_LENGTH : parseInteger('max-path-length', options.maxPathLength, 1, 10_000),
    });
    if (options.out) {
      try {
        savePlan(options.out, plan);
      } catch (error) {
        throw new PlanError(
          'USAGE_BAD_ARGUMENT',
          `cannot write the plan to ${options.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
          {
            out: options.out,
          },
        );
      }
    }
    const summary = summarizePlan(plan, performance.now() - started, options.out);
    if (options.json) output.write(`${JSON.stringify(options.out ? summary : plan, null, 2)}\n`);
    else output.write(`${formatSummary(summary)}\n`);
    return 0;
  },
} as const;

/** A named topology or a topology JSON file, checked. */
export function resolveTopology(nameOrFile: string): Topology {
  const named = namedTopologies[nameOrFile];
  if (named) return named();
  if (!nameOrFile.endsWith('.json')) {
    throw new PlanError(
      'USAGE_BAD_ARGUMENT',
      `unknown topology ${JSON.stringify(nameOrFile)}: use one of ${Object.keys(namedTopologies).join(', ')}, or a .json file`,
      { topology: nameOrFile },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(nameOrFile, 'utf8'));
  } catch (error) {
    throw new PlanError(
      'USAGE_BAD_ARGUMENT',
      `cannot read topology file ${nameOrFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {
        topology: nameOrFile,
      },
    );
  }
  try {
    return assertTopology(value as Topology);
  } catch (error) {
    if (error instanceof TopologyError) {
      throw new PlanError('USAGE_BAD_ARGUMENT', `topology file ${nameOrFile}: ${error.message}`, {
        topology: nameOrFile,
        problems: error.problems,
      });
    }
    throw error;
  }
}

/** `I/N` with 1 <= I <= N. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || index < 1 || count < 1 || index > count) {
    throw new PlanError('USAGE_BAD_ARGUMENT', `bad shard ${JSON.stringify(text)}: use I/N with 1 <= I <= N, e.g. 2/8`, { shard: text });
  }
  return { index, count };
}

function parseInteger(name: string, value: number | string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new PlanError('USAGE_BAD_ARGUMENT', `bad --${name} ${JSON.stringify(value)}: use an integer from ${min} to ${max}`, {
      [name]: value,
    });
  }
  return n;
}

/** Counts of a plan, for the summary. */
export function summarizePlan(plan: Plan, elapsedMs: number, out?: string): PlanSummary {
  const lengths = plan.paths.map((p) => p.steps.length);
  const steps = lengths.reduce((a, b) => a + b, 0);
  const counts = new Map<string, number>();
  for (const p of plan.paths) for (const id of p.spec) counts.set(id, (counts.get(id) ?? 0) + 1);
  return {
    criterion: plan.criterion,
    topology: plan.topology.name,
    seed: plan.seed,
    shard: plan.shard,
    paths: plan.paths.length,
    steps,
    healSteps: plan.paths.reduce((n, p) => n + p.steps.filter((s) => s.note === 'heal').length, 0),
    meanPathLength: plan.paths.length === 0 ? 0 : Math.round((steps / plan.paths.length) * 10) / 10,
    longestPath: lengths.reduce((a, b) => Math.max(a, b), 0), // not Math.max(...): big plans have more paths than stack
    coverage: plan.coverage,
    spec: Object.fromEntries(sortSpecIds(counts.keys()).map((id) => [id, counts.get(id)!])),
    elapsedMs: Math.round(elapsedMs),
    ...(out ? { out } : {}),
  };
}

/** The summary for a terminal. */
export function formatSummary(s: PlanSummary): string {
  const c = s.coverage;
  const lines = [
    `plan ${s.criterion} on topology ${s.topology}, seed ${s.seed}${s.shard ? `, shard ${s.shard.index}/${s.shard.count}` : ''}`,
    `  paths      ${s.paths}`,
    `  steps      ${s.steps} (mean ${s.meanPathLength} per path, longest ${s.longestPath}; ${s.healSteps} in heal suffixes)`,
    `  coverage   ${c.covered} of ${c.goal} ${c.unit}${s.shard ? ' (whole plan)' : ''}`,
    ...c.uncovered.map((u) => `    uncovered: ${u}`),
    ...(c.skipped ?? []).map((u) => `    ${u}`),
    `  planned in ${(s.elapsedMs / 1000).toFixed(1)} s${s.out ? `, written to ${s.out}` : ''}`,
    '',
    '  paths per SPEC ID:',
    ...grid(
      Object.entries(s.spec).map(([id, n]) => `${id.padEnd(7)}${String(n).padStart(5)}`),
      5,
    ).map((row) => `    ${row}`),
  ];
  return lines.join('\n');
}

/** Cells in rows of `columns`, two spaces apart. */
function grid(cells: readonly string[], columns: number): string[] {
  const rows: string[] = [];
  for (let i = 0; i < cells.length; i += columns) rows.push(cells.slice(i, i + columns).join('  '));
  return rows;
}
