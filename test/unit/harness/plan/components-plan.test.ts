import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventLabel } from '../../../../harness/check/format.js';
import { createPlan } from '../../../../harness/plan/create-plan.js';
import { unexercisableSpecIds } from '../../../../harness/plan/spec-ids.js';
import type { Plan, PlanPath } from '../../../../harness/plan/types.js';
import { createGroupModel } from '../../../../models/group.js';
import { conformanceTopology, defaultTopology } from '../../../../models/topology.js';
import type { Topology } from '../../../../models/types.js';
import { allComponentTransitions, healProblems, planComponentTransitions, smallTopology, replayPath } from './replay-plan.js';

const labels = (p: PlanPath) => p.steps.map((s) => `${eventLabel(s.event)}${s.overlapIo ? ' +io' : ''}`);
const seedPath = (plan: Plan, name: string) => {
  const p = plan.paths.find((x) => x.covers[0] === `seed: ${name}`);
  expect(
    p,
    `seed case "${name}" among ${plan.paths.flatMap((x) => x.covers.filter((c) => c.startsWith('seed: '))).join(' | ')}`,
  ).toBeDefined();
  return p!;
};
/** Labels of a path before its heal suffix. */
const body = (p: PlanPath) => {
  const heal = p.steps.findIndex((s) => s.note === 'heal');
  return labels(p).slice(0, heal < 0 ? p.steps.length : heal);
};

/** Every SPEC ID of the catalogue. */
const catalogue = () => [...readFileSync('docs/spec.md', 'utf8').matchAll(/^- ([A-Z]+-\d+) /gm)].map((m) => m[1]!);

describe('components plan of the default topology', () => {
  let plan: Plan;
  beforeAll(() => {
    plan = createPlan(defaultTopology(), 'components', { seed: 1 });
  });

  it('takes every component status transition and every refusal of the composed model, recounted from the model', () => {
    const model = createGroupModel(defaultTopology());
    const { transitions: all, refusals } = allComponentTransitions(model);
    const taken = planComponentTransitions(plan);
    expect([...all].filter((t) => !taken.transitions.has(t)).slice(0, 10)).toEqual([]);
    expect([...refusals].filter((t) => !taken.refusals.has(t))).toEqual([]);
    expect(plan.coverage.goal).toBe(all.size + refusals.size);
    expect(plan.coverage.covered).toBe(plan.coverage.goal);
    expect(plan.coverage.uncovered).toEqual([]);
  });

  it('covers them with few, reasonably long paths', () => {
    const bodies = plan.paths.filter((p) => !p.covers[0]?.startsWith('seed: ')).map((p) => p.steps.filter((s) => s.note !== 'heal').length);
    const mean = bodies.reduce((a, b) => a + b, 0) / bodies.length;
    expect(mean).toBeGreaterThan(12);
    expect(Math.max(...bodies)).toBeLessThanOrEqual(plan.maxPathLength! + 10);
  });

  it('ends every path healed by the fewest repairs, forcing a copy only where nothing else heals', () => {
    expect(healProblems(plan)).toEqual([]);
  });

  it('plays the seed page cases, each as its own named path', () => {
    for (const s of ['s1', 's2']) {
      const alone = body(seedPath(plan, `${s} stopped alone while hosts write`));
      expect(alone).toContain(`stop ${s} +io`);
      expect(alone.slice(alone.indexOf(`stop ${s} +io`))).toContain('write m1');
      expect(alone).toContain(`start ${s}`);
      const crashed = body(seedPath(plan, `${s} crashed while hosts write`));
      expect(crashed).toEqual(expect.arrayContaining(['flush m1', `crash ${s} +io`, `powerOn ${s}`, `start ${s}`]));
    }
    for (const [a, b] of [
      ['s1', 's2'],
      ['s2', 's1'],
    ]) {
      for (const [x, y] of [
        [a, b],
        [b, a],
      ]) {
        const p = body(
          seedPath(
            plan,
            `${a} then ${b} stopped, started ${x} then ${y} (${x === b ? 'last stopped first, the best practice' : 'first stopped first'})`,
          ),
        );
        const order = p.filter((l) => /^(stop|start) /.test(l));
        expect(order).toEqual([`stop ${a} +io`, `stop ${b} +io`, `start ${x}`, `start ${y}`]);
      }
    }
    const site = body(seedPath(plan, 'every server crashed at once (site crash), powered on and forced'));
    expect(site).toEqual(expect.arrayContaining(['siteCrash +io', 'powerOn s1', 'powerOn s2', 'forceMirrorRecovery m1 --copy s1']));
    const forced = body(seedPath(plan, 'Force Mirror Recovery of the older copy of m1 on s1 while s2, holding the newer one, is down'));
    expect(forced.indexOf('forceMirrorRecovery m1 --copy s1')).toBeLessThan(forced.indexOf('start s2'));
    expect(
      body(seedPath(plan, 'the recommended sequence: stop and shut down s1, then s2; power up and start s2, then s1')).filter(
        (l) => !l.startsWith('write'),
      ),
    ).toEqual(['stop s1 +io', 'shutdown s1', 'stop s2 +io', 'shutdown s2', 'powerOn s2', 'start s2', 'powerOn s1', 'start s1']);
  });

  it('writes every virtual disk in every path, and plans writes in flight during some stops and crashes', () => {
    const model = createGroupModel(defaultTopology());
    for (const p of plan.paths) {
      const written = new Set(replayPath(model, p).flatMap((s) => (s.event.type === 'write' && !s.refused ? [s.event.vdisk] : [])));
      expect([...written].sort(), p.id).toEqual(['m1', 'v1', 'v2']);
    }
    const overlapped = plan.paths.flatMap((p) => p.steps.filter((s) => s.overlapIo).map((s) => s.event.type));
    expect(overlapped).toEqual(expect.arrayContaining(['stop', 'crash', 'siteCrash', 'shutdown', 'restart']));
    for (const type of overlapped) expect(['stop', 'crash', 'siteCrash', 'shutdown', 'restart', 'batteryLow']).toContain(type);
    const greedy = plan.paths.filter((p) => !p.covers[0]?.startsWith('seed: '));
    const takedowns = greedy.flatMap((p) => p.steps.filter((s) => ['stop', 'crash'].includes(s.event.type)));
    expect(takedowns.some((s) => s.overlapIo)).toBe(true);
    expect(takedowns.some((s) => !s.overlapIo)).toBe(true);
  });

  it('completes every recovery it starts with an explicit recoveryComplete step', () => {
    const model = createGroupModel(defaultTopology());
    for (const p of plan.paths) {
      const steps = replayPath(model, p);
      steps.forEach((s, i) => {
        for (const v of s.after.virtualDisks) {
          if (!v.copies.some((c) => c.dataStatus === 'inLogRecovery' || c.dataStatus === 'inFullRecovery')) continue;
          const later = steps.slice(i + 1).some((x) => x.event.type === 'recoveryComplete' && x.event.vdisk === v.name && !x.refused);
          expect(later, `${p.id} step ${i + 1}: recovery of ${v.name} never completes`).toBe(true);
        }
      });
    }
  });

  it('is the same plan, with the same path IDs, for the same seed', () => {
    const again = createPlan(defaultTopology(), 'components', { seed: 1 });
    expect(again).toEqual(plan);
    expect(new Set(plan.paths.map((p) => p.id)).size).toBe(plan.paths.length);
    for (const p of plan.paths) expect(p.id).toMatch(/^components-[0-9a-f]{8}(-\d+)?$/);
  });
});

describe('components plan of a topology that lacks events', () => {
  it('skips the seed cases it cannot play, and says why', () => {
    const t: Topology = { ...smallTopology(), name: 'no-site-crash', exclude: [...smallTopology().exclude!, 'siteCrash'] };
    const plan = createPlan(t, 'components');
    // The small topology has no shutdown either, so the seed page's recommended sequence goes too.
    expect(plan.coverage.skipped).toEqual([
      expect.stringMatching(/^skipped the recommended sequence: .*: the topology has no shutdown s1, shutdown s2$/),
      expect.stringMatching(/^skipped every server crashed at once .*: the topology has no siteCrash$/),
    ]);
    expect(plan.paths.some((p) => p.steps.some((s) => s.event.type === 'siteCrash'))).toBe(false);
    expect(plan.coverage.covered).toBe(plan.coverage.goal);
  });
});

describe('components plan of the conformance topology', () => {
  let plan: Plan;
  beforeAll(() => {
    plan = createPlan(conformanceTopology(), 'components');
  }, 60_000);

  it('plays the UPS seed cases on each server', () => {
    for (const s of ['s1', 's2']) {
      expect(body(seedPath(plan, `${s} on battery, then mains restored`))).toEqual(
        expect.arrayContaining([`onBattery ${s}`, `mainsRestored ${s}`]),
      );
      const low = body(seedPath(plan, `${s} battery low: graceful stop and failover`));
      expect(low).toEqual(expect.arrayContaining([`onBattery ${s}`, `batteryLow ${s} +io`, `mainsRestored ${s}`, `start ${s}`]));
    }
  });

  it('ends every path healed', () => {
    expect(healProblems(plan)).toEqual([]);
  });

  it('exercises every SPEC ID of docs/spec.md the topology can exercise (all but the opt-in backend pools, SRV-14)', () => {
    const ids = catalogue();
    expect(ids.length).toBeGreaterThan(40);
    const exercised = new Set(plan.paths.flatMap((p) => p.spec));
    expect(unexercisableSpecIds(conformanceTopology()).map((c) => c.id)).toEqual(['SRV-14']);
    expect(ids.filter((id) => !exercised.has(id))).toEqual(['SRV-14']);
    expect([...exercised].filter((id) => !ids.includes(id))).toEqual([]);
  });
});

describe('components plan of a small topology', () => {
  it('exercises every SPEC ID except the ones it cannot, which are listed with a reason', () => {
    const plan = createPlan(smallTopology(), 'components');
    const exercised = new Set(plan.paths.flatMap((p) => p.spec));
    const cannot = unexercisableSpecIds(smallTopology());
    expect(cannot.map((c) => c.id).sort()).toEqual(['SRV-13', 'SRV-14', 'SRV-4', 'SRV-6', 'SRV-8', 'SRV-9', 'VD-1', 'VD-2']);
    for (const c of cannot) expect(c.reason).not.toBe('');
    expect(catalogue().filter((id) => !exercised.has(id) && !cannot.some((c) => c.id === id))).toEqual([]);
    expect(cannot.filter((c) => exercised.has(c.id))).toEqual([]);
  });
});
