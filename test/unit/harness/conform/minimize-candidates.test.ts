// Model-guided candidates of the minimizer (issue 10): shortcuts (the model's shortest path to the
// state a failing path reached after one of its steps, then the rest of the path) and single-step
// removals ordered by how likely the model says they are removable. Played against the model
// adapter's lies: the shortcut that shows a lie is the first candidate run, so a long detour costs
// one or two runs instead of a delta-debugging search.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelAdapterOptions } from '../../../../adapters/model/index.js';
import { eventLabel } from '../../../../harness/check/format.js';
import { refusedSteps, removalOrder, shortcuts } from '../../../../harness/conform/minimize.js';
import type { PlanStep } from '../../../../harness/plan/types.js';
import { shortestShowingIn } from '../../../../harness/plan/shortest-showing.js';
import { createGroupModel, type GroupModel } from '../../../../models/group.js';
import { conformanceTopology } from '../../../../models/topology.js';
import { type HandPath, handPath } from './hand-plan.js';
import { runMinimized } from './run-minimized.js';

const runMinimizedIn = (path: HandPath, adapter: ModelAdapterOptions) => runMinimized(path, adapter, dir, 1);

const topology = conformanceTopology();
const model = createGroupModel(topology);

/** The model state key after `steps` (refused steps change nothing). */
function finalKey(m: GroupModel, steps: readonly PlanStep[]): string {
  let state = m.initial;
  for (const s of steps) {
    const r = m.step(state, s.event);
    if (!r.refusal) state = r.state;
  }
  return m.key(state);
}

/** A detour of link and restart steps that ends where it began, then the one stop that shows the lie. */
const detour: HandPath = {
  name: 'detour',
  spec: ['SRV-1'],
  steps: ['linkDown s1-s2', 'linkUp s1-s2', 'recoveryComplete m1', 'restart s2', 'recoveryComplete m1', 'write v1', 'stop s1'],
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sanspec-candidates-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('model-guided minimization candidates', { timeout: 60_000 }, () => {
  it('CF-1 shortcuts of a failing path are shorter, shortest first, exact ones end in the same model state, the first is the shortest path that shows the lie', () => {
    const path = handPath(detour);
    const candidates = shortcuts(model, path.steps);
    const all = path.steps.map((_, i) => i);
    expect(candidates.length).toBeGreaterThan(0);
    const lengths = candidates.map((c) => c.length);
    expect(lengths).toEqual([...lengths].sort((a, b) => a - b));
    const labels = new Set<string>();
    for (const c of candidates) {
      const steps = [...c.prefix, ...path.steps.slice(c.keep)];
      expect(steps).toHaveLength(c.length);
      expect(c.length).toBeLessThan(path.steps.length);
      // The model accepts the prefix step by step, refuses no kept step it did not refuse in the
      // path, and the kept steps end where the path ended.
      const originallyRefused = refusedSteps(model, path, all);
      for (const i of refusedSteps(
        model,
        { ...path, steps },
        steps.map((_, k) => k),
      )) {
        expect(i).toBeGreaterThanOrEqual(c.prefix.length);
        expect(originallyRefused.has(c.keep + i - c.prefix.length)).toBe(true);
      }
      // Exact shortcuts end where the path ended; loose ones reach a state that takes the first kept step.
      if (c.exact) expect(finalKey(model, steps)).toBe(finalKey(model, path.steps));
      labels.add(steps.map((s) => eventLabel(s.event)).join('; '));
    }
    expect(labels.size).toBe(candidates.length);
    // The shortest path after which the model says a server is down: what the lie needs.
    const shortest = shortestShowingIn(topology, (s) => !s.refused && s.after.servers.some((x) => x.state !== 'running'));
    const first = candidates[0]!;
    expect([...first.prefix, ...path.steps.slice(first.keep)].map((s) => eventLabel(s.event))).toEqual(shortest!.map(eventLabel));
  });

  it('DS-6 a loose shortcut replaces a crash and power-on by the nearest state in which the next kept step is taken, keeping the overlapping writes', () => {
    const path = handPath({ name: 'crash', spec: ['DS-6'], steps: ['~crash s1', 'powerOn s1', 'start s1', 'write m1'] });
    const loose = shortcuts(model, path.steps).filter((c) => !c.exact);
    expect(loose.length).toBeGreaterThan(0);
    for (const c of loose) {
      // The prefix is the model's shortest way to a state that accepts the first kept step.
      const kept = path.steps[c.keep]!.event;
      let state = model.initial;
      for (const s of c.prefix) state = model.step(state, s.event).state;
      expect(model.step(state, kept).refusal).toBeNull();
      const shorter = shortestShowingIn(topology, (s) => !s.refused && eventLabel(s.event) === eventLabel(kept));
      expect(c.prefix.length).toBe(shorter!.length - 1);
    }
    // start s1 needs s1 stopped: one stop instead of a crash and a power-on, with the crash's overlapping writes.
    const start = loose.find((c) => eventLabel(path.steps[c.keep]!.event) === 'start s1');
    expect(start?.prefix.map((s) => `${s.overlapIo ? '~' : ''}${eventLabel(s.event)}`)).toEqual([
      `~${eventLabel(start!.prefix[0]!.event)}`,
    ]);
    expect(start!.length).toBeLessThan(path.steps.length);
  });

  it('DS-6 a recovery that copies nothing, found after a crash, is minimized through a loose shortcut to a path without the crash', async () => {
    const crash: HandPath = { name: 'crash', spec: ['DS-6'], steps: ['~crash s1', 'powerOn s1', 'start s1', 'recoveryComplete m1'] };
    const r = await runMinimizedIn(crash, { lies: { recoveryCopiesNothing: true } });
    expect(r.failure?.rule).toBe('DS-6');
    const m = r.minimized!;
    expect(m.failure.rule).toBe('DS-6');
    expect(m.path.steps.length).toBeLessThan(crash.steps.length);
    expect(m.path.steps.map((s) => s.event.type)).not.toContain('crash');
    expect(m.reproduction.verdict).toBe('deterministic');
  });

  it('CF-1 a lie behind a long detour is minimized by the first shortcut, in fewer candidate runs than the path has steps', async () => {
    const r = await runMinimizedIn(detour, { lies: { reportStoppedPathsOnline: true } });
    expect(r.failure).toMatchObject({ rule: 'CF-1', step: detour.steps.length - 1 });
    const m = r.minimized!;
    expect(m.path.steps.map((s) => eventLabel(s.event))).toEqual(['stop s1']);
    expect(m.failure.rule).toBe('CF-1');
    expect(m.candidateRuns).toBeLessThan(detour.steps.length);
    expect(m.reproduction.verdict).toBe('deterministic');
  });

  it('DS-1 removals the model says keep the failing state come first; removals after which the model refuses a step it accepted are never tried', () => {
    const path = handPath({
      name: 'removals',
      spec: ['DS-1'],
      steps: ['stop s2', 'stop s2', 'write v1', 'start s2', 'recoveryComplete m1', 'write m1'],
    });
    const all = path.steps.map((_, i) => i);
    const refused = refusedSteps(model, path, all);
    const order = removalOrder(
      model,
      path.steps,
      all.map((i) => refused.has(i)),
    );
    const whole = finalKey(model, path.steps);
    const without = (i: number) => path.steps.filter((_, j) => j !== i);
    const newlyRefused = (i: number) =>
      [...refusedSteps(model, { ...path, steps: without(i) }, all.slice(0, -1))].some((k) => !refused.has(k < i ? k : k + 1));
    // Every removal the model allows is there exactly once, and no other.
    expect([...order].sort()).toEqual(all.filter((i) => !newlyRefused(i)));
    // The step the model refused (the second stop) first; then those leaving the final state as it was; then the rest.
    expect(refused.size).toBeGreaterThan(0);
    const rank = (i: number) => (refused.has(i) ? 0 : finalKey(model, without(i)) === whole ? 1 : 2);
    const ranks = order.map(rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(order[0]).toBe([...refused][0]);
  });

  it('DS-1 a write dropped by the lie, after a detour, is minimized to one step by shortcuts and removals', async () => {
    // The third write to m1 is dropped: the initial state's checks write twice, the first step's checks once more.
    const r = await runMinimizedIn(
      {
        name: 'drop',
        spec: ['DS-1'],
        steps: ['stop s2', 'start s2', 'recoveryComplete m1', 'linkDown s1-s2', 'linkUp s1-s2', 'recoveryComplete m1'],
      },
      { lies: { dropWrite: { vdisk: 'm1', nth: 3 } } },
    );
    expect(r.failure?.rule).toBe('DS-1');
    const m = r.minimized!;
    expect(m.failure.rule).toBe('DS-1');
    expect(m.path.steps).toHaveLength(1);
    expect(m.reproduction.verdict).toBe('deterministic');
  });
});
