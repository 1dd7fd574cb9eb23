// The adapter benchmark: how fast a system under test comes up, which every conformance path pays
// once (a fresh group per path) and again at every power-on. Engine processes start from esbuild
// bundles (engine/build/); the same measurements with the old start through the tsx loader
// (SANSPEC_ENGINE_FROM_SOURCES=1) run interleaved in the same run, so that the machine's load hits
// both alike. Every group is closed (and checked to leave nothing) on success, failure and SIGINT.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { engineAdapter, groupProcesses } from '../adapters/engine/index.js';
import type { SystemUnderTest } from '../adapters/types.js';
import { findOrBuildEngineBundle, repositoryRoot } from '../engine/build/engine-bundle.js';
import { conformanceTopology } from '../models/topology.js';

/** Rounds per start mode; each round: group up, crash + power-on of s1, close. */
const ROUNDS = 7;
/** Rounds of the command-line `group up` per start mode (it is slow through tsx). */
const CLI_ROUNDS = 3;
/** Linux reports process CPU times in clock ticks of 1/100 s (USER_HZ). */
const CLOCK_TICKS = 100;
const SANSPEC = new URL('../bin/sanspec.mjs', import.meta.url).pathname;

type Mode = 'bundle' | 'tsx';
interface Round {
  up: number;
  /** CPU time (user + system) the group's processes had used when it was up, ms: the work, whatever the machine's load. */
  upCpu: number;
  powerOn: number;
  crashPowerOn: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const slowest = (xs: number[]) => Math.max(...xs);
const ms = (n: number) => `${Math.round(n).toLocaleString('en-US')}`;

/** One round with the engine adapter: open (group up until ready), crash and power on s1, close. */
async function round(mode: Mode, open: Set<SystemUnderTest>): Promise<Round> {
  const workDir = mkdtempSync(join(tmpdir(), 'sanspec-bench-adapter-'));
  const adapter = engineAdapter({ fromSources: mode === 'tsx' });
  try {
    let t = performance.now();
    const system = await adapter.open(conformanceTopology(), { workDir });
    open.add(system);
    const up = performance.now() - t;
    const upCpu = await cpuOf(workDir);
    try {
      t = performance.now();
      const crash = await system.apply({ type: 'crash', server: 's1' });
      const t2 = performance.now();
      const on = await system.apply({ type: 'powerOn', server: 's1' });
      const end = performance.now();
      if (crash.outcome !== 'accepted' || on.outcome !== 'accepted')
        throw new Error(`crash/power-on refused: ${JSON.stringify([crash, on])}`);
      return { up, upCpu, powerOn: end - t2, crashPowerOn: end - t };
    } finally {
      open.delete(system);
      await system.close();
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** CPU time (user + system, ms) used so far by the processes of the group in `dir`. */
async function cpuOf(dir: string): Promise<number> {
  let ticks = 0;
  for (const pid of await groupProcesses(dir)) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return (ticks * 1000) / CLOCK_TICKS;
}

/** `sanspec group up` and `group down` through the command line, as an operator runs them. */
async function cliUp(mode: Mode): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sanspec-bench-cli-'));
  const env = { ...process.env, SANSPEC_ENGINE_FROM_SOURCES: mode === 'tsx' ? '1' : '' };
  const run = (args: string[]) => promisify(execFile)(process.execPath, [SANSPEC, ...args, '--dir', dir], { env, timeout: 120_000 });
  try {
    const t = performance.now();
    await run(['group', 'up']);
    return performance.now() - t;
  } finally {
    await run(['group', 'down']).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Group up, power-on and bundle build times, bundles against the tsx loader. */
export async function adapterSection(): Promise<string> {
  const loadStart = loadavg()[0]!;
  const open = new Set<SystemUnderTest>();
  const interrupt = () => {
    void Promise.all([...open].map((s) => s.close())).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    // Bundle build: cold (an empty cache) and the look-up every later start does.
    const cache = mkdtempSync(join(tmpdir(), 'sanspec-bench-cache-'));
    let t = performance.now();
    findOrBuildEngineBundle(repositoryRoot(), cache);
    const cold = performance.now() - t;
    t = performance.now();
    findOrBuildEngineBundle(repositoryRoot(), cache);
    const warm = performance.now() - t;
    rmSync(cache, { recursive: true, force: true });

    const rounds: Record<Mode, Round[]> = { bundle: [], tsx: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const mode of ['bundle', 'tsx'] as const) {
        const r = await round(mode, open);
        rounds[mode].push(r);
        process.stderr.write(`  ${mode} round ${i + 1}: up ${ms(r.up)} ms (CPU ${ms(r.upCpu)} ms), power-on ${ms(r.powerOn)} ms\n`);
      }
    }
    const cli: Record<Mode, number[]> = { bundle: [], tsx: [] };
    for (let i = 0; i < CLI_ROUNDS; i++) {
      for (const mode of ['bundle', 'tsx'] as const) {
        cli[mode].push(await cliUp(mode));
        process.stderr.write(`  ${mode} CLI group up ${i + 1}: ${ms(cli[mode].at(-1)!)} ms\n`);
      }
    }

    const row = (label: string, pick: (r: Round) => number) => {
      const b = rounds.bundle.map(pick);
      const x = rounds.tsx.map(pick);
      return `| ${label} | ${ms(median(b))} (${ms(slowest(b))}) | ${ms(median(x))} (${ms(slowest(x))}) | ${(median(x) / median(b)).toFixed(1)}x |`;
    };
    const upMedian = median(rounds.bundle.map((r) => r.up));
    return [
      '## Starting a system under test (issue: conformance runner, adapters)',
      '',
      `The engine adapter opens a fresh group for the \`conformance\` topology (s1 and s2 on UPS, m1`,
      'mirrored, v1 and v2 single, 16 MiB disks, file backend): "group up" is from the start until the',
      'supervisor reports ready, that is every server answers and the copies of m1 have met. Then s1 is',
      'crashed and powered on: "power-on" is until s1 answers again. CPU time is what the group\'s processes',
      "had used when the group was up (from /proc), the work done whatever else loads the machine. The engine's processes start from",
      'esbuild bundles (engine/build/) or, in the same run and interleaved with them, through the tsx',
      `loader from the TypeScript sources (\`SANSPEC_ENGINE_FROM_SOURCES=1\`, the start before bundles).`,
      `Median of ${ROUNDS} rounds each, the slowest in parentheses; times in ms.`,
      '',
      '| measurement | bundles | tsx loader | tsx / bundles |',
      '| --- | ---: | ---: | ---: |',
      row('group up (adapter, until ready)', (r) => r.up),
      row("CPU time of the group's processes until up (supervisor + 2 servers)", (r) => r.upCpu),
      row('power-on of a crashed server', (r) => r.powerOn),
      row('crash + power-on', (r) => r.crashPowerOn),
      `| \`sanspec group up\` on the command line (its own start through tsx included; median of ${CLI_ROUNDS}) | ${ms(median(cli.bundle))} (${ms(slowest(cli.bundle))}) | ${ms(median(cli.tsx))} (${ms(slowest(cli.tsx))}) | ${(median(cli.tsx) / median(cli.bundle)).toFixed(1)}x |`,
      '',
      `- Goal: a group up in under 0.5 s. Measured: ${ms(upMedian)} ms median with bundles (${upMedian < 500 ? 'met' : 'not met on this machine at this load'}).`,
      `- Building the bundles into an empty cache took ${ms(cold)} ms (once per change of the engine's sources); finding them in the cache ${ms(warm)} ms (hashing the sources, at every \`group up\`).`,
      `- Load average (1 min) when the section started: ${loadStart.toFixed(2)}; when it ended: ${loadavg()[0]!.toFixed(2)}.`,
    ].join('\n');
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await Promise.all([...open].map((s) => s.close().catch(() => {})));
  }
}
