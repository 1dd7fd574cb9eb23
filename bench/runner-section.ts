// The conformance runner's benchmark: the default plan (`components` on the conformance topology,
// what `npm start` runs) against the engine on both backends, with as many paths at once as there
// are cores. It records the plan's wall time, steps per second and paths per minute, next to the
// goal of five minutes on a 2-core machine (issue 8), and how many paths failed: a benchmark of a
// red run is no benchmark. Loop devices need root; without them that row says why it is missing.

import { availableParallelism, loadavg } from 'node:os';
import { engineAdapter } from '../adapters/engine/index.js';
import { runPlan } from '../harness/conform/run-plan.js';
import { createPlan } from '../harness/plan/index.js';
import { conformanceTopology } from '../models/topology.js';
import { checkLoopSupport } from '../engine/storage/index.js';

/** The goal for the default plan's wall time here (issue 8). */
const GOAL_S = 300;

export async function runnerSection(): Promise<string> {
  const plannedAt = performance.now();
  const plan = createPlan(conformanceTopology(), 'components', { seed: 1 });
  const planS = (performance.now() - plannedAt) / 1000;
  const steps = plan.paths.reduce((n, p) => n + p.steps.length, 0);
  const jobs = availableParallelism();
  const rows: string[] = [];
  for (const backend of ['file', 'loop'] as const) {
    const support = backend === 'loop' ? await checkLoopSupport() : null;
    const missing = support && !support.ok ? support.reason : null;
    if (missing) {
      rows.push(`| ${backend} | not measured: ${missing} | | | | |`);
      continue;
    }
    const load = loadavg()[0]!.toFixed(1);
    const started = performance.now();
    const report = await runPlan({ adapter: engineAdapter({ backend }), plan, jobs });
    const s = (performance.now() - started) / 1000;
    const t = report.totals;
    rows.push(
      `| ${backend} | ${s.toFixed(0)} s (${((s / GOAL_S) * 100).toFixed(0)}% of the 5-minute goal) | ${(steps / s).toFixed(1)} | ` +
        `${((plan.paths.length / s) * 60).toFixed(1)} | ${t.passed} passed, ${t.failed} failed, ${t.notApplicable} n/a | ${load} |`,
    );
  }
  return [
    '## Conformance runner: the default plan against the engine',
    '',
    `The default plan: ${plan.paths.length} paths, ${steps} steps (planned in ${planS.toFixed(1)} s), ${jobs} paths at once, each on a fresh group; power-loss mode on.`,
    '',
    '| backend | wall time | steps/s | paths/min | outcome | load (1 min) before |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
