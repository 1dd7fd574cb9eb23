// Broken models: each test injects one deliberate mistake into a component machine (through
// xstate's `provide`, never by editing the model) and asserts that the checker reports the
// property it breaks, with its SPEC IDs and the shortest trace. The three data-loss mutations of
// issue 9 are caught only by the checker's own record of the truth (harness/check/ghost.ts),
// because the broken models label their stale copies consistently.
import { type AnyStateMachine, assign, createMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { checkModel } from '../../../../harness/check/check-model.js';
import { eventLabel, formatViolation } from '../../../../harness/check/format.js';
import type { CheckReport } from '../../../../harness/types.js';
import { createGroupModel, type GroupMachines } from '../../../../models/group.js';
import { type CopyContext, type CopyDown, mirrorMachine } from '../../../../models/mirror-machine.js';
import { pathMachine } from '../../../../models/path-machine.js';
import { refuse } from '../../../../models/refusal.js';
import { serverMachine } from '../../../../models/server-machine.js';
import { defaultTopology, hostsTopology, poolsTopology, upsTopology } from '../../../../models/topology.js';
import type { Topology } from '../../../../models/types.js';

/** Checks the default topology built with broken machines, until every property named is violated. */
function check(machines: Partial<GroupMachines>, ...stopAt: string[]): CheckReport {
  return checkIn(defaultTopology(), machines, ...stopAt);
}

/** Checks a topology built with broken machines, until every property named is violated. */
function checkIn(topology: Topology, machines: Partial<GroupMachines>, ...stopAt: string[]): CheckReport {
  return checkModel(createGroupModel(topology, machines), { maxStates: 300_000, recoverability: false, stopAt });
}

/** The violation of `id`, with its SPEC IDs and the events of its shortest trace. */
function reported(report: CheckReport, id: string) {
  const v = report.violations.find((x) => x.invariant === id);
  expect(v, `expected ${id}, got ${report.violations.map((x) => x.invariant).join(', ') || 'none'}`).toBeDefined();
  expect(formatViolation(v!)).toContain(`VIOLATION ${id} (${v!.spec.join(', ')})`);
  return { spec: v!.spec, message: v!.message, events: v!.trace.slice(1).map((t) => eventLabel(t.event!)) };
}

/** `value` at `path` in a copy of `obj`; objects along the path are copied, the rest shared. */
function setIn(obj: unknown, path: string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const o = obj as Record<string, unknown>;
  return { ...o, [path[0]!]: setIn(o[path[0]!], path.slice(1), value) };
}

/** A machine with one transition replaced (a change `provide` cannot make: a target, an inline action). */
function rewired(machine: AnyStateMachine, path: string[], transition: unknown): AnyStateMachine {
  const config = setIn(machine.config, path, transition);
  return createMachine(config as never, machine.implementations as never) as unknown as AnyStateMachine;
}

/** The server machine with one transition replaced. */
function rewiredServer(path: string[], transition: unknown): AnyStateMachine {
  return rewired(serverMachine as unknown as AnyStateMachine, path, transition);
}

const mapCopies = (copies: CopyContext[], f: (c: CopyContext) => Partial<CopyContext>) => copies.map((c) => ({ ...c, ...f(c) }));

describe('broken models are caught by the checker', () => {
  it('MIR-5 skipping log recovery: a stale copy that comes back current is reported with its shortest trace', () => {
    const skipsLogRecovery = mirrorMachine.provide({
      actions: {
        rejoin: assign(({ context, event }) =>
          event.type === 'copyUp'
            ? {
                copies: mapCopies(context.copies, (c) =>
                  c.server === event.server ? { up: true, data: c.data === 'staleLog' && context.linkUp ? 'current' : c.data } : {},
                ),
              }
            : {},
        ),
      },
    });
    const v = reported(check({ mirror: skipsLogRecovery }, 'stale-copy-not-up-to-date'), 'stale-copy-not-up-to-date');
    expect(v.spec).toContain('MIR-5');
    expect(v.events).toEqual(['stop s1', 'write m1', 'start s1']);
    expect(v.message).toMatch(/m1 copy on s1 is reported upToDate but missed writes/);
  });

  // The stale copy first to start after both went down is chosen as the source.
  const firstBackWins = mirrorMachine.provide({
    guards: { decidable: ({ context }) => context.linkUp && context.copies.some((c) => c.up), undecidable: () => false },
    actions: {
      decide: assign(({ context }) => ({
        copies: mapCopies(context.copies, (c) => (c.up ? { data: 'current', lostCache: false } : { data: 'staleLog', lostCache: false })),
      })),
    },
  });

  it('MIR-9 the stale copy first to start after both went down gets host access before all are back', () => {
    const r = check({ mirror: firstBackWins }, 'access-gate-after-all-down', 'stale-copy-not-up-to-date');
    const gate = reported(r, 'access-gate-after-all-down');
    expect(gate.spec).toEqual(['MIR-9']);
    // A restart takes its server down and up in one step: with s1 stopped, every copy went down.
    expect(gate.events).toEqual(['stop s1', 'restart s2']);
    const stale = reported(r, 'stale-copy-not-up-to-date');
    // The copy cut off by the partition is the one still up when the link returns: it is chosen.
    expect(stale.events).toEqual(['linkDown s1-s2', 'stop s1', 'linkUp s1-s2']);
    expect(stale.message).toBe('m1 copy on s2 is reported upToDate but missed writes its partner logged and no recovery completed');
  });

  it('MIR-10 the newer copy is recovered from the stale copy that started first', () => {
    const v = reported(check({ mirror: firstBackWins }, 'recovery-source-current'), 'recovery-source-current');
    expect(v.spec).toContain('MIR-10');
    // s2 was cut off by the partition and is being recovered when s1's restart lets the broken
    // mirror decide afresh from whichever copies are up.
    expect(v.events).toEqual(['linkDown s1-s2', 'linkUp s1-s2', 'restart s1']);
    expect(v.message).toMatch(/^m1 copy on s\d is in(Log|Full)Recovery but no running, connected copy holds the newest data$/);
  });

  it('MIR-6 a crash while the partner serves marked as needing log recovery only', () => {
    const crashNeedsLogOnly = mirrorMachine.provide({
      actions: {
        copiesDownServing: assign(({ context, event }) => {
          if (event.type !== 'copiesDown') return {};
          return {
            copies: mapCopies(context.copies, (c) => {
              const down = event.copies.find((d) => d.server === c.server);
              if (!down || !c.up) return {};
              return down.crashed && c.data === 'current' ? { up: false, data: 'staleLog' } : { up: false };
            }),
          };
        }),
      },
    });
    const v = reported(check({ mirror: crashNeedsLogOnly }, 'recovery-type'), 'recovery-type');
    expect(v.spec).toEqual(['MIR-5', 'MIR-6', 'MIR-8']);
    expect(v.events).toEqual(['crash s1']);
    expect(v.message).toBe('m1 copy on s1 is logRecoveryNeeded but needs full recovery');
  });

  it('SRV-4 a copy left in recovery while its server is stopped', () => {
    const staleCopyIgnoresStop = mirrorMachine.provide({
      actions: {
        copiesDownServing: assign(({ context, event }) => {
          if (event.type !== 'copiesDown') return {};
          return {
            copies: mapCopies(context.copies, (c) => {
              const down = event.copies.find((d) => d.server === c.server);
              if (!down || !c.up || (!down.crashed && c.data !== 'current')) return {};
              return down.crashed ? { up: false, data: 'staleFull' } : { up: false };
            }),
          };
        }),
      },
    });
    const v = reported(check({ mirror: staleCopyIgnoresStop }, 'no-recovery-on-stopped-server'), 'no-recovery-on-stopped-server');
    expect(v.spec).toEqual(['SRV-4']);
    expect(v.events).toEqual(['linkDown s1-s2', 'stop s2']);
    expect(v.message).toBe('m1 copy on s2 is logRecoveryPending while its server is stopped');
  });

  it('MIR-12 a mirror whose outcome depends on which server starts first', () => {
    // The first copy back while every copy is down declares itself current.
    const firstUpIsCurrent = mirrorMachine.provide({
      actions: {
        copyUp: assign(({ context, event }) =>
          event.type === 'copyUp'
            ? {
                copies: mapCopies(context.copies, (c) =>
                  c.server === event.server ? { up: true, data: context.copies.every((o) => !o.up) ? 'current' : c.data } : {},
                ),
              }
            : {},
        ),
      },
    });
    const v = reported(check({ mirror: firstUpIsCurrent }, 'start-order-independent'), 'start-order-independent');
    expect(v.spec).toEqual(['MIR-12']);
    expect(v.events).toEqual(['stop s1', 'write m1', 'stop s2']);
    expect(v.message).toMatch(/^start s1 then start s2 ends in .* the other order in /);
  });

  it('MIR-13 a partition where the non-preferred side keeps host access', () => {
    const wrongSide = mirrorMachine.provide({
      actions: {
        linkDown: assign(({ context }) => ({
          linkUp: false,
          copies: mapCopies(context.copies, (c) => (c === context.copies[0] && c.up && c.data === 'current' ? { data: 'staleLog' } : {})),
        })),
      },
    });
    const v = reported(check({ mirror: wrongSide }, 'partition-keeps-preferred-side'), 'partition-keeps-preferred-side');
    expect(v.spec).toEqual(['MIR-13']);
    expect(v.events).toEqual(['linkDown s1-s2']);
  });

  it('SRV-9 power-on after a clean shutdown of a running server leaves it stopped', () => {
    const forgetsLastState = serverMachine.provide({ guards: { resumesRunning: () => false } });
    const v = reported(check({ server: forgetsLastState }, 'power-on-restores-state'), 'power-on-restores-state');
    expect(v.spec).toEqual(['SRV-9']);
    expect(v.events).toEqual(['shutdown s1', 'powerOn s1']);
  });

  it('SRV-12 commands that do not apply are accepted instead of refused', () => {
    const neverRefuses = serverMachine.provide({ actions: { refuse: () => {} } });
    const v = reported(check({ server: neverRefuses }, 'inapplicable-commands-refused'), 'inapplicable-commands-refused');
    expect(v.spec).toEqual(['SRV-12']);
    expect(v.events).toEqual(['start s1']);
  });

  it('SRV-8 a shutdown that does not record itself as clean: the server is seen as Failed', () => {
    const forgetsCleanShutdown = rewiredServer(['states', 'power', 'states', 'on', 'on', 'shutdown'], { target: 'off' });
    const v = reported(check({ server: forgetsCleanShutdown }, 'seen-as-after-power-off'), 'seen-as-after-power-off');
    expect(v.spec).toEqual(['SRV-8', 'SRV-10']);
    expect(v.events).toEqual(['shutdown s1']);
    expect(v.message).toBe('s1 is off after a shutdown but seen as Failed');
  });

  it('SRV-9 a restart of a stopped server that starts it', () => {
    const restartStarts = rewiredServer(['states', 'power', 'states', 'on', 'states', 'stopped', 'on', 'restart'], {
      target: 'running',
      actions: ['poweredOff', 'poweredOn'],
    });
    const v = reported(check({ server: restartStarts }, 'restart-restores-state'), 'restart-restores-state');
    expect(v.spec).toEqual(['SRV-9']);
    expect(v.events).toEqual(['stop s1', 'restart s1']);
  });

  it('SRV-13 battery low that powers the server off instead of stopping it', () => {
    const batteryLowPowersOff = rewiredServer(
      ['states', 'power', 'states', 'on', 'states', 'running', 'on', 'batteryLow'],
      [{ guard: 'onBattery', target: '#server.power.off' }, { actions: refuse('UPS_ON_MAINS', 'the UPS is on mains power') }],
    );
    const r = checkModel(createGroupModel(upsTopology(), { server: batteryLowPowersOff }), {
      maxStates: 300_000,
      recoverability: false,
      stopAt: ['battery-low-stops'],
    });
    const v = reported(r, 'battery-low-stops');
    expect(v.spec).toEqual(['SRV-13']);
    expect(v.events).toEqual(['onBattery s1', 'batteryLow s1']);
  });

  it('SRV-13 a server that keeps its write-back cache on battery', () => {
    const keepsWriteBack = serverMachine.provide({ actions: { writeThroughOnBattery: () => {} } });
    const v = reported(checkIn(upsTopology(), { server: keepsWriteBack }, 'write-through-on-battery'), 'write-through-on-battery');
    expect(v.spec).toEqual(['SRV-13']);
    expect(v.events).toEqual(['onBattery s1']);
    expect(v.message).toBe('s1 is on battery with the cache writeBack');
  });

  it('SRV-1 seenAs: a powered-on server that kept its clean-shutdown record is seen as Unavailable instead of Stopped', () => {
    // Power-on that forgets to clear the record, for a server that was stopped.
    const keepsRecord = rewiredServer(
      ['states', 'power', 'states', 'off', 'on', 'powerOn'],
      [{ guard: 'resumesRunning', target: 'on.running', actions: ['applyPendingCache'] }, { target: 'on.stopped' }],
    );
    const v = reported(check({ server: keepsRecord }, 'seen-as-follows-state'), 'seen-as-follows-state');
    expect(v.spec).toEqual(['SRV-1', 'SRV-7']);
    expect(v.events).toEqual(['stop s1', 'shutdown s1', 'powerOn s1']);
    expect(v.message).toBe('s1 is stopped but seen as Unavailable');
  });

  it('PTH-1 a path that takes no notice of its host disconnecting', () => {
    const ignoresHost = rewired(
      pathMachine as unknown as AnyStateMachine,
      ['on', 'hostDisconnected'],
      [{ guard: 'hostConnected' }, { actions: refuse('HOST_ALREADY_DISCONNECTED', 'the host is already disconnected') }],
    );
    const v = reported(
      checkIn(hostsTopology(), { path: ignoresHost }, 'host-connection-follows-host-events'),
      'host-connection-follows-host-events',
    );
    expect(v.spec).toEqual(['PTH-1']);
    expect(v.events).toEqual(['hostDisconnect h1']);
    expect(v.message).toBe('after hostDisconnect h1, path h1->s1 reports hostConnected true, not false');
  });

  it('PTH-1 a path that stays online while its host is disconnected', () => {
    const onlineWithoutHost = pathMachine.provide({
      guards: {
        allUp: ({ context }) => context.portEnabled && context.serverRunning,
        notAllUp: ({ context }) => !(context.portEnabled && context.serverRunning),
      },
    });
    const id = 'path-online-iff-port-enabled-and-server-runs';
    const v = reported(checkIn(hostsTopology(), { path: onlineWithoutHost }, id), id);
    expect(v.spec).toContain('PTH-1');
    expect(v.events).toEqual(['hostDisconnect h1']);
    expect(v.message).toBe('path h1->s1/fe1 is online but should be offline');
  });

  it('SRV-14 a mirror that keeps serving a copy whose backend pool failed', () => {
    const ignoresPool = rewired(
      rewired(mirrorMachine as unknown as AnyStateMachine, ['on', 'poolLost'], {}),
      ['states', 'serving', 'on', 'poolLost'],
      {},
    );
    const v = reported(checkIn(poolsTopology(), { mirror: ignoresPool }, 'no-io-without-pool'), 'no-io-without-pool');
    expect(v.spec).toEqual(['SRV-14']);
    expect(v.events).toEqual(['poolFail s1']);
    expect(v.message).toBe('m1 takes host I/O on s1, whose backend pool is unavailable');
  });

  it('SRV-14 a server that starts without its backend pool', () => {
    const startsAnyway = serverMachine.provide({ guards: { poolAvailable: () => true } });
    const v = reported(checkIn(poolsTopology(), { server: startsAnyway }, 'start-needs-pool'), 'start-needs-pool');
    expect(v.spec).toEqual(['SRV-14', 'SRV-12']);
    expect(v.events).toEqual(['poolFail s1', 'restart s1']);
    expect(v.message).toBe('restart s1 started virtualization although its backend pool is unavailable');
  });

  it('MIR-11 a mirror that reports doubleFailure after a site crash although no host could write', () => {
    // Every newest copy that crashes while hosts have access counts as having lost cached writes,
    // whether or not a host was connected to write.
    const assumesWrites = mirrorMachine.provide({
      actions: {
        copiesDownServing: assign(({ context, event }) => {
          const downs: readonly CopyDown[] = event.type === 'copiesDown' ? event.copies : [];
          const survivor = context.copies.some((o) => !downs.some((d) => d.server === o.server) && o.up && o.data === 'current');
          return {
            copies: mapCopies(context.copies, (c) => {
              const down = downs.find((d) => d.server === c.server);
              if (!down || !c.up) return {};
              if (!down.crashed) return { up: false, hostsWrote: false };
              if (c.data !== 'current' || survivor) return { up: false, data: 'staleFull', hostsWrote: false };
              return { up: false, lostCache: true, hostsWrote: false };
            }),
          };
        }),
      },
    });
    const id = 'double-failure-needs-lost-writes';
    const v = reported(checkIn(hostsTopology(), { mirror: assumesWrites }, id), id);
    expect(v.spec).toEqual(['MIR-11']);
    expect(v.events.slice(0, 2)).toEqual(['hostDisconnect h1', 'hostDisconnect h2']);
    expect(v.events).toContain('siteCrash');
    expect(v.message).toMatch(/^m1 reports doubleFailure although s\d lost no acknowledged write another copy lacks$/);
  });

  it('MIR-11 a forced decision recorded as giving nothing up when the other copy was newer', () => {
    const hidesLoss = mirrorMachine.provide({
      actions: {
        force: assign(({ context, event }) => {
          if (event.type !== 'forceMirrorRecovery') return {};
          return {
            copies: mapCopies(context.copies, (c) =>
              c.server === event.copy
                ? { data: 'current', lostCache: false, hostsWrote: true }
                : { data: 'staleFull', lostCache: false, hostsWrote: false },
            ),
            forced: { copy: event.copy, discarded: false },
          };
        }),
      },
    });
    const id = 'forced-record-names-loss';
    const v = reported(checkIn(hostsTopology(), { mirror: hidesLoss }, id), id);
    expect(v.spec).toEqual(['MIR-11', 'DS-4']);
    expect(v.events.at(-1)).toMatch(/^forceMirrorRecovery m1 --copy s\d$/);
    expect(v.message).toMatch(/^forcing s\d for m1 gave up writes only another copy held, but the record says nothing was discarded$/);
  });
});
