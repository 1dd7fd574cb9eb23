// The checker-power benchmark: for each fault, the default plan (components, conformance topology)
// runs against a system with that fault until the first path fails; that path is minimized and
// re-run. Recorded: the time to the first violation (from the start of the run to the end of the
// failing path), the time to minimize it (prefix search and delta debugging, re-runs not counted),
// and the minimized length against the shortest path that can show the fault, computed from the
// model (harness/plan/shortest-showing.ts), never hard-coded. Goal per fault: caught with its
// SPEC ID, minimized to at most the shortest plus one step, all of it under 60 s.
//
// The faults here are the model adapter's lies; engine fault switches join the list as entries of
// the same shape (an adapter factory, the SPEC ID, and the step that can show the fault).

import { createModelAdapter, type ModelLies } from '../adapters/model/index.js';
import type { Adapter } from '../adapters/types.js';
import { type FirstFailure, runUntilFirstFailure } from '../harness/conform/first-failure.js';
import { createPlan } from '../harness/plan/create-plan.js';
import { type ShowingStep, shortestShowingIn } from '../harness/plan/shortest-showing.js';
import { conformanceTopology } from '../models/topology.js';

/** A fault to catch: how to get a system with it, the SPEC ID it breaks, and which step can show it. */
export interface BenchFault {
  readonly name: string;
  /** The SPEC ID the runner must report. */
  readonly rule: string;
  readonly adapter: () => Adapter | Promise<Adapter>;
  /** A step after which the fault can be seen (the shortest path ends with the first such step). */
  readonly shows: (step: ShowingStep) => boolean;
  /** Settle timeout of the run, ms (a status that never matches costs one per failing run). */
  readonly settleTimeoutMs?: number;
}

const lying = (lies: ModelLies) => () => createModelAdapter({ lies });

/** The model adapter's lies whose showing step the model can name. */
export const modelFaults: readonly BenchFault[] = [
  {
    name: 'model: paths of a stopped server reported online',
    rule: 'CF-1',
    adapter: lying({ reportStoppedPathsOnline: true }),
    shows: (s) => !s.refused && s.after.servers.some((x) => x.state !== 'running'),
  },
  {
    name: 'model: a refused command answered as accepted',
    rule: 'SRV-12',
    adapter: lying({ acceptRefused: true }),
    shows: (s) => s.refused,
  },
  {
    name: 'model: a refusal with the wrong code',
    rule: 'SRV-12',
    adapter: lying({ wrongRefusalCode: true }),
    shows: (s) => s.refused,
  },
  {
    // The third write to m1 is dropped: the checks after any step that leaves m1 writable make it.
    name: 'model: the third write to m1 acknowledged and dropped',
    rule: 'DS-1',
    adapter: lying({ dropWrite: { vdisk: 'm1', nth: 3 } }),
    shows: (s) => !s.refused && s.after.virtualDisks.some((v) => v.name === 'm1' && v.hostAccess === 'readWrite'),
  },
];

interface Measured extends FirstFailure {
  readonly shortest: number | null;
}

/** Runs the default plan against one fault until its first failing path has been minimized. */
export async function measureFault(fault: BenchFault): Promise<Measured> {
  const topology = conformanceTopology();
  const plan = createPlan(topology, 'components');
  const shortest = shortestShowingIn(topology, fault.shows)?.length ?? null;
  const adapter = await fault.adapter();
  const found = await runUntilFirstFailure({
    adapter,
    plan,
    jobs: 2,
    settleTimeoutMs: fault.settleTimeoutMs ?? 1000,
    minimize: { reproduce: 3 },
  });
  return { ...found, shortest };
}

const s = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** The section of docs/benchmarks.md. */
export async function minimizeSection(faults: readonly BenchFault[] = modelFaults): Promise<string> {
  const rows: string[] = [];
  const goals: string[] = [];
  for (const fault of faults) {
    process.stderr.write(`  ${fault.name}\n`);
    const m = await measureFault(fault);
    const f = m.failed;
    const min = f?.minimized;
    const rule = min?.failure.rule ?? f?.failure?.rule ?? 'not caught';
    const length = min ? min.path.steps.length : null;
    const r = min?.reproduction;
    rows.push(
      `| ${fault.name} | ${fault.rule} | ${rule} | ${s(m.firstViolationMs)} | ${s(min?.durationMs ?? null)} | ${length ?? '-'} / ${m.shortest ?? '?'} (from ${min?.originalLength ?? '-'}) | ${r ? `${r.failures}/${r.runs} ${r.verdict}` : '-'} | ${s(m.totalMs)} |`,
    );
    const met = rule === fault.rule && length !== null && m.shortest !== null && length <= m.shortest + 1 && m.totalMs < 60_000;
    goals.push(`- ${fault.name}: ${met ? 'met' : 'NOT met'}`);
  }
  return [
    '## Checker power: time to the first violation, to a minimal path',
    '',
    'The default plan (`components`, conformance topology, 2 jobs) against a system with one fault, until the first path fails; that path is minimized (shortest failing prefix, then delta debugging on fresh systems) and re-run 3 times. "Shortest" is the fewest steps after which the model says the fault can show (computed by breadth-first search, not hard-coded). The faults are the model adapter\'s lies (`bench/minimize-section.ts`); engine fault switches join the same table.',
    '',
    '| fault | SPEC ID | caught as | first violation | minimize | minimized / shortest | reproduced | total |',
    '|---|---|---|---:|---:|---:|---|---:|',
    ...rows,
    '',
    'Goal: caught with its SPEC ID, minimized path at most the shortest plus one step, under 60 s in all.',
    '',
    ...goals,
  ].join('\n');
}
