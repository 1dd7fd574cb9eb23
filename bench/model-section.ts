import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cacheRoot, findOrBuildBundle, repositoryRoot } from '../engine/build/engine-bundle.js';

interface Sample {
  states: number;
  /** States explored with the checker's record (check modes). */
  explored?: number;
  transitions: number;
  ms: number;
  maxRssMiB: number;
}

/** The model worker bundled as `sanspec check` runs the checker (no TypeScript loader). */
let bundle: string | null = null;
function workerBundle(): string {
  const root = repositoryRoot();
  bundle ??= findOrBuildBundle(root, cacheRoot(root), {
    name: 'bench-model',
    entries: { worker: 'bench/model-worker.ts' },
    roots: ['bench', 'models', 'harness', 'contracts'],
    version: 1,
  }).entries.worker;
  return bundle;
}

async function measure(mode: string, topology: string, timeoutMs: number): Promise<Sample | null> {
  try {
    const { stdout } = await promisify(execFile)('node', [workerBundle(), mode, topology], {
      timeout: timeoutMs,
      maxBuffer: 1 << 20,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Sample;
  } catch (error) {
    if ((error as { killed?: boolean }).killed) return null;
    throw error;
  }
}

/** Median of several runs in fresh processes (the first run of each is also reported). */
async function runs(mode: string, topology: string, n: number, timeoutMs: number) {
  const samples: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const s = await measure(mode, topology, timeoutMs);
    if (!s) return null;
    samples.push(s);
    process.stderr.write(`  ${mode} ${topology}: ${s.states} states in ${Math.round(s.ms)} ms\n`);
  }
  const sorted = [...samples].sort((a, b) => a.ms - b.ms);
  return { median: sorted[Math.floor(sorted.length / 2)]!, worst: sorted.at(-1)!, samples };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** Exploration and model checking against xstate/graph's getShortestPaths on the same model. */
export async function modelSection(): Promise<string> {
  const lines = [
    '## Model exploration and checking (issue 9)',
    '',
    'Every figure is from a fresh Node process running an esbuild bundle, as `sanspec check` runs the',
    'checker (times exclude module loading). "explore" is the breadth-first search alone; "check" adds',
    "every property in every state and transition, the checker's record of the truth (states in",
    'parentheses: explored with the record) and the recoverability search. On `four-servers`, "check"',
    'uses symmetry reduction (one state per pair of mirror-image states) and "check, no reduction" is',
    'the same check without it, side by side. `xstate/graph` is `getShortestPaths` on the same composed',
    'model (the group as one XState machine), in the same run, where it finishes in minutes. Median of',
    '3 runs; the slowest in parentheses.',
    '',
    '| topology | traversal | states | transitions | time ms | states/s | peak RSS MiB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const ratios: string[] = [];
  const goals: Record<string, number> = { default: 1000, 'three-servers': 5000, 'four-servers': 60_000 };
  for (const topology of ['default', 'three-servers', 'four-servers', 'ups']) {
    const explore = topology === 'four-servers' ? null : await runs('ours-explore', topology, 3, 300_000);
    const check = await runs('ours-check', topology, 3, 300_000);
    const full = topology === 'four-servers' ? await runs('ours-check-full', topology, 1, 600_000) : null;
    // xstate/graph on the default topology only: it needs minutes on the larger ones.
    const graph = topology === 'default' ? await runs('xstate-graph', topology, 1, 600_000) : null;
    for (const [label, r] of [
      ['sanspec explore', explore],
      ['sanspec check', check],
      ['sanspec check, no reduction', full],
      ['xstate/graph getShortestPaths', graph],
    ] as const) {
      if (!r) continue;
      const m = r.median;
      const states = m.explored && m.explored !== m.states ? `${fmt(m.states)} (${fmt(m.explored)})` : fmt(m.states);
      lines.push(
        `| ${topology} | ${label} | ${states} | ${m.transitions ? fmt(m.transitions) : 'n/a'} | ${fmt(m.ms)} (${fmt(r.worst.ms)}) | ${fmt((m.states / m.ms) * 1000)} | ${fmt(m.maxRssMiB)} |`,
      );
    }
    if (graph && explore && check) {
      const rate = (s: Sample) => s.states / s.ms;
      ratios.push(
        `- ${topology}: sanspec explore ${(rate(explore.median) / rate(graph.median)).toFixed(1)}x and sanspec check ${(rate(check.median) / rate(graph.median)).toFixed(1)}x the states per second of xstate/graph (goal: at least 10x); both found ${fmt(graph.median.states)} states.`,
      );
    }
    if (full && check) {
      ratios.push(
        `- ${topology}: symmetry reduction explores ${fmt(check.median.explored ?? 0)} of ${fmt(full.median.explored ?? 0)} states (${fmt(check.median.states)} of ${fmt(full.median.states)} model states) in ${(full.median.ms / check.median.ms).toFixed(1)}x less time than the same check without it.`,
      );
    }
    const goal = goals[topology];
    if (check && goal) {
      ratios.push(
        `- ${topology}: complete check in ${fmt(check.median.ms)} ms median, ${fmt(check.worst.ms)} ms slowest (goal: under ${fmt(goal)} ms: ${check.worst.ms < goal ? 'met' : check.median.ms < goal ? 'met by the median' : 'NOT met'}).`,
      );
    }
  }
  return [...lines, '', ...ratios].join('\n');
}
