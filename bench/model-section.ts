import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

interface Sample {
  states: number;
  transitions: number;
  ms: number;
  maxRssMiB: number;
}

async function measure(mode: string, topology: string, timeoutMs: number): Promise<Sample | null> {
  try {
    const { stdout } = await promisify(execFile)('node', ['--import', 'tsx', 'bench/model-worker.ts', mode, topology], {
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
    '## Model exploration and checking (issue: exhaustive model checking)',
    '',
    'Every figure is from a fresh Node process (times exclude module loading). "explore" is the',
    'breadth-first search alone; "check" adds every invariant in every state and transition, the',
    "checker's record of the truth and the recoverability search. `xstate/graph` is `getShortestPaths` on the same",
    'composed model (the group as one XState machine), in the same run. Median of 3 runs; the',
    'slowest of the 3 is in parentheses.',
    '',
    '| topology | traversal | states | transitions | time ms | states/s | peak RSS MiB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  const ratios: string[] = [];
  for (const topology of ['default', 'three-servers', 'ups']) {
    const explore = await runs('ours-explore', topology, 3, 300_000);
    const check = await runs('ours-check', topology, 3, 300_000);
    // xstate/graph on the default topology only: it needs minutes on the larger ones.
    const graph = topology === 'default' ? await runs('xstate-graph', topology, 1, 600_000) : null;
    for (const [label, r] of [
      ['sanspec explore', explore],
      ['sanspec check', check],
      ['xstate/graph getShortestPaths', graph],
    ] as const) {
      if (!r) continue;
      const m = r.median;
      lines.push(
        `| ${topology} | ${label} | ${fmt(m.states)} | ${m.transitions ? fmt(m.transitions) : 'n/a'} | ${fmt(m.ms)} (${fmt(r.worst.ms)}) | ${fmt((m.states / m.ms) * 1000)} | ${fmt(m.maxRssMiB)} |`,
      );
    }
    if (graph && explore && check) {
      const rate = (s: Sample) => s.states / s.ms;
      ratios.push(
        `- ${topology}: sanspec explore ${(rate(explore.median) / rate(graph.median)).toFixed(1)}x and sanspec check ${(rate(check.median) / rate(graph.median)).toFixed(1)}x the states per second of xstate/graph (goal: at least 10x); both found ${fmt(graph.median.states)} states.`,
      );
      ratios.push(
        `- ${topology}: complete check in ${fmt(check.median.ms)} ms median, ${fmt(check.worst.ms)} ms slowest (goal: under 1 s).`,
      );
    }
  }
  return [...lines, '', ...ratios].join('\n');
}
