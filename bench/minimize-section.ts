// The checker-power benchmark: for each fault, the part of the default plan (components,
// conformance topology) that can reach it runs against a system with that fault until the first
// path fails; that path is minimized and re-run. Recorded: the time to the first violation (from
// the start of the run to the end of the failing path), the time to minimize it (shortcuts, prefix
// search and delta debugging, re-runs not counted), and the minimized length against the shortest
// path that can show the fault, computed from the model (harness/plan/shortest-showing.ts,
// harness/plan/fault-cases.ts), never hard-coded. Goal per fault: caught with its SPEC ID,
// minimized to at most the shortest plus one step, all of it under 60 s.
//
// The faults are the model adapter's lies and the engine's fault switches (engine/faults.ts): the
// engine adapter on files in power-loss mode with one switch on. test/conformance/engine-faults.test.ts
// runs the same entries through `measureFault`.

import { engineAdapter } from '../adapters/engine/index.js';
import { createModelAdapter, type ModelLies } from '../adapters/model/index.js';
import type { Adapter } from '../adapters/types.js';
import { ALLOW_FAULTS_ENV, FAULT_SWITCHES } from '../engine/faults.js';
import { type FirstFailure, runUntilFirstFailure } from '../harness/conform/first-failure.js';
import { createPlan } from '../harness/plan/create-plan.js';
import { type FaultCase, faultCases, pathShows, shortestShowingAs } from '../harness/plan/fault-cases.js';
import { type ShowingStep, shortestShowingIn } from '../harness/plan/shortest-showing.js';
import type { Plan, PlanPath } from '../harness/plan/types.js';
import { createGroupModel, type GroupModel } from '../models/group.js';
import { conformanceTopology } from '../models/topology.js';

/** A fault to catch: how to get a system with it, the SPEC ID it breaks, and how short a path can show it. */
export interface BenchFault {
  readonly name: string;
  /** The SPEC ID the runner must report. */
  readonly rule: string;
  /** Another SPEC ID it may report instead, when timing decides which broken rule the runner meets first. */
  readonly orRule?: string;
  readonly adapter: () => Adapter | Promise<Adapter>;
  /** The fewest steps of a path that shows the fault as `rule` (computed from the model), or null when none does. */
  readonly shortest: (model: GroupModel, rule: string) => number | null;
  /** The plan's paths that can reach the fault (default: every path), run in plan order. */
  readonly reaches?: (model: GroupModel, path: PlanPath) => boolean;
  /** Settle timeout of the run, ms (a status that never matches costs one per failing run). */
  readonly settleTimeoutMs?: number;
  /** Blocks the runner writes per disk (default the runner's). */
  readonly maxBlocks?: number;
  /** Paths run at once (default 2). */
  readonly jobs?: number;
  /** Environment the system needs while it runs (set for the run, restored after). */
  readonly env?: Readonly<Record<string, string>>;
}

/** The shortest path after which `shows` holds, as a BenchFault's `shortest`. */
const showing =
  (shows: (step: ShowingStep) => boolean): BenchFault['shortest'] =>
  (model) =>
    shortestShowingIn(model.topology, shows)?.length ?? null;

const lying = (lies: ModelLies) => () => createModelAdapter({ lies });

/** The model adapter's lies whose showing step the model can name. */
export const modelFaults: readonly BenchFault[] = [
  {
    name: 'model: paths of a stopped server reported online',
    rule: 'CF-1',
    adapter: lying({ reportStoppedPathsOnline: true }),
    shortest: showing((s) => !s.refused && s.after.servers.some((x) => x.state !== 'running')),
  },
  {
    name: 'model: a refused command answered as accepted',
    rule: 'SRV-12',
    adapter: lying({ acceptRefused: true }),
    shortest: showing((s) => s.refused),
  },
  {
    name: 'model: a refusal with the wrong code',
    rule: 'SRV-12',
    adapter: lying({ wrongRefusalCode: true }),
    shortest: showing((s) => s.refused),
  },
  {
    // The third write to m1 is dropped: the checks after any step that leaves m1 writable make it.
    name: 'model: the third write to m1 acknowledged and dropped',
    rule: 'DS-1',
    adapter: lying({ dropWrite: { vdisk: 'm1', nth: 3 } }),
    shortest: showing((s) => !s.refused && s.after.virtualDisks.some((v) => v.name === 'm1' && v.hostAccess === 'readWrite')),
  },
];

/** Settle timeout of engine runs: a CF-1 failure costs one, the engine's slowest honest settle is a few seconds. */
export const ENGINE_SETTLE_MS = 10_000;

/**
 * One engine fault switch as a BenchFault: the engine adapter on files in power-loss mode with the
 * switch on (SANSPEC_ALLOW_FAULTS=1), the plan's paths that contain the case's cues, one path at a
 * time (a second path would compete with the minimization for the machine).
 */
export function engineFault(c: FaultCase): BenchFault {
  return {
    name: `engine: ${c.fault}`,
    rule: c.rule,
    ...(c.orRule ? { orRule: c.orRule } : {}),
    adapter: () => engineAdapter({ backend: 'file', powerLoss: true, faults: [c.fault], ...c.adapter }),
    shortest: (model, rule) => shortestShowingAs(model, c, rule).events.length,
    reaches: (model, path) => pathShows(model, path, c),
    settleTimeoutMs: ENGINE_SETTLE_MS,
    ...(c.settings?.maxBlocks ? { maxBlocks: c.settings.maxBlocks } : {}),
    jobs: 1,
    env: { [ALLOW_FAULTS_ENV]: '1' },
  };
}

/** Every engine fault switch, in catalogue order. */
export const engineFaults: readonly BenchFault[] = Object.keys(FAULT_SWITCHES).map((name) =>
  engineFault(faultCases[name as keyof typeof FAULT_SWITCHES]),
);

/** What one fault's run measured. */
export interface Measured extends FirstFailure {
  /** The fewest steps that can show the fault as the rule the minimized failure names (or `fault.rule` when not caught). */
  readonly shortest: number | null;
  /** Paths of the plan that can reach the fault. */
  readonly reaching: number;
}

/** Options of `measureFault`. */
export interface MeasureOptions {
  /** The default plan, when the caller made it already. */
  readonly plan?: Plan;
  /** Re-runs of the minimized path (default 3). */
  readonly reproduce?: number;
  /** Minimization time budget, ms (default the runner's). */
  readonly budgetMs?: number;
}

/** Runs the part of the default plan that can reach one fault until its first failing path has been minimized. */
export async function measureFault(fault: BenchFault, options: MeasureOptions = {}): Promise<Measured> {
  const topology = conformanceTopology();
  const model = createGroupModel(topology);
  const plan = options.plan ?? createPlan(topology, 'components', { seed: 1 });
  const paths = fault.reaches ? plan.paths.filter((p) => fault.reaches!(model, p)) : plan.paths;
  const previous = Object.fromEntries(Object.keys(fault.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, fault.env);
  try {
    const adapter = await fault.adapter();
    const found = await runUntilFirstFailure({
      adapter,
      plan: { ...plan, paths },
      model,
      jobs: fault.jobs ?? 2,
      settleTimeoutMs: fault.settleTimeoutMs ?? 1000,
      ...(fault.maxBlocks ? { maxBlocks: fault.maxBlocks } : {}),
      minimize: { reproduce: options.reproduce ?? 3, ...(options.budgetMs !== undefined ? { budgetMs: options.budgetMs } : {}) },
    });
    const caught = found.failed?.minimized?.failure.rule ?? found.failed?.failure?.rule;
    const rule = caught === fault.orRule && caught !== undefined ? caught : fault.rule;
    return { ...found, shortest: fault.shortest(model, rule), reaching: paths.length };
  } finally {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const s = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** Whether a fault's run met the goal: caught with its SPEC ID, minimized within the shortest plus one, under 60 s. */
export function goalMet(fault: BenchFault, m: Measured): boolean {
  const min = m.failed?.minimized;
  const rule = min?.failure.rule ?? m.failed?.failure?.rule;
  const length = min ? min.path.steps.length : null;
  return (
    (rule === fault.rule || rule === fault.orRule) &&
    length !== null &&
    m.shortest !== null &&
    length <= m.shortest + 1 &&
    m.totalMs < 60_000
  );
}

/** The section of docs/benchmarks.md. */
export async function minimizeSection(faults: readonly BenchFault[] = [...modelFaults, ...engineFaults]): Promise<string> {
  const rows: string[] = [];
  const goals: string[] = [];
  const plan = createPlan(conformanceTopology(), 'components', { seed: 1 });
  for (const fault of faults) {
    process.stderr.write(`  ${fault.name}\n`);
    const m = await measureFault(fault, { plan });
    const f = m.failed;
    const min = f?.minimized;
    const rule = min?.failure.rule ?? f?.failure?.rule ?? 'not caught';
    const length = min ? min.path.steps.length : null;
    const r = min?.reproduction;
    const expected = fault.orRule ? `${fault.rule} or ${fault.orRule}` : fault.rule;
    rows.push(
      `| ${fault.name} | ${expected} | ${rule} | ${m.reaching} | ${s(m.firstViolationMs)} | ${s(min?.durationMs ?? null)} | ${length ?? '-'} / ${m.shortest ?? '?'} (from ${min?.originalLength ?? '-'}, ${min?.candidateRuns ?? '-'} runs) | ${r ? `${r.failures}/${r.runs} ${r.verdict}` : '-'} | ${s(m.totalMs)} |`,
    );
    goals.push(`- ${fault.name}: ${goalMet(fault, m) ? 'met' : 'NOT met'}`);
  }
  return [
    '## Checker power: time to the first violation, to a minimal path',
    '',
    'For each fault, the paths of the default plan (`components`, conformance topology) that can reach it ("paths"; all of them for the model\'s lies), in plan order, until the first path fails; that path is minimized (model-guided shortcuts, shortest failing prefix, delta debugging and ordered single-step removals, each candidate on a fresh system) and re-run 3 times. "Shortest" is the fewest steps after which the model says the fault can show as the SPEC ID caught (computed by breadth-first search, not hard-coded). The faults are the model adapter\'s lies (2 jobs, settle 1 s) and the engine\'s fault switches (`engine/faults.ts`: engine adapter, file backend, power-loss mode, `SANSPEC_ALLOW_FAULTS=1`, 1 job, settle 10 s), listed in `bench/minimize-section.ts`.',
    '',
    '| fault | SPEC ID | caught as | paths | first violation | minimize | minimized / shortest | reproduced | total |',
    '|---|---|---|---:|---:|---:|---:|---|---:|',
    ...rows,
    '',
    'Goal: caught with its SPEC ID, minimized path at most the shortest plus one step, under 60 s in all.',
    '',
    ...goals,
  ].join('\n');
}
