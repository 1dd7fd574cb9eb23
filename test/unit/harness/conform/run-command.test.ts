// `sanspec run` as a function: exit codes (0 passed, 1 failed, 2 usage, 130 interrupted), the
// summary and failures it prints, the report files; a deliberately wrong model prediction and a
// deliberately lying system each end in exit code 1 with a readable failure naming the SPEC ID.

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunCommandEnvironment, RunCommandOptions } from '../../../../harness/conform/run-command.js';
import { createGroupModel } from '../../../../models/group.js';
import { serverMachine } from '../../../../models/server-machine.js';
import { capturedRun } from './captured-run.js';
import { handPlan, type HandPath } from './hand-plan.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sanspec-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Captured output of one command. */
const run = (options: RunCommandOptions, env: RunCommandEnvironment = {}) => capturedRun(options, dir, env);

/** A plan file of hand-written paths. */
async function planFile(paths: HandPath[]): Promise<string> {
  const file = join(dir, 'plan.json');
  await writeFile(file, JSON.stringify(handPlan(paths)));
  return file;
}

const crashPath: HandPath = {
  name: 'crash-restart',
  spec: ['SRV-10', 'SRV-11'],
  steps: ['crash s1', 'powerOn s1', 'start s1', 'recoveryComplete m1'],
};
const stopPath: HandPath = { name: 'stop-start', spec: ['SRV-1', 'SRV-7'], steps: ['stop s1', 'start s1'] };

describe('sanspec run: exit codes and output', () => {
  it('a plan the model adapter passes exits 0 with the summary per SPEC ID', async () => {
    const r = await run({ adapter: 'model', plan: await planFile([stopPath, crashPath]) });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/^SPEC ID +paths +passed +failed +n\/a$/m);
    expect(r.out).toMatch(/^SRV-1 +1 +1 +0 +0$/m);
    expect(r.out).toMatch(/^SRV-10 +1 +1 +0 +0$/m);
    expect(r.out).toMatch(/2 path\(s\): 2 passed, 0 failed, 0 not applicable/);
    // No terminal: progress lines only (none for a run this short), never a bar's escape codes.
    expect(r.err).not.toContain(String.fromCharCode(27));
  });

  it('CF-1 a deliberately wrong model prediction exits 1 with a readable failure naming CF-1 and the field', async () => {
    // This model believes a crashed server comes back running after power-on (SRV-10 broken).
    const autoStarting = serverMachine.provide({ guards: { resumesRunning: () => true } });
    const r = await run(
      { adapter: 'model', plan: await planFile([crashPath]) },
      { model: (t) => createGroupModel(t, { server: autoStarting }) },
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAILED hand-crash-restart {2}\[SRV-10 SRV-11\]$/m);
    expect(r.out).toMatch(/^ {2}CF-1 \(the reported status equals the model prediction\)$/m);
    expect(r.out).toMatch(/^ {2}at step 2: the reported status did not reach the model's prediction within 300 ms/m);
    expect(r.out).toMatch(/^ {4}servers\[s1\]\.state: expected running, observed stopped$/m);
    expect(r.out).toMatch(/^ {2}> {3}2\. powerOn s1 +accepted {3}<- broke here$/m);
  });

  it('DS-1 a system that drops an acknowledged write exits 1 with a failure naming the block and the write', async () => {
    const config = join(dir, 'lies.json');
    await writeFile(config, JSON.stringify({ lies: { dropWrite: { vdisk: 'm1', nth: 1 } } }));
    const r = await run({ adapter: 'model', adapterConfig: config, plan: await planFile([stopPath]) });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^ {2}DS-1 \(graceful operations lose no acknowledged write\)$/m);
    const m = /m1: lost acknowledged write: block (\d+) reads zeros, but write 1 was acknowledged/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    expect(r.out).toContain(`m1 block ${m![1]}: found zeros (final read, DS-1); allowed: write 1`);
    expect(r.out).toMatch(new RegExp(`#1 write block ${m![1]} = 1 ok`));
  });

  it('--report DIR writes report.json, its schema, junit.xml, report.html, a file and a replay file per failure; --json prints the report', async () => {
    const report = join(dir, 'report');
    const config = join(dir, 'lies.json');
    await writeFile(config, JSON.stringify({ lies: { wrongRefusalCode: true } }));
    const r = await run({
      adapter: 'model',
      adapterConfig: config,
      plan: await planFile([stopPath, { name: 'refused', spec: ['SRV-12'], steps: ['start s1'] }]),
      report,
      json: true,
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).totals).toMatchObject({ paths: 2, passed: 1, failed: 1 });
    expect((await readdir(report)).sort()).toEqual(['failures', 'junit.xml', 'report.html', 'report.json', 'report.schema.json']);
    expect((await readdir(join(report, 'failures'))).sort()).toEqual(['hand-refused.replay.json', 'hand-refused.txt']);
  });

  it('SANSPEC_INTERRUPTED an interrupted run exits 130 and says everything it opened was closed', async () => {
    const controller = new AbortController();
    controller.abort();
    const r = await run({ adapter: 'model', plan: await planFile([stopPath]) }, { signal: controller.signal });
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/SANSPEC_INTERRUPTED: the run was interrupted after 0 of 1 path\(s\); every system it opened was closed/);
  });

  it('an injected planner is used with the topology, criterion, seed and shard given', async () => {
    const calls: unknown[] = [];
    const r = await run(
      { adapter: 'model', criterion: 'depth:2', seed: '7', shard: '1/2' },
      {
        createPlan: (topology, criterion, options) => {
          calls.push({ topology: topology.name, criterion, options });
          return { ...handPlan([stopPath]), shard: options.shard ?? null };
        },
      },
    );
    expect(r.code, r.err).toBe(0);
    expect(calls).toEqual([{ topology: 'conformance', criterion: 'depth:2', options: { seed: 7, shard: { index: 1, count: 2 } } }]);
  });
});

describe('sanspec run: bad usage exits 2', () => {
  it.each([
    [{ backend: 'tape' }, /USAGE_BAD_ARGUMENT: --backend must be file or loop/],
    [{ shard: '3/2' }, /USAGE_BAD_ARGUMENT: bad shard "3\/2": use I\/N with 1 <= I <= N/],
    [{ jobs: '0' }, /USAGE_BAD_ARGUMENT: --jobs must be a positive integer/],
    [{ seed: 'x' }, /USAGE_BAD_ARGUMENT: --seed must be an integer from 0 to 4294967295/],
    [{ topology: 'moon' }, /USAGE_BAD_ARGUMENT: unknown topology "moon"/],
    [{ plan: '/nonexistent/plan.json' }, /SANSPEC_BAD_PLAN: cannot read plan file \/nonexistent\/plan.json: ENOENT/],
    [{ adapter: 'vendor-x', plan: 'PLAN' }, /USAGE_BAD_ARGUMENT: unknown adapter "vendor-x": use one of model/],
    [
      { adapter: 'model', adapterConfig: '/nonexistent.json', plan: 'PLAN' },
      /SANSPEC_BAD_ADAPTER_CONFIG: cannot read the model adapter configuration/,
    ],
    [{ plan: 'PLAN', criterion: 'states' }, /--plan and --criterion exclude each other/],
  ] as Array<[RunCommandOptions, RegExp]>)('%j', async (options, message) => {
    const plan = options.plan === 'PLAN' ? await planFile([stopPath]) : options.plan;
    const r = await run({ ...options, ...(plan ? { plan } : {}) }, { createPlan: () => handPlan([stopPath]) });
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('a plan file with an event outside its topology is SANSPEC_BAD_PLAN, naming the path and step', async () => {
    const file = join(dir, 'bad-plan.json');
    const plan = handPlan([stopPath]);
    await writeFile(file, JSON.stringify({ ...plan, paths: [{ ...plan.paths[0], steps: [{ event: { type: 'stop', server: 's9' } }] }] }));
    const r = await run({ adapter: 'model', plan: file });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /SANSPEC_BAD_PLAN: .*bad-plan.json is not a valid plan:\n {2}paths\[0\]\.steps\[0\]\.event \(path hand-stop-start, step 1\): \{"type":"stop","server":"s9"\} is not an event of topology conformance/,
    );
  });
});
