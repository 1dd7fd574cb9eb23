import { describe, expect, it } from 'vitest';
import { scenario } from '../../helpers/model-scenario.js';

describe('mirrored virtual disks (model)', () => {
  it('MIR-1 a write is held by every running, in-sync copy; a copy whose server is away falls behind', () => {
    const s = scenario().apply('write m1');
    expect(s.vdisk('m1').copies.map((c) => c.dataStatus)).toEqual(['upToDate', 'upToDate']);
    s.apply('stop s2', 'write m1');
    expect(s.copy('m1', 's1')).toBe('upToDate');
    expect(s.copy('m1', 's2')).toBe('logRecoveryNeeded');
  });

  it('MIR-2 when one server stops or crashes, hosts keep I/O going through the other (failover)', () => {
    for (const down of ['stop s1', 'crash s1', 'shutdown s1', 'stop s2', 'crash s2']) {
      const s = scenario().apply('write m1', down, 'write m1', 'flush m1');
      expect(s.vdisk('m1'), down).toMatchObject({ status: 'failedRedundancy', hostAccess: 'readWrite' });
      const survivor = down.endsWith('s1') ? 's2' : 's1';
      expect(s.path('h1', survivor).alua.m1, down).toBe('activeOptimized');
    }
  });

  it('MIR-3 the surviving server logs changes while its partner is away: the partner needs only log recovery', () => {
    const s = scenario().apply('stop s1', 'write m1');
    expect(s.copy('m1', 's1')).toBe('logRecoveryNeeded');
    s.apply('start s1');
    expect(s.copy('m1', 's1')).toBe('inLogRecovery');
  });

  it('MIR-4 data status, virtual disk status and host access use the vendor vocabulary', () => {
    const s = scenario();
    expect(s.vdisk('m1')).toMatchObject({ status: 'online', hostAccess: 'readWrite' });
    s.apply('crash s2');
    expect(s.vdisk('m1')).toMatchObject({ status: 'failedRedundancy' });
    expect(s.copy('m1', 's2')).toBe('fullRecoveryNeeded');
    s.apply('powerOn s2', 'linkDown s1-s2', 'start s2');
    expect(s.copy('m1', 's2')).toBe('fullRecoveryPending');
    s.apply('linkUp s1-s2');
    expect(s.copy('m1', 's2')).toBe('inFullRecovery');
    s.apply('stop s1');
    expect(s.vdisk('m1')).toMatchObject({
      status: 'unknown',
      hostAccess: 'disabled',
      copies: [{ dataStatus: 'unknown' }, { dataStatus: 'unknown' }],
    });
  });

  it('MIR-5 a gracefully stopped copy needs log recovery if writes arrived while it was away, none if none did', () => {
    const quiet = scenario().apply('stop s2', 'start s2');
    expect(quiet.vdisk('m1').status).toBe('online');
    const busy = scenario().apply('stop s2', 'write m1', 'start s2');
    expect(busy.copy('m1', 's2')).toBe('inLogRecovery');
  });

  it('MIR-6 a copy whose server crashed needs full recovery, even if nothing was written since', () => {
    const s = scenario().apply('crash s2', 'powerOn s2', 'start s2');
    expect(s.copy('m1', 's2')).toBe('inFullRecovery');
  });

  it('MIR-7 on start, recovery runs from the up-to-date copy while hosts keep access; then both are in sync and the preferred path is optimized', () => {
    const s = scenario().apply('stop s1', 'write m1', 'start s1');
    expect(s.vdisk('m1')).toMatchObject({ status: 'failedRedundancy', hostAccess: 'readWrite' });
    s.apply('write m1', 'flush m1', 'recoveryComplete m1');
    expect(s.vdisk('m1')).toMatchObject({ status: 'online', copies: [{ dataStatus: 'upToDate' }, { dataStatus: 'upToDate' }] });
    expect(s.path('h1', 's1').alua.m1).toBe('activeOptimized');
  });

  it('MIR-8 if both servers stop while hosts write, the last one stopped holds the latest data and is the recovery source', () => {
    const s = scenario().apply('stop s1', 'write m1', 'stop s2', 'start s2', 'start s1');
    expect(s.copy('m1', 's2')).toBe('upToDate');
    expect(s.copy('m1', 's1')).toBe('inLogRecovery');
    // The other copy may need full recovery, when a crash was involved.
    const crashed = scenario().apply('crash s1', 'write m1', 'stop s2', 'powerOn s1', 'start s1', 'start s2');
    expect(crashed.copy('m1', 's1')).toBe('inFullRecovery');
  });

  it('MIR-9 once every server holding a copy has gone down, the state is unknown and host access stays disabled until all are started again', () => {
    const s = scenario().apply('stop s1', 'stop s2');
    expect(s.vdisk('m1')).toMatchObject({ status: 'unknown', hostAccess: 'disabled' });
    expect(s.refused('write m1').code).toBe('MIR_NO_HOST_ACCESS');
    s.apply('start s2');
    expect(s.vdisk('m1')).toMatchObject({ status: 'unknown', hostAccess: 'disabled' });
    expect(s.path('h1', 's2').alua.m1).toBe('unavailable');
    s.apply('start s1');
    expect(s.vdisk('m1')).toMatchObject({ status: 'online', hostAccess: 'readWrite' });
  });

  it('MIR-10 once all are started, the newest copy is always the recovery source, whatever the start order', () => {
    for (const order of [
      ['start s1', 'start s2'],
      ['start s2', 'start s1'],
    ]) {
      const s = scenario().apply('stop s2', 'write m1', 'stop s1', ...order);
      expect(s.copy('m1', 's1'), order.join(', ')).toBe('upToDate');
      expect(s.copy('m1', 's2'), order.join(', ')).toBe('inLogRecovery');
    }
  });

  it('MIR-11 when the newest copy cannot be determined the disk stays unknown until an operator forces a named copy; the other gets full recovery', () => {
    const s = scenario().apply('write m1', 'siteCrash', 'powerOn s1', 'powerOn s2', 'start s1', 'start s2');
    expect(s.vdisk('m1')).toMatchObject({ status: 'unknown', hostAccess: 'disabled' });
    expect(s.vdisk('m1').copies.map((c) => c.dataStatus)).toEqual(['doubleFailure', 'doubleFailure']);
    expect(s.refused('forceMirrorRecovery m1 --copy s9').code).toBe('MIR_COPY_SERVER_DOWN');
    s.apply('forceMirrorRecovery m1 --copy s2');
    expect(s.vdisk('m1')).toMatchObject({ status: 'failedRedundancy', hostAccess: 'readWrite' });
    expect(s.copy('m1', 's2')).toBe('upToDate');
    expect(s.copy('m1', 's1')).toBe('inFullRecovery');
    expect(s.refused('forceMirrorRecovery m1 --copy s1').code).toBe('MIR_FORCE_NOT_NEEDED');
  });

  it('MIR-11 an operator may force a copy online while waiting for a server that does not come back', () => {
    const s = scenario().apply('stop s1', 'crash s2', 'powerOn s2', 'start s2');
    expect(s.vdisk('m1').hostAccess).toBe('disabled');
    s.apply('forceMirrorRecovery m1 --copy s2');
    expect(s.vdisk('m1')).toMatchObject({ status: 'failedRedundancy', hostAccess: 'readWrite' });
    expect(s.copy('m1', 's1')).toBe('fullRecoveryNeeded');
  });

  it("MIR-12 the seed page's sequence (stop and shut down s1, then s2; power up and start s2, then s1) reaches the healthy state", () => {
    const seed = scenario().apply(
      'write m1',
      'stop s1',
      'shutdown s1',
      'write m1',
      'stop s2',
      'shutdown s2',
      'powerOn s2',
      'start s2',
      'powerOn s1',
      'start s1',
      'recoveryComplete m1',
    );
    expect(seed.vdisk('m1')).toMatchObject({ status: 'online', hostAccess: 'readWrite' });
    // Any start order reaches the same end state.
    const other = scenario().apply(
      'write m1',
      'stop s1',
      'shutdown s1',
      'write m1',
      'stop s2',
      'shutdown s2',
      'powerOn s1',
      'start s1',
      'powerOn s2',
      'start s2',
      'recoveryComplete m1',
    );
    expect(other.status).toEqual(seed.status);
  });

  it('MIR-13 a mirror link failure between running servers leaves host access on one side only, and log recovery follows', () => {
    const s = scenario().apply('linkDown s1-s2');
    expect(s.vdisk('m1')).toMatchObject({ status: 'failedRedundancy', hostAccess: 'readWrite' });
    expect(s.path('h1', 's1').alua.m1).toBe('activeOptimized');
    expect(s.path('h1', 's2').alua.m1).toBe('unavailable');
    expect(s.copy('m1', 's2')).toBe('logRecoveryPending');
    // The cut-off side cannot come back in by restarting.
    s.apply('write m1', 'stop s2', 'start s2');
    expect(s.path('h1', 's2').alua.m1).toBe('unavailable');
    s.apply('linkUp s1-s2');
    expect(s.copy('m1', 's2')).toBe('inLogRecovery');
    s.apply('recoveryComplete m1');
    expect(s.vdisk('m1').status).toBe('online');
  });
});
