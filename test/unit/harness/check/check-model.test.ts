import { assign } from 'xstate';
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../../harness/check/check-model.js';
import { eventLabel, formatViolation } from '../../../../harness/check/format.js';
import { createGroupModel, type GroupMachines } from '../../../../models/group.js';
import { mirrorMachine } from '../../../../models/mirror-machine.js';
import { serverMachine } from '../../../../models/server-machine.js';
import {
  defaultTopology,
  fourServerTopology,
  hostsTopology,
  namedTopologies,
  poolsTopology,
  threeServerTopology,
  upsTopology,
} from '../../../../models/topology.js';
import type { CheckReport } from '../../../../harness/types.js';

function check(machines: Partial<GroupMachines>, stopOnViolation = false, stopAt?: string[]) {
  return checkModel(createGroupModel(defaultTopology(), machines), { stopOnViolation, stopAt, maxStates: 300_000 });
}

function violation(report: CheckReport, id: string) {
  const v = report.violations.find((x) => x.invariant === id);
  expect(v, `expected a violation of ${id}, got ${report.violations.map((x) => x.invariant).join(', ') || 'none'}`).toBeDefined();
  return v!;
}

describe('model checker', () => {
  it('explores the default topology completely and finds every property holding (SRV, PRT, PTH, VD, MIR)', () => {
    const r = checkModel(createGroupModel(namedTopologies.default!()));
    expect(r.violations.map(formatViolation)).toEqual([]);
    expect(r.states).toBeGreaterThan(10_000);
    expect(r.unrecoverableStates).toBe(0);
    expect(r.invariants).toContain('recoverability');
  });

  it('explores the three-server topology completely (MIR-9 per mirror, SRV-10 automatic restart)', () => {
    const r = checkModel(createGroupModel(threeServerTopology()));
    expect(r.violations.map(formatViolation)).toEqual([]);
    expect(r.states).toBeGreaterThan(100_000);
  }, 600_000);

  it('explores the four-server topology completely, one state per pair of mirror images (MIR-11 site crash of both pairs)', () => {
    const r = checkModel(createGroupModel(fourServerTopology()));
    expect(r.violations.map(formatViolation)).toEqual([]);
    expect(r.complete).toBe(true);
    // Two interchangeable pairs: the classes explored are about half of the states there are.
    expect(r.symmetry!.fullStates).toBeGreaterThan(1.9 * r.states);
  }, 600_000);

  it('explores the UPS topology completely (SRV-13)', () => {
    const r = checkModel(createGroupModel(upsTopology()));
    expect(r.violations.map(formatViolation)).toEqual([]);
  }, 60_000);

  it('explores the opt-in topologies completely: host disconnects (PTH-1), backend pools (SRV-14), the forced record (MIR-11)', () => {
    for (const t of [hostsTopology(), poolsTopology()]) {
      const r = checkModel(createGroupModel(t));
      expect(r.violations.map(formatViolation), t.name).toEqual([]);
      expect(r.complete).toBe(true);
      expect(r.unrecoverableStates).toBe(0);
      expect(r.invariants).toEqual(
        expect.arrayContaining([
          'host-connection-follows-host-events',
          'no-io-without-pool',
          'start-needs-pool',
          'double-failure-needs-lost-writes',
          'forced-record-names-loss',
        ]),
      );
    }
  }, 60_000);

  it('SRV-10 catches a server that starts by itself after a crash, with the minimal trace', () => {
    const autoStarting = serverMachine.provide({ guards: { resumesRunning: () => true } });
    // Its restart counter grows without bound: stop at the first violation.
    const r = check({ server: autoStarting }, true);
    expect(r.complete).toBe(false);
    const v = violation(r, 'no-auto-start-after-crash');
    expect(v.trace.slice(1).map((t) => eventLabel(t.event!))).toEqual(['crash s1', 'powerOn s1']);
    expect(v.trace.at(-1)!.status.servers[0]).toMatchObject({ name: 's1', state: 'running' });
    expect(formatViolation(v)).toMatch(/crash s1[\s\S]*powerOn s1[\s\S]*s1:running/);
  });

  it('MIR-9 catches a mirror that keeps host access when no up-to-date copy is left, in one step', () => {
    const keepsAccess = mirrorMachine.provide({ guards: { noAccess: () => false } });
    const v = violation(check({ mirror: keepsAccess }, false, ['host-access-needs-up-to-date-copy']), 'host-access-needs-up-to-date-copy');
    expect(v.trace.slice(1).map((t) => eventLabel(t.event!))).toEqual(['siteCrash']);
    expect(v.message).toMatch(/m1 grants host access/);
  });

  it('MIR-13 catches split brain: a copy rejoining while the link is down', () => {
    const rejoinsBlindly = mirrorMachine.provide({
      actions: {
        rejoin: assign(({ context, event }) =>
          event.type === 'copyUp' ? { copies: context.copies.map((c) => (c.server === event.server ? { ...c, up: true } : c)) } : {},
        ),
      },
    });
    const v = violation(check({ mirror: rejoinsBlindly }, false, ['no-split-brain']), 'no-split-brain');
    expect(v.trace.slice(1).map((t) => eventLabel(t.event!))).toEqual(['stop s1', 'linkDown s1-s2', 'start s1']);
  });

  it('MIR-6 catches a crashed copy that is treated as up to date without recovery', () => {
    const forgetsCrashes = mirrorMachine.provide({
      actions: {
        copiesDownServing: assign(({ context, event }) =>
          event.type === 'copiesDown'
            ? { copies: context.copies.map((c) => (event.copies.some((d) => d.server === c.server) ? { ...c, up: false } : c)) }
            : {},
        ),
      },
    });
    const v = violation(check({ mirror: forgetsCrashes }), 'stale-copy-not-up-to-date');
    expect(v.trace.slice(1).map((t) => eventLabel(t.event!))).toEqual(['crash s1']);
    expect(v.message).toMatch(/m1 copy on s1 is reported upToDate but needs a full copy/);
  });

  it('MIR-11 catches a mirror that declares itself in sync after both servers crashed at once', () => {
    // Decides as soon as every server is back, even when both copies lost their caches.
    const guessesNewest = mirrorMachine.provide({
      guards: {
        decidable: ({ context }) => context.linkUp && context.copies.every((c) => c.up),
        undecidable: () => false,
      },
    });
    const v = violation(check({ mirror: guessesNewest }), 'undecidable-needs-operator');
    expect(v.trace[1]!.event).toEqual({ type: 'siteCrash' });
  });

  it('MIR-11 reports states no operator action can repair, with a shortest trace to one', () => {
    const refusesForce = mirrorMachine.provide({ guards: { forcedCopyUp: () => false } });
    const r = check({ mirror: refusesForce });
    const v = violation(r, 'recoverability');
    expect(r.unrecoverableStates).toBeGreaterThan(0);
    expect(v.trace[1]!.event).toEqual({ type: 'siteCrash' });
    expect(v.trace.length - 1).toBe(1);
  });
});
