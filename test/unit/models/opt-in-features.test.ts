// Behaviours the topology features add (models/types.ts `Topology.features`): host disconnects
// (PTH-1), backend pools (SRV-14) and the record of forced decisions (MIR-11). Topologies without
// a feature neither offer its events nor report its status fields.
import { describe, expect, it } from 'vitest';
import { scenario } from '../../helpers/model-scenario.js';
import { createGroupModel } from '../../../models/group.js';
import { groupStatus } from '../../../models/status.js';
import { conformanceTopology, defaultTopology, hostsTopology, poolsTopology } from '../../../models/topology.js';

describe('opt-in topology features (model)', () => {
  it('PTH-1 a disconnected host has every path offline, the others keep theirs; it reconnects to what its ports and servers offer', () => {
    const s = scenario(hostsTopology()).apply('hostDisconnect h1');
    for (const server of ['s1', 's2'])
      expect(s.path('h1', server)).toMatchObject({ online: false, hostConnected: false, alua: { m1: 'unavailable' } });
    expect(s.path('h2', 's1')).toMatchObject({ online: true, hostConnected: true, alua: { m1: 'activeOptimized' } });
    expect(s.refused('hostDisconnect h1').code).toBe('HOST_ALREADY_DISCONNECTED');
    s.apply('stop s1', 'hostReconnect h1');
    expect(s.path('h1', 's1')).toMatchObject({ online: false, hostConnected: true });
    expect(s.path('h1', 's2')).toMatchObject({ online: true, alua: { m1: 'activeOptimized' } });
    expect(s.refused('hostReconnect h1').code).toBe('HOST_ALREADY_CONNECTED');
  });

  it('PTH-1 with no host connected, no host I/O can arrive: writes are refused', () => {
    const s = scenario(hostsTopology()).apply('hostDisconnect h1', 'hostDisconnect h2');
    expect(s.refused('write m1').code).toBe('VD_NO_HOST_CONNECTED');
    expect(s.refused('write v1').code).toBe('VD_NO_HOST_CONNECTED');
    s.apply('hostReconnect h2', 'write m1');
  });

  it('MIR-13 a partition while no host is connected leaves both copies current; the preferred side keeps access when a host returns', () => {
    const s = scenario(hostsTopology()).apply('hostDisconnect h1', 'hostDisconnect h2', 'linkDown s1-s2');
    expect(s.vdisk('m1').copies.map((c) => c.dataStatus)).toEqual(['upToDate', 'upToDate']);
    s.apply('hostReconnect h1');
    expect(s.copy('m1', 's2')).toBe('logRecoveryPending');
    expect(s.path('h1', 's2').alua.m1).toBe('unavailable');
    expect(s.path('h1', 's1').alua.m1).toBe('activeOptimized');
  });

  it('SRV-14 start, and restart of a running server, are refused while its backend pool is unavailable; power-on comes up stopped', () => {
    const s = scenario(poolsTopology()).apply('stop s1', 'poolFail s1');
    expect(s.server('s1').pool).toBe('unavailable');
    expect(s.refused('start s1').code).toBe('SRV_POOL_UNAVAILABLE');
    expect(s.refused('poolFail s1').code).toBe('POOL_ALREADY_UNAVAILABLE');
    s.apply('poolFail s2');
    expect(s.refused('restart s2').code).toBe('SRV_POOL_UNAVAILABLE');
    s.apply('poolRestore s1', 'start s1', 'shutdown s1', 'poolFail s1', 'powerOn s1');
    expect(s.server('s1')).toMatchObject({ power: 'on', state: 'stopped', seenAs: 'Stopped' });
    s.apply('poolRestore s2');
    expect(s.refused('poolRestore s2').code).toBe('POOL_ALREADY_AVAILABLE');
  });

  it('SRV-14 a pool failing under a running server takes its disks offline: the mirror fails over, the copy needs full recovery', () => {
    const s = scenario(poolsTopology()).apply('write m1', 'poolFail s1');
    expect(s.server('s1')).toMatchObject({ state: 'running', pool: 'unavailable' });
    expect(s.vdisk('v1')).toMatchObject({ status: 'offline', hostAccess: 'disabled' });
    expect(s.vdisk('m1')).toMatchObject({ status: 'failedRedundancy', hostAccess: 'readWrite' });
    expect(s.copy('m1', 's1')).toBe('fullRecoveryNeeded');
    expect(s.path('h1', 's1')).toMatchObject({ online: true, alua: { m1: 'unavailable', v1: 'unavailable' } });
    expect(s.path('h1', 's2').alua.m1).toBe('activeOptimized');
    s.apply('poolRestore s1');
    expect(s.vdisk('v1').status).toBe('online');
    expect(s.copy('m1', 's1')).toBe('inFullRecovery');
    s.apply('recoveryComplete m1');
    expect(s.vdisk('m1').status).toBe('online');
  });

  it('MIR-11 a site crash while no host could write since both servers started ends decided, not in doubleFailure', () => {
    const quiet = scenario(hostsTopology()).apply('hostDisconnect h1', 'hostDisconnect h2', 'restart s1', 'restart s2', 'siteCrash');
    quiet.apply('powerOn s1', 'powerOn s2', 'start s1', 'start s2');
    expect(quiet.vdisk('m1')).toMatchObject({ status: 'online', hostAccess: 'readWrite' });
    // Hosts connected earlier, while the servers ran: their caches may hold writes.
    const busy = scenario(hostsTopology()).apply('hostDisconnect h1', 'hostDisconnect h2', 'siteCrash');
    busy.apply('powerOn s1', 'powerOn s2', 'start s1', 'start s2');
    expect(busy.vdisk('m1').copies.map((c) => c.dataStatus)).toEqual(['doubleFailure', 'doubleFailure']);
  });

  it('MIR-11 forcing a copy records which one, and whether newer data on the other copy was given up, until the copies are in sync', () => {
    const undecided = scenario(hostsTopology()).apply('siteCrash', 'powerOn s1', 'powerOn s2', 'start s1', 'start s2');
    undecided.apply('forceMirrorRecovery m1 --copy s2');
    expect(undecided.vdisk('m1').forced).toEqual({ copy: 's2', discarded: true });
    undecided.apply('recoveryComplete m1');
    expect(undecided.vdisk('m1')).toMatchObject({ status: 'online' });
    expect(undecided.vdisk('m1').forced).toBeUndefined();
    // s2 is newest and s1 never comes back: forcing s2 gives nothing up.
    const newest = scenario(hostsTopology()).apply('stop s1', 'write m1', 'restart s2', 'forceMirrorRecovery m1 --copy s2');
    expect(newest.vdisk('m1').forced).toEqual({ copy: 's2', discarded: false });
    // s1 missed writes: forcing it gives up what only s2 holds.
    const stale = scenario(hostsTopology()).apply('stop s1', 'write m1', 'stop s2', 'start s1', 'forceMirrorRecovery m1 --copy s1');
    expect(stale.vdisk('m1').forced).toEqual({ copy: 's1', discarded: true });
  });

  it('CF-2 topologies without a feature offer none of its events and report none of its fields', () => {
    for (const t of [defaultTopology(), conformanceTopology()]) {
      const model = createGroupModel(t);
      const types = new Set(model.alphabet.map((e) => e.type));
      for (const type of ['hostDisconnect', 'hostReconnect', 'poolFail', 'poolRestore']) expect(types.has(type as never), type).toBe(false);
      const s = scenario(t).apply('siteCrash', 'powerOn s1', 'powerOn s2', 'start s1', 'start s2', 'forceMirrorRecovery m1 --copy s1');
      const status = s.status;
      expect(status.servers.every((x) => !('pool' in x))).toBe(true);
      expect(status.paths.every((x) => !('hostConnected' in x))).toBe(true);
      expect(status.virtualDisks.every((x) => !('forced' in x))).toBe(true);
      expect(groupStatus(model, model.initial).paths.every((x) => !('hostConnected' in x))).toBe(true);
    }
  });
});
