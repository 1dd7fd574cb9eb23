import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlan } from '../../../../harness/plan/create-plan.js';
import { loadPlan, savePlan } from '../../../../harness/plan/plan-file.js';
import { PlanSchema } from '../../../../harness/plan/plan-schema.js';
import type { Plan } from '../../../../harness/plan/types.js';
import { smallTopology } from './replay-plan.js';

describe('plan files', () => {
  let dir: string;
  let plan: Plan;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sanspec-plan-'));
    plan = createPlan(smallTopology(), 'components');
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes the plan as JSON after `edit` changed a copy of it; returns the file. */
  // biome-ignore lint/suspicious/noExplicitAny: the edits break the plan's types on purpose
  const edited = (name: string, edit: (p: any) => void) => {
    const copy = JSON.parse(JSON.stringify(plan));
    edit(copy);
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(copy));
    return file;
  };
  const loadError = (file: string) => {
    try {
      loadPlan(file);
    } catch (error) {
      return error as Error & { code: string; details: unknown };
    }
    throw new Error(`${file} loaded without an error`);
  };

  it('round-trips: a saved plan loads equal, one step per line', () => {
    const file = join(dir, 'plan.json');
    savePlan(file, plan);
    expect(loadPlan(file)).toEqual(plan);
    const text = readFileSync(file, 'utf8');
    const steps = plan.paths.reduce((n, p) => n + p.steps.length, 0);
    expect(text.split('\n').filter((l) => l.trimStart().startsWith('{"event":')).length).toBe(steps);
  });

  it('is valid under the published JSON Schema (draft 2020-12)', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(PlanSchema);
    expect(validate(JSON.parse(JSON.stringify(plan))), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects a plan whose shape is wrong, naming the field', () => {
    const e = loadError(
      edited('bad-shape.json', (p) => {
        p.paths[1].steps[0].overlapIo = 'yes';
      }),
    );
    expect(e.code).toBe('SANSPEC_BAD_PLAN');
    expect(e.message).toContain('paths[1].steps[0].overlapIo');
    expect(loadError(edited('no-id.json', (p) => delete p.paths[2].id)).message).toContain('paths[2]');
    expect(loadError(edited('version.json', (p) => (p.version = 2))).message).toContain('version');
  });

  it('rejects a step whose event the topology does not have, naming the path and the step', () => {
    const e = loadError(
      edited('bad-event.json', (p) => {
        p.paths[0].steps[1].event = { type: 'stop', server: 's9' };
      }),
    );
    expect(e.code).toBe('SANSPEC_BAD_PLAN');
    expect(e.message).toContain(`path ${plan.paths[0]!.id}, step 2`);
    expect(e.message).toContain('"s9"');
    const excluded = loadError(
      edited('excluded-event.json', (p) => {
        p.paths[0].steps[0].event = { type: 'shutdown', server: 's1' };
      }),
    );
    expect(excluded.message).toMatch(/event type "shutdown" is not in the alphabet of topology small/);
  });

  it('rejects an invalid topology, naming its field', () => {
    const e = loadError(edited('bad-topology.json', (p) => (p.topology.servers = p.topology.servers.slice(0, 1))));
    expect(e.code).toBe('SANSPEC_BAD_PLAN');
    expect(e.message).toContain('topology.servers');
    const copies = loadError(edited('bad-copies.json', (p) => (p.topology.virtualDisks[0].copies = ['s1', 's7'])));
    expect(copies.message).toContain('topology.virtualDisks[0].copies[1]');
  });

  it('rejects duplicate path IDs, a bad criterion, JSON that does not parse and a missing file', () => {
    expect(loadError(edited('dup.json', (p) => (p.paths[1].id = p.paths[0].id))).message).toMatch(
      /paths\[1\]\.id: path ID .* is used twice/,
    );
    expect(loadError(edited('criterion.json', (p) => (p.criterion = 'everything'))).message).toContain('criterion');
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"version": 1,');
    expect(loadError(broken)).toMatchObject({ code: 'SANSPEC_BAD_PLAN', message: expect.stringContaining('not valid JSON') });
    expect(loadError(join(dir, 'missing.json'))).toMatchObject({ code: 'SANSPEC_BAD_PLAN', message: expect.stringContaining('ENOENT') });
  });
});
