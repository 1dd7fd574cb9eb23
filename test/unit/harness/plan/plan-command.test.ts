import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPlan, loadPlan } from '../../../../harness/plan/plan-file.js';
import { type PlanCommandOptions, planCommand } from '../../../../harness/plan/plan-command.js';
import { PlanError } from '../../../../harness/plan/plan-error.js';
import { codes } from '../../../../contracts/codes.js';
import { smallTopology } from './replay-plan.js';

describe('sanspec plan', () => {
  let dir: string;
  let small: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sanspec-plan-command-'));
    small = join(dir, 'small.json');
    writeFileSync(small, JSON.stringify(smallTopology()));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (options: PlanCommandOptions) => {
    let text = '';
    const code = await planCommand.run(options, { write: (s: string) => (text += s) });
    return { code, text };
  };
  const usageError = async (options: PlanCommandOptions) => {
    const error = await run(options).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PlanError);
    const code = (error as PlanError).code;
    expect(codes[code].kind).toBe('usage');
    return error as PlanError;
  };

  it('prints a summary: paths, steps, coverage and paths per SPEC ID', async () => {
    const { code, text } = await run({ criterion: 'depth:1', topology: small });
    expect(code).toBe(0);
    expect(text).toMatch(/^plan depth:1 on topology small, seed 1\n/);
    expect(text).toMatch(/ {2}paths {6}16\n/);
    expect(text).toMatch(/coverage {3}16 of 16 event sequences of length 1/);
    expect(text).toMatch(/paths per SPEC ID:\n/);
    expect(text).toMatch(/\bSRV-12 +\d+\b/);
    expect(text).toMatch(/\bCF-1 +16\b/);
  });

  it('writes the plan with --out, and prints the summary as JSON with --json', async () => {
    const out = join(dir, 'plan.json');
    const { text } = await run({ criterion: 'states', topology: small, shard: '2/3', seed: '5', out, json: true });
    const summary = JSON.parse(text);
    const plan = loadPlan(out);
    expect(summary).toMatchObject({
      criterion: 'states',
      topology: 'small',
      seed: 5,
      shard: { index: 2, count: 3 },
      out,
      paths: plan.paths.length,
    });
    expect(plan.shard).toEqual({ index: 2, count: 3 });
    expect(summary.steps).toBe(plan.paths.reduce((n, p) => n + p.steps.length, 0));
  });

  it('prints the plan as JSON with --json alone', async () => {
    const { text } = await run({ criterion: 'random:3', topology: small, json: true, maxPathLength: '6' });
    const plan = checkPlan(JSON.parse(text));
    expect(plan.paths).toHaveLength(3);
    expect(plan.maxPathLength).toBe(6);
  });

  it('refuses options that cannot run with a usage code naming the option', async () => {
    expect((await usageError({ criterion: 'everything', topology: small })).message).toContain('everything');
    expect((await usageError({ topology: 'nowhere' })).message).toMatch(/unknown topology "nowhere"/);
    expect((await usageError({ topology: small, shard: '3/2' })).message).toMatch(/shard "3\/2"/);
    expect((await usageError({ topology: small, shard: 'half' })).message).toMatch(/shard "half"/);
    expect((await usageError({ topology: small, seed: 'abc' })).message).toMatch(/--seed "abc"/);
    expect((await usageError({ topology: small, maxPathLength: '0' })).message).toMatch(/--max-path-length "0"/);
    expect((await usageError({ topology: small, criterion: 'depth:1', out: join(dir, 'no', 'such', 'dir.json') })).message).toMatch(
      /cannot write the plan/,
    );
    const bad = join(dir, 'bad-topology.json');
    writeFileSync(bad, JSON.stringify({ ...smallTopology(), servers: [] }));
    expect((await usageError({ topology: bad })).message).toMatch(/servers/);
  });

  it('declares its options as data for the command line', () => {
    expect(Object.keys(planCommand.options).sort()).toEqual(['criterion', 'json', 'maxPathLength', 'out', 'seed', 'shard', 'topology']);
    for (const o of Object.values(planCommand.options)) expect(o.description.length).toBeGreaterThan(10);
    expect(planCommand.examples.length).toBeGreaterThan(2);
  });
});
