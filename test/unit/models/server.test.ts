import { describe, expect, it } from 'vitest';
import { threeServerTopology, upsTopology } from '../../../models/topology.js';
import { scenario } from '../../helpers/model-scenario.js';

describe('server lifecycle (model)', () => {
  it('SRV-1 stop takes the server offline and keeps it in the group configuration', () => {
    const s = scenario().apply('stop s1');
    expect(s.server('s1')).toMatchObject({ power: 'on', state: 'stopped', seenAs: 'Stopped' });
    expect(s.status.servers.map((x) => x.name)).toEqual(['s1', 's2']);
    expect(s.status.ports.filter((p) => p.server === 's1')).toHaveLength(3);
  });

  it('SRV-2 while stopped, Target Only ports are disabled and Initiator and Initiator/Target ports stay enabled', () => {
    const s = scenario().apply('stop s1');
    expect(s.port('s1', 'fe1')).toMatchObject({ mode: 'targetOnly', enabled: false });
    expect(s.port('s1', 'mr1')).toMatchObject({ mode: 'initiatorTarget', enabled: true });
    expect(s.port('s1', 'be1')).toMatchObject({ mode: 'initiator', enabled: true });
  });

  it("SRV-3 a stopped server's mirrored copy is up to date: its cache was flushed, no recovery needed", () => {
    const s = scenario().apply('write m1', 'stop s1');
    expect(s.copy('m1', 's1')).toBe('upToDate');
    s.apply('start s1');
    expect(s.vdisk('m1').status).toBe('online');
  });

  it('SRV-4 while stopped, configuration changes are accepted but virtualization does not run', () => {
    const s = scenario().apply('stop s1', 'setCache s1 writeThrough');
    expect(s.server('s1').cache).toEqual({ applied: 'writeBack', pending: 'writeThrough', effective: 'writeBack' });
    expect(s.vdisk('v1')).toMatchObject({ status: 'offline', hostAccess: 'disabled' });
    expect(s.refused('recoveryComplete m1').code).toBe('MIR_NO_RECOVERY');
  });

  it('SRV-5 stop takes every front-end path to the server offline', () => {
    const s = scenario().apply('stop s2');
    expect(s.path('h1', 's2').online).toBe(false);
    expect(s.path('h2', 's2').online).toBe(false);
    expect(s.path('h1', 's1').online).toBe(true);
  });

  it('SRV-6 cache settings take effect only at the next start; status shows applied and pending separately', () => {
    const s = scenario().apply('setCache s1 writeThrough');
    expect(s.server('s1').cache).toMatchObject({ applied: 'writeBack', pending: 'writeThrough' });
    s.apply('stop s1');
    expect(s.server('s1').cache.applied).toBe('writeBack');
    s.apply('start s1');
    expect(s.server('s1').cache).toEqual({ applied: 'writeThrough', pending: null, effective: 'writeThrough' });
    s.apply('setCache s1 writeBack', 'restart s1');
    expect(s.server('s1').cache).toMatchObject({ applied: 'writeBack', pending: null });
  });

  it('SRV-7 start resumes virtualization: ports enabled, paths online, single disks served, mirroring resumes', () => {
    const s = scenario().apply('stop s1', 'write m1', 'start s1');
    expect(s.server('s1')).toMatchObject({ state: 'running', seenAs: 'Running' });
    expect(s.port('s1', 'fe1').enabled).toBe(true);
    expect(s.path('h1', 's1').online).toBe(true);
    expect(s.vdisk('v1')).toMatchObject({ status: 'online', hostAccess: 'readWrite' });
    expect(s.copy('m1', 's1')).toBe('inLogRecovery');
  });

  it('SRV-8 a graceful shutdown stops virtualization cleanly first and records the last state', () => {
    const s = scenario().apply('shutdown s1');
    expect(s.server('s1')).toMatchObject({ power: 'off', state: 'stopped', seenAs: 'Unavailable' });
    // Stopped cleanly: the copy needs no recovery as long as nothing was written.
    expect(s.copy('m1', 's1')).toBe('upToDate');
  });

  it('SRV-9 after a shutdown and power-on the server restores its last state: started if running, stopped if stopped', () => {
    const running = scenario().apply('shutdown s1', 'powerOn s1');
    expect(running.server('s1').state).toBe('running');
    const stopped = scenario().apply('stop s1', 'shutdown s1', 'powerOn s1');
    expect(stopped.server('s1').state).toBe('stopped');
    const restarted = scenario().apply('stop s2', 'restart s2');
    expect(restarted.server('s2').state).toBe('stopped');
  });

  it('SRV-10 after an unexpected restart the server comes up stopped and is not started automatically', () => {
    const s = scenario().apply('crash s1');
    expect(s.server('s1')).toMatchObject({ power: 'off', seenAs: 'Failed' });
    s.apply('powerOn s1');
    expect(s.server('s1')).toMatchObject({ power: 'on', state: 'stopped', seenAs: 'Stopped' });
    s.apply('start s1');
    expect(s.server('s1').state).toBe('running');
  });

  it('SRV-10 with automatic restart attempts N, the server restarts by itself N times in the window, then stays stopped', () => {
    const s = scenario(threeServerTopology()); // s3 allows one automatic restart
    s.apply('crash s3', 'powerOn s3');
    expect(s.server('s3')).toMatchObject({ state: 'running', autoRestartsUsed: 1 });
    s.apply('crash s3', 'powerOn s3');
    expect(s.server('s3')).toMatchObject({ state: 'stopped', autoRestartsUsed: 1 });
    s.apply('autoRestartWindowElapsed s3', 'start s3', 'crash s3', 'powerOn s3');
    expect(s.server('s3')).toMatchObject({ state: 'running', autoRestartsUsed: 1 });
  });

  it("SRV-11 a crash loses the volatile cache: the crashed server's mirrored copy needs full recovery", () => {
    const s = scenario().apply('write m1', 'crash s2');
    expect(s.copy('m1', 's2')).toBe('fullRecoveryNeeded');
    expect(s.copy('m1', 's1')).toBe('upToDate');
  });

  it('SRV-12 commands that do not apply are refused with a stable code and change nothing', () => {
    const s = scenario();
    expect(s.refused('start s1').code).toBe('SRV_ALREADY_RUNNING');
    expect(s.refused('powerOn s1').code).toBe('SRV_ALREADY_ON');
    s.apply('stop s1');
    expect(s.refused('stop s1').code).toBe('SRV_ALREADY_STOPPED');
    s.apply('shutdown s1');
    for (const cmd of ['start s1', 'stop s1', 'shutdown s1', 'restart s1', 'crash s1', 'setCache s1 writeThrough']) {
      const r = s.refused(cmd);
      expect(r.code).toBe('SRV_POWERED_OFF');
      expect(r.message).toMatch(/powered off/);
    }
    expect(s.refused('start s9').code).toBe('GROUP_UNKNOWN_NAME');
  });

  it('SRV-13 on battery the cache runs write-through; mains restored: write-back again', () => {
    const s = scenario(upsTopology()).apply('onBattery s1');
    expect(s.server('s1')).toMatchObject({ ups: 'battery', cache: { applied: 'writeBack', effective: 'writeThrough' } });
    s.apply('mainsRestored s1');
    expect(s.server('s1')).toMatchObject({ ups: 'mains', cache: { effective: 'writeBack' } });
  });

  it('SRV-13 battery low stops the server gracefully and its mirrored disks fail over', () => {
    const s = scenario(upsTopology()).apply('onBattery s1', 'batteryLow s1');
    expect(s.server('s1')).toMatchObject({ power: 'on', state: 'stopped' });
    expect(s.vdisk('m1')).toMatchObject({ status: 'failedRedundancy', hostAccess: 'readWrite' });
    expect(s.path('h1', 's2').alua.m1).toBe('activeOptimized');
    expect(s.refused('batteryLow s2').code).toBe('UPS_ON_MAINS');
  });
});
