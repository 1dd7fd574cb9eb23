// Minimal, replayable counterexamples against the model adapter and its deliberate lies: a long
// failing path is cut to the steps that show the lie, the failure is re-run to tell deterministic
// from timing-dependent, the saved replay file fails again the same way, and the JSON and JUnit
// reports carry the minimized path and the replay command.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModelAdapter, type ModelAdapterOptions } from '../../../../adapters/model/index.js';
import { eventLabel } from '../../../../harness/check/format.js';
import { formatFailure } from '../../../../harness/conform/format-failure.js';
import type { RunCommandOptions } from '../../../../harness/conform/run-command.js';
import { runUntilFirstFailure } from '../../../../harness/conform/first-failure.js';
import { runPlan } from '../../../../harness/conform/run-plan.js';
import { createPlan } from '../../../../harness/plan/create-plan.js';
import { shortestShowingIn } from '../../../../harness/plan/shortest-showing.js';
import { conformanceTopology } from '../../../../models/topology.js';
import type { PathResult, RunReport } from '../../../../harness/conform/types.js';
import { loadPlan } from '../../../../harness/plan/plan-file.js';
import { capturedRun } from './captured-run.js';
import { handPlan, type HandPath } from './hand-plan.js';
import { runMinimized as runIn } from './run-minimized.js';

const runMinimized = (path: HandPath, adapter: ModelAdapterOptions, reproduce = 3) => runIn(path, adapter, dir, reproduce);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sanspec-minimize-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A long path whose only stop of a server is its ninth step. */
const longPath: HandPath = {
  name: 'long',
  spec: ['SRV-1'],
  steps: [
    'write m1',
    'setCache s2 writeThrough',
    'restart s2',
    'recoveryComplete m1',
    'linkDown s1-s2',
    'linkUp s1-s2',
    'recoveryComplete m1',
    'write v1',
    'stop s1',
    'start s1',
    'recoveryComplete m1',
    'write m1',
  ],
};

const labels = (r: PathResult) => r.minimized!.path.steps.map((s) => eventLabel(s.event));

/** `sanspec run` with captured output. */
const run = (options: RunCommandOptions) => capturedRun(options, dir, { run: { jobs: 1 } });

// Each test plays dozens of paths on fresh systems; a loaded machine may need more than the default 30 s.
describe('minimal counterexamples', { timeout: 120_000 }, () => {
  it('CF-1 a lie that makes a 12-step path fail at its ninth step is minimized to the one step that shows it, deterministic', async () => {
    const r = await runMinimized(longPath, { lies: { reportStoppedPathsOnline: true } });
    expect(r.failure).toMatchObject({ rule: 'CF-1', step: 8 });
    const m = r.minimized!;
    expect(labels(r)).toEqual(['stop s1']);
    expect(m).toMatchObject({ originalLength: 12, budgetExhausted: false });
    // Delta debugging starts from at most the prefix up to the failing step (a model-guided shortcut of it may be shorter).
    expect(m.prefixLength).toBeLessThanOrEqual(9);
    expect(m.failure).toMatchObject({ rule: 'CF-1', step: 0 });
    expect(m.failure.diff).toContainEqual({ field: 'paths[h1->s1].online', expected: false, observed: true });
    expect(m.reproduction).toEqual({ runs: 3, failures: 3, verdict: 'deterministic' });
    // On one screen: the minimized path as numbered steps, then the evidence.
    const text = formatFailure(r);
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(40);
    const step = lines.findIndex((l) => /^ {2}> +1\. stop s1 +accepted/.test(l));
    const evidence = lines.findIndex((l) => l.includes('paths[h1->s1].online: expected false, observed true'));
    expect(step).toBeGreaterThan(0);
    expect(evidence).toBeGreaterThan(step);
    expect(text).toMatch(/minimized 12 -> 1 step\(s\) \(prefix \d, .*reproduced 3\/3: deterministic/);
  });

  it('DS-1 a write dropped early and found only at the final read-back is cut to one step', async () => {
    // The third write to m1 is dropped: the initial state's checks write twice, the first step's checks once more.
    const r = await runMinimized(longPath, { lies: { dropWrite: { vdisk: 'm1', nth: 3 } } }, 1);
    expect(r.failure).toMatchObject({ rule: 'DS-1', step: 12 });
    const m = r.minimized!;
    expect(m.path.steps).toHaveLength(1);
    expect(m.failure).toMatchObject({ rule: 'DS-1', step: 1 });
    expect(m.failure.data?.[0]).toMatchObject({ vdisk: 'm1', found: expect.stringMatching(/^zeros/) });
    expect(m.reproduction.verdict).toBe('deterministic');
  });

  it('CF-1 when the time budget runs out, the smallest failing path found so far is kept and marked', async () => {
    const report = await runPlan({
      adapter: createModelAdapter({ lies: { reportStoppedPathsOnline: true } }),
      plan: handPlan([longPath]),
      jobs: 1,
      settleTimeoutMs: 300,
      workRoot: dir,
      minimize: { budgetMs: 0, reproduce: 1 },
    });
    const r = report.paths[0]!;
    expect(r.minimized).toMatchObject({ budgetExhausted: true, candidateRuns: 0, reproduction: { runs: 1, failures: 1 } });
    expect(r.minimized!.path.steps).toHaveLength(12);
    expect(formatFailure(r)).toMatch(/time budget ran out: maybe not minimal/);
  });

  it('CF-1 a lie that shows on every other run is reported as timing-dependent', async () => {
    const path: HandPath = { name: 'flaky', spec: ['SRV-1'], steps: ['write m1', 'stop s1', 'start s1', 'recoveryComplete m1'] };
    const r = await runMinimized(path, { lies: { reportStoppedPathsOnline: true }, liesEvery: 2 });
    const m = r.minimized!;
    expect(m.reproduction.runs).toBe(3);
    expect([1, 2]).toContain(m.reproduction.failures);
    expect(m.reproduction.verdict).toBe('timing-dependent');
    expect(formatFailure(r)).toMatch(/reproduced [12]\/3: timing-dependent/);
    // Whatever the candidates met, the path kept is one that failed, and it still stops s1.
    expect(labels(r)).toContain('stop s1');
  });

  it('CF-1 the saved replay file fails again the same way; report.json and junit.xml carry the minimized path and the command', async () => {
    const planFile = join(dir, 'plan.json');
    const config = join(dir, 'lies.json');
    const report = join(dir, 'report');
    await writeFile(planFile, JSON.stringify(handPlan([longPath])));
    await writeFile(config, JSON.stringify({ lies: { reportStoppedPathsOnline: true } }));
    const first = await run({ adapter: 'model', adapterConfig: config, plan: planFile, report, reproduce: 1 });
    expect(first.code, first.out + first.err).toBe(1);
    const file = join(report, 'failures', 'hand-long.replay.json');
    const command = `sanspec run --replay ${file} --adapter model --adapter-config ${config}`;
    expect(first.out).toContain(`replay: ${command}`);

    const json = JSON.parse(await readFile(join(report, 'report.json'), 'utf8')) as RunReport;
    const schema = JSON.parse(await readFile(join(report, 'report.schema.json'), 'utf8'));
    const validate = new Ajv2020({ strict: true, allErrors: true, formats: { 'date-time': /^\d{4}-\d\d-\d\dT[\d:.]+Z$/ } }).compile(schema);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    const failed = json.paths[0]!;
    expect(failed.replay).toEqual({ file, command });
    expect(failed.minimized?.path.steps.map((s) => eventLabel(s.event))).toEqual(['stop s1']);
    const junit = await readFile(join(report, 'junit.xml'), 'utf8');
    expect(junit).toContain('<property name="minimized.path" value="1. stop s1"/>');
    expect(junit).toContain(`<property name="replay.command" value="${command}"/>`);

    // The file is a plan of the one minimized path; replaying it fails at that step with CF-1.
    const saved = loadPlan(file);
    expect(saved).toMatchObject({ criterion: 'replay', seed: 1, paths: [{ id: failed.minimized!.path.id }] });
    expect(saved.paths[0]!.covers).toEqual(['minimized from hand-long', 'failed CF-1 at step 1 on adapter model (lying)']);
    const again = await run({ adapter: 'model', adapterConfig: config, replay: file, json: true });
    expect(again.code).toBe(1);
    const replayed = (JSON.parse(again.out) as RunReport).paths[0]!;
    expect(replayed.failure).toMatchObject({ rule: 'CF-1', step: 0 });
    expect(replayed.minimized).toBeUndefined();
    expect(replayed.replay).toEqual({ file, command });
  });
});

describe('the default plan against a fault', { timeout: 120_000 }, () => {
  it('CF-1 the first failing path is minimized to at most the shortest path the model says can show the lie, plus one step', async () => {
    const topology = conformanceTopology();
    const shortest = shortestShowingIn(topology, (s) => !s.refused && s.after.servers.some((x) => x.state !== 'running'));
    expect(shortest).not.toBeNull();
    const found = await runUntilFirstFailure({
      adapter: createModelAdapter({ lies: { reportStoppedPathsOnline: true } }),
      plan: createPlan(topology, 'components'),
      jobs: 2,
      settleTimeoutMs: 300,
      workRoot: dir,
      minimize: { reproduce: 2 },
    });
    const m = found.failed?.minimized;
    expect(found.failed?.failure?.rule).toBe('CF-1');
    expect(m?.failure.rule).toBe('CF-1');
    expect(m!.path.steps.length).toBeLessThanOrEqual(shortest!.length + 1);
    expect(m!.reproduction.verdict).toBe('deterministic');
    expect(found.firstViolationMs).toBeLessThanOrEqual(found.totalMs);
    expect(found.totalMs).toBeLessThan(60_000);
  });
});

describe('random walks', { timeout: 120_000 }, () => {
  it('CF-1 --criterion random:N --seed S plans the same walks, and --path ID replays one of them step for step', async () => {
    const all = await run({ adapter: 'model', criterion: 'random:3', seed: 7, json: true });
    expect(all.code, all.err).toBe(0);
    const walks = (JSON.parse(all.out) as RunReport).paths;
    expect(walks).toHaveLength(3);
    const walk = walks[1]!;
    const one = await run({ adapter: 'model', criterion: 'random:3', seed: 7, path: walk.id, json: true });
    expect(one.code, one.err).toBe(0);
    const replayed = (JSON.parse(one.out) as RunReport).paths;
    expect(replayed.map((p) => p.id)).toEqual([walk.id]);
    expect(replayed[0]!.path.steps).toEqual(walk.path.steps);
    expect(replayed[0]!.steps.map((s) => [s.label, s.result])).toEqual(walk.steps.map((s) => [s.label, s.result]));
    const missing = await run({ adapter: 'model', criterion: 'random:3', seed: 7, path: 'random-00000000' });
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/USAGE_BAD_ARGUMENT: --path random-00000000: the plan has no such path/);
  });

  it('CF-1 a seeded random walk that meets a lie is shrunk to a short replayable path', async () => {
    const config = join(dir, 'lies.json');
    await writeFile(config, JSON.stringify({ lies: { reportStoppedPathsOnline: true } }));
    const r = await run({ adapter: 'model', adapterConfig: config, criterion: 'random:2', seed: 3, reproduce: 1, json: true });
    expect(r.code).toBe(1);
    const failed = (JSON.parse(r.out) as RunReport).paths.filter((p) => p.outcome === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const p of failed) {
      expect(p.failure?.rule).toBe('CF-1');
      expect(p.minimized!.path.steps.length).toBeLessThanOrEqual(2);
      expect(p.minimized!.path.steps.length).toBeLessThan(p.path.steps.length);
      expect(p.minimized!.reproduction.verdict).toBe('deterministic');
      expect(p.replay?.command).toMatch(/^sanspec run --replay \S+\.replay\.json --adapter model --adapter-config /);
    }
  });
});
