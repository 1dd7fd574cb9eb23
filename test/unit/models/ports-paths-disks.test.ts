import { initialTransition, transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { pathMachine } from '../../../models/path-machine.js';
import { portMode } from '../../../models/port-machine.js';
import type { Topology } from '../../../models/types.js';
import { defaultTopology } from '../../../models/topology.js';
import { scenario } from '../../helpers/model-scenario.js';

/** The default topology with s1's mirror port set to Target Only. */
function targetOnlyMirrorPort(): Topology {
  const t = defaultTopology();
  t.servers[0]!.ports[1] = { name: 'mr1', roles: ['mirror'], targetOnly: true };
  return t;
}

describe('ports (model)', () => {
  it("PRT-1 a port's mode follows its roles; a mirror port may be set to Target Only", () => {
    expect(portMode(['frontEnd'])).toBe('targetOnly');
    expect(portMode(['backEnd'])).toBe('initiator');
    expect(portMode(['mirror'])).toBe('initiatorTarget');
    expect(portMode(['frontEnd', 'mirror'])).toBe('initiatorTarget');
    expect(portMode(['mirror'], true)).toBe('targetOnly');
    expect(scenario(targetOnlyMirrorPort()).port('s1', 'mr1').mode).toBe('targetOnly');
  });

  it('PRT-2 Target Only ports are disabled while the server is stopped or off and enabled while it runs', () => {
    const s = scenario(targetOnlyMirrorPort()).apply('stop s1');
    expect(s.port('s1', 'mr1').enabled).toBe(false);
    expect(s.port('s1', 'fe1').enabled).toBe(false);
    s.apply('shutdown s1', 'powerOn s1');
    expect(s.port('s1', 'fe1').enabled).toBe(false);
    s.apply('start s1');
    expect(s.port('s1', 'mr1').enabled).toBe(true);
    expect(s.port('s1', 'fe1').enabled).toBe(true);
  });

  it('PRT-3 Initiator and Initiator/Target ports stay enabled while stopped and go down with power', () => {
    const s = scenario().apply('stop s2');
    expect(s.port('s2', 'be1').enabled).toBe(true);
    expect(s.port('s2', 'mr1').enabled).toBe(true);
    s.apply('crash s2');
    expect(s.port('s2', 'be1').enabled).toBe(false);
    expect(s.port('s2', 'mr1').enabled).toBe(false);
    s.apply('powerOn s2');
    expect(s.port('s2', 'be1').enabled).toBe(true);
    expect(s.port('s2', 'fe1').enabled).toBe(false);
  });
});

describe('front-end paths (model)', () => {
  it('PTH-1 a path is online iff its host is connected, its port is enabled and its server runs', () => {
    const [initial] = initialTransition(pathMachine, { host: 'h1', server: 's1', port: 'fe1', vdisks: ['m1'] });
    expect(initial.value).toBe('online');
    const [hostGone] = transition(pathMachine, initial, { type: 'hostDisconnected' });
    expect(hostGone.value).toBe('offline');
    const [portDown] = transition(pathMachine, initial, { type: 'portDisabled' });
    expect(portDown.value).toBe('offline');
    const [stopped] = transition(pathMachine, initial, { type: 'serverStopped' });
    expect(stopped.value).toBe('offline');
    const [back] = transition(pathMachine, hostGone, { type: 'hostConnected' });
    expect(back.value).toBe('online');
  });

  it("PTH-2 stop and crash take the server's paths offline; start brings them back (failback)", () => {
    const s = scenario().apply('crash s1');
    expect([s.path('h1', 's1').online, s.path('h2', 's1').online]).toEqual([false, false]);
    s.apply('powerOn s1');
    expect(s.path('h1', 's1').online).toBe(false);
    s.apply('start s1');
    expect([s.path('h1', 's1').online, s.path('h2', 's1').online]).toEqual([true, true]);
  });

  it('PTH-3 the preferred path is Active/Optimized, the other Active/Non-Optimized; failover and failback move it', () => {
    const s = scenario();
    expect(s.path('h1', 's1').alua.m1).toBe('activeOptimized');
    expect(s.path('h1', 's2').alua.m1).toBe('activeNonOptimized');
    s.apply('stop s1');
    expect(s.path('h1', 's1').alua.m1).toBe('unavailable');
    expect(s.path('h1', 's2').alua.m1).toBe('activeOptimized');
    s.apply('write m1', 'start s1');
    // Back but not yet up to date: the other copy stays optimized.
    expect(s.copy('m1', 's1')).toBe('inLogRecovery');
    expect(s.path('h2', 's1').alua.m1).toBe('unavailable');
    expect(s.path('h2', 's2').alua.m1).toBe('activeOptimized');
    s.apply('recoveryComplete m1');
    expect(s.path('h2', 's1').alua.m1).toBe('activeOptimized');
    expect(s.path('h2', 's2').alua.m1).toBe('activeNonOptimized');
  });
});

describe('single virtual disks (model)', () => {
  it('VD-1 a single virtual disk is accessible iff its server runs; host I/O to it is refused otherwise', () => {
    const s = scenario().apply('stop s1');
    expect(s.vdisk('v1')).toMatchObject({ status: 'offline', hostAccess: 'disabled' });
    expect(s.path('h1', 's1').alua.v1).toBe('unavailable');
    expect(s.refused('write v1').code).toBe('VD_OFFLINE');
    expect(s.vdisk('v2')).toMatchObject({ status: 'online', hostAccess: 'readWrite' });
    s.apply('write v2', 'start s1', 'write v1');
    expect(s.path('h1', 's1').alua.v1).toBe('activeOptimized');
  });

  it('VD-2 a single virtual disk is served again after graceful stop/start, shutdown/power-on, restart and crash/power-on/start', () => {
    const s = scenario().apply(
      'write v1',
      'stop s1',
      'start s1',
      'shutdown s1',
      'powerOn s1',
      'restart s1',
      'flush v1',
      'crash s1',
      'powerOn s1',
      'start s1',
    );
    expect(s.vdisk('v1')).toMatchObject({ status: 'online', hostAccess: 'readWrite', copies: [{ server: 's1', dataStatus: 'upToDate' }] });
  });
});
