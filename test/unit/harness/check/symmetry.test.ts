// Symmetry reduction (issue 9, models/symmetry.ts): a topology that declares interchangeable
// servers and disks is explored one state per class of renamed states. The reduced check must
// reach the same verdicts, with real traces, and count every state the full check counts.
import { assign } from 'xstate';
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../../harness/check/check-model.js';
import { eventLabel } from '../../../../harness/check/format.js';
import { createGroupModel, type GroupMachines } from '../../../../models/group.js';
import { groupStatus } from '../../../../models/status.js';
import { mirrorMachine } from '../../../../models/mirror-machine.js';
import { fourServerTopology, TopologyError, topologyProblems } from '../../../../models/topology.js';
import type { GroupEventType, Topology } from '../../../../models/types.js';

/**
 * Two interchangeable mirror pairs, as four-servers, with fewer event types so that the full
 * state space is small enough to explore twice in a unit test.
 */
function twoPairs(): Topology {
  const exclude: GroupEventType[] = ['setCache', 'shutdown', 'restart', 'flush', 'siteCrash'];
  return { ...fourServerTopology(), name: 'two-pairs', exclude };
}

const check = (t: Topology, symmetry: boolean, machines: Partial<GroupMachines> = {}, stopAt?: string[]) =>
  checkModel(createGroupModel(t, machines), { symmetry, stopAt, maxStates: 1_000_000 });

describe('symmetry reduction', () => {
  it('two interchangeable mirror pairs: the reduced check finds every property holding (MIR-9 per mirror) and counts every state of the full one', () => {
    const reduced = check(twoPairs(), true);
    const full = check(twoPairs(), false);
    expect(reduced.violations.map((v) => v.invariant)).toEqual([]);
    expect(full.violations.map((v) => v.invariant)).toEqual([]);
    expect(reduced.symmetry).toEqual({ renamings: 2, fullStates: full.states, fullExploredStates: full.exploredStates });
    // Mirror-image states are explored once: about half of them (symmetric states count once).
    expect(reduced.exploredStates).toBeLessThan(full.exploredStates * 0.6);
    expect(reduced.exploredStates).toBeGreaterThan(full.exploredStates * 0.5);
  });

  it('MIR-13 split brain in either mirror pair is found with a real shortest trace under reduction', () => {
    const rejoinsBlindly = mirrorMachine.provide({
      actions: {
        rejoin: assign(({ context, event }) =>
          event.type === 'copyUp' ? { copies: context.copies.map((c) => (c.server === event.server ? { ...c, up: true } : c)) } : {},
        ),
      },
    });
    const find = (symmetry: boolean) =>
      check(twoPairs(), symmetry, { mirror: rejoinsBlindly }, ['no-split-brain']).violations.find((v) => v.invariant === 'no-split-brain');
    const reduced = find(true);
    const full = find(false);
    expect(reduced, 'the reduced check misses the split brain').toBeDefined();
    expect(reduced!.trace.length).toBe(full!.trace.length);
    // The trace is real: replayed on the model from the initial state, every step shows the status it reports.
    const model = createGroupModel(twoPairs(), { mirror: rejoinsBlindly });
    let state = model.initial;
    for (const step of reduced!.trace.slice(1)) {
      const r = model.step(state, step.event!);
      expect(r.refusal, `${eventLabel(step.event!)} is refused on replay`).toBeNull();
      state = r.state;
      expect(groupStatus(model, state)).toEqual(step.status);
    }
  });

  it('a declared renaming that does not map the topology onto itself is refused, naming the field', () => {
    const t = fourServerTopology();
    // s1 and s3 swapped without their partners: m1 (s1, s2) would become (s3, s2), no such disk.
    const bad = { ...t, symmetry: [{ s1: 's3', s3: 's1' }] };
    const problems = topologyProblems(bad);
    expect(problems.map((p) => p.field)).toContain('symmetry[0].m1');
    expect(() => createGroupModel(bad)).toThrow(TopologyError);
    const wrongKind = { ...t, symmetry: [{ s1: 'h1', h1: 's1' }] };
    expect(topologyProblems(wrongKind)[0]).toMatchObject({ field: 'symmetry[0].s1', problem: expect.stringMatching(/not a server/) });
  });
});
