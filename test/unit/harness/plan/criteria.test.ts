import { describe, expect, it } from 'vitest';
import { eventLabel } from '../../../../harness/check/format.js';
import { explore } from '../../../../harness/explore/explore.js';
import { createPlan } from '../../../../harness/plan/create-plan.js';
import { parseCriterion } from '../../../../harness/plan/criterion.js';
import { pathId } from '../../../../harness/plan/path-id.js';
import { PlanError } from '../../../../harness/plan/plan-error.js';
import type { Plan, PlanPath } from '../../../../harness/plan/types.js';
import { createGroupModel } from '../../../../models/group.js';
import { defaultTopology } from '../../../../models/topology.js';
import { healProblems, replayPath, smallTopology } from './replay-plan.js';

const model = createGroupModel(smallTopology());
const bodyOf = (p: PlanPath) => p.steps.filter((s) => s.note !== 'heal');

/** Every reachable state, transition and pair of consecutive transitions of the small topology, by model key and event label. */
function explored() {
  const states = new Set<string>();
  const transitions = new Set<string>();
  const out = new Map<string, Array<{ label: string; to: string }>>();
  const keys: string[] = [];
  explore(model, {
    onState: (i, s) => {
      keys[i] = model.key(s);
      states.add(keys[i]!);
    },
    onTransition: (from, e, to) => {
      const label = eventLabel(model.alphabet[e]!);
      transitions.add(`${keys[from]} ${label}`);
      out.set(keys[from]!, [...(out.get(keys[from]!) ?? []), { label, to: keys[to]! }]);
    },
  });
  const pairs = new Set<string>();
  for (const [from, edges] of out) for (const a of edges) for (const b of out.get(a.to) ?? []) pairs.add(`${from} ${a.label} ${b.label}`);
  return { states, transitions, pairs };
}

/** What a plan's paths take, replayed on the model. */
function taken(plan: Plan) {
  const states = new Set<string>([model.key(model.initial)]);
  const transitions = new Set<string>();
  const pairs = new Set<string>();
  for (const p of plan.paths) {
    let last: { from: string; label: string } | null = null;
    for (const s of replayPath(model, p)) {
      if (s.refused) continue;
      const from = model.key(s.beforeState);
      const label = eventLabel(s.event);
      states.add(model.key(s.afterState));
      transitions.add(`${from} ${label}`);
      if (last) pairs.add(`${last.from} ${last.label} ${label}`);
      last = { from, label };
    }
  }
  return { states, transitions, pairs };
}

describe('graph criteria on a small topology', () => {
  const all = explored();

  it('states: visits every reachable state', () => {
    const plan = createPlan(smallTopology(), 'states');
    expect([...all.states].filter((s) => !taken(plan).states.has(s)).length).toBe(0);
    expect(plan.coverage).toMatchObject({ goal: all.states.size, covered: all.states.size });
    expect(healProblems(plan)).toEqual([]);
    expect(plan.paths.length).toBeLessThan(all.states.size / 5);
  });

  it('transitions: takes every composed transition', () => {
    const plan = createPlan(smallTopology(), 'transitions');
    const t = taken(plan);
    expect([...all.transitions].filter((x) => !t.transitions.has(x)).length).toBe(0);
    expect(plan.coverage).toMatchObject({ goal: all.transitions.size, covered: all.transitions.size });
    expect(healProblems(plan)).toEqual([]);
  });

  it('transition-pairs: takes every pair of consecutive transitions', () => {
    const plan = createPlan(smallTopology(), 'transition-pairs');
    const t = taken(plan);
    expect([...all.pairs].filter((x) => !t.pairs.has(x)).length).toBe(0);
    expect(plan.coverage).toMatchObject({ goal: all.pairs.size, covered: all.pairs.size });
    for (const p of plan.paths) expect(p.id).toMatch(/^pairs-[0-9a-f]{8}(-\d+)?$/);
  });
});

describe('depth:K', () => {
  it('plans every event sequence of length K exactly once, refused events included', () => {
    const plan = createPlan(smallTopology(), 'depth:2');
    const a = model.alphabet.map(eventLabel);
    const sequences = plan.paths.map((p) =>
      bodyOf(p)
        .map((s) => eventLabel(s.event))
        .join(', '),
    );
    const expected = a.flatMap((x) => a.map((y) => `${x}, ${y}`));
    expect(sequences.sort()).toEqual(expected.sort());
    expect(plan.coverage).toMatchObject({ unit: 'event sequences of length 2', goal: a.length ** 2, covered: a.length ** 2 });
    expect(healProblems(plan)).toEqual([]);
    // Refused steps are kept, and a path with one lists the refusal rule.
    const refused = plan.paths.filter((p) => replayPath(model, p).some((s) => s.refused));
    expect(refused.length).toBeGreaterThan(0);
    for (const p of refused) expect(p.spec).toContain('SRV-12');
  });

  it('refuses a K whose plan would be too large, with a usage code', () => {
    expect(() => createPlan(defaultTopology(), 'depth:6')).toThrow(
      expect.objectContaining({ code: 'USAGE_BAD_ARGUMENT', message: expect.stringMatching(/smaller K/) }),
    );
  });
});

describe('random:N', () => {
  it('is the same walks for the same seed, other walks for another seed', () => {
    const a = createPlan(smallTopology(), 'random:20', { seed: 7 });
    const b = createPlan(smallTopology(), 'random:20', { seed: 7 });
    const c = createPlan(smallTopology(), 'random:20', { seed: 8 });
    expect(b).toEqual(a);
    expect(c.paths.map((p) => p.id)).not.toEqual(a.paths.map((p) => p.id));
  });

  it('walks N times over enabled events only, each walk bounded and healed', () => {
    const plan = createPlan(smallTopology(), 'random:20', { seed: 3, maxPathLength: 12 });
    expect(plan.paths).toHaveLength(20);
    for (const p of plan.paths) {
      const body = bodyOf(p);
      expect(body.length).toBeGreaterThanOrEqual(1);
      expect(body.length).toBeLessThanOrEqual(12);
      expect(replayPath(model, { ...p, steps: body }).every((s) => s.refused === null)).toBe(true);
    }
    expect(healProblems(plan)).toEqual([]);
    expect(plan.coverage.unit).toBe('composed transitions');
    expect(plan.coverage.covered).toBe(taken(plan).transitions.size);
  });
});

describe('path IDs and sharding', () => {
  it('names each path by its criterion, topology and steps alone', () => {
    const plan = createPlan(smallTopology(), 'states');
    for (const p of plan.paths) expect(p.id.replace(/-\d+$/, '')).toBe(pathId('states', 'small', p.steps));
    expect(new Set(plan.paths.map((p) => p.id)).size).toBe(plan.paths.length);
  });

  it('deals the paths round-robin: the shards partition the plan, coverage stays the whole plan', () => {
    const whole = createPlan(smallTopology(), 'transitions');
    const shards = [1, 2, 3].map((index) => createPlan(smallTopology(), 'transitions', { shard: { index, count: 3 } }));
    whole.paths.forEach((p, i) => {
      expect(shards[i % 3]!.paths[Math.floor(i / 3)]).toEqual(p);
    });
    expect(shards.reduce((n, s) => n + s.paths.length, 0)).toBe(whole.paths.length);
    for (const [i, s] of shards.entries()) {
      expect(s.shard).toEqual({ index: i + 1, count: 3 });
      expect(s.coverage).toEqual(whole.coverage);
    }
  });

  it('refuses a shard that does not exist', () => {
    for (const shard of [
      { index: 0, count: 2 },
      { index: 3, count: 2 },
      { index: 1, count: 0 },
    ]) {
      expect(() => createPlan(smallTopology(), 'states', { shard })).toThrow(PlanError);
    }
  });
});

describe('criteria as typed', () => {
  it('parses every criterion and names what is accepted when one does not parse', () => {
    expect(parseCriterion('components')).toEqual({ kind: 'components' });
    expect(parseCriterion('transition-pairs')).toEqual({ kind: 'transition-pairs' });
    expect(parseCriterion('depth:3')).toEqual({ kind: 'depth', k: 3 });
    expect(parseCriterion('random:50')).toEqual({ kind: 'random', n: 50 });
    for (const bad of ['component', 'depth:0', 'depth:x', 'random:', 'random:-1']) {
      expect(() => parseCriterion(bad)).toThrow(
        expect.objectContaining({ code: 'USAGE_BAD_ARGUMENT', message: expect.stringContaining(bad) }),
      );
    }
  });
});
