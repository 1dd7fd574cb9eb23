// The predictor: sets of candidate model states, closed under the system's own events, picked
// among by the system's answers and reported status.

import { describe, expect, it } from 'vitest';
import { createPredictor, type Predictor } from '../../../../harness/conform/predictor.js';
import { lossesOf } from '../../../../harness/conform/losses.js';
import { createGroupModel, type GroupState } from '../../../../models/group.js';
import { conformanceTopology } from '../../../../models/topology.js';
import type { GroupEvent } from '../../../../models/types.js';

const model = createGroupModel(conformanceTopology());
const held = createPredictor(model, { holdsRecovery: true });
const free = createPredictor(model, { holdsRecovery: false });

/** Steps the model through events that must all apply. */
function walk(events: GroupEvent[]): GroupState {
  let s = model.initial;
  for (const e of events) {
    const r = model.step(s, e);
    expect(r.refusal, `${JSON.stringify(e)} refused`).toBeNull();
    s = r.state;
  }
  return s;
}

/** The data status of m1's copy on `server` in each candidate, sorted. */
const m1Copy = (p: Predictor, states: readonly GroupState[], server: string) =>
  states
    .map(
      (s) =>
        p
          .status(s)
          .virtualDisks.find((v) => v.name === 'm1')!
          .copies.find((c) => c.server === server)!.dataStatus,
    )
    .sort();

const stopS1: GroupEvent = { type: 'stop', server: 's1' };
const startS1: GroupEvent = { type: 'start', server: 's1' };
const writeM1: GroupEvent = { type: 'write', vdisk: 'm1' };

describe('predictor: closure under internal events', () => {
  it('MIR-7 without held recoveries, a recovery that started may already have completed: both states are candidates', () => {
    const away = [walk([stopS1, writeM1])];
    const out = free.outcomes(away, startS1);
    expect(m1Copy(free, out.accepted, 's1')).toEqual(['inLogRecovery', 'upToDate']);
  });

  it('MIR-7 with held recoveries, only the state in recovery is a candidate until the runner releases it', () => {
    const out = held.outcomes([walk([stopS1, writeM1])], startS1);
    expect(m1Copy(held, out.accepted, 's1')).toEqual(['inLogRecovery']);
    expect(held.internal).toEqual([]);
    expect(free.internal).toEqual([{ type: 'recoveryComplete', vdisk: 'm1' }]);
  });

  it('MIR-7 waiting for a recovery keeps only the states after it completes', () => {
    const during = free.outcomes([walk([stopS1, writeM1])], startS1).accepted;
    expect(m1Copy(free, free.recoveryDone(during, 'm1'), 's1')).toEqual(['upToDate']);
  });

  it('closure deduplicates states and is idempotent', () => {
    const during = free.outcomes([walk([stopS1, writeM1])], startS1).accepted;
    expect(free.close([...during, ...during])).toHaveLength(during.length);
    expect(free.close(free.close(during))).toHaveLength(during.length);
  });
});

describe('predictor: narrowing to the reported status', () => {
  it('CF-1 narrowing keeps the candidates whose projection equals the status, then closes again', () => {
    const during = free.outcomes([walk([stopS1, writeM1])], startS1).accepted;
    const inRecovery = during.find((s) => m1Copy(free, [s], 's1')[0] === 'inLogRecovery')!;
    const narrowed = free.narrow(during, free.status(inRecovery));
    // Still in recovery as reported, and (closed again) possibly completed by now.
    expect(m1Copy(free, narrowed, 's1')).toEqual(['inLogRecovery', 'upToDate']);
    const done = during.find((s) => m1Copy(free, [s], 's1')[0] === 'upToDate')!;
    expect(m1Copy(free, free.narrow(during, free.status(done)), 's1')).toEqual(['upToDate']);
  });

  it('CF-1 a status that is no candidate leaves nothing', () => {
    const s = held.status(model.initial);
    const lying = { ...s, servers: s.servers.map((x) => ({ ...x, state: 'stopped' as const })) };
    expect(held.narrow(held.initial(), lying)).toEqual([]);
  });

  it('CF-2 narrowing ignores key order in the reported JSON', () => {
    const s = held.status(model.initial);
    const reordered = JSON.parse(
      JSON.stringify({ mirrorLinks: s.mirrorLinks, virtualDisks: s.virtualDisks, paths: s.paths, ports: s.ports, servers: s.servers }),
    );
    expect(held.narrow(held.initial(), reordered)).toHaveLength(1);
  });
});

describe('predictor: refusals (SRV-12)', () => {
  const initial = held.initial();

  it('SRV-12 a refusal with the model code keeps the candidates refusing with it, unchanged', () => {
    const out = held.outcomes(initial, startS1);
    const r = held.resolve(out, { outcome: 'refused', code: 'SRV_ALREADY_RUNNING', message: 'running' }, startS1);
    expect(r).toMatchObject({ ok: true });
    expect(r.ok && r.states.map((s) => model.key(s))).toEqual(initial.map((s) => model.key(s)));
  });

  it('SRV-12 accepting a command the model refuses fails with SRV-12, naming the model code', () => {
    const r = held.resolve(held.outcomes(initial, startS1), { outcome: 'accepted' }, startS1);
    expect(r).toMatchObject({ ok: false, rule: 'SRV-12' });
    expect(!r.ok && r.message).toMatch(/the model refuses "start s1" here with SRV_ALREADY_RUNNING .* but the system accepted it/);
  });

  it('SRV-12 refusing with another code than the model fails with SRV-12, naming both codes', () => {
    const r = held.resolve(held.outcomes(initial, startS1), { outcome: 'refused', code: 'SRV_POWERED_OFF', message: 'off' }, startS1);
    expect(r).toMatchObject({ ok: false, rule: 'SRV-12' });
    expect(!r.ok && r.message).toMatch(/SRV_ALREADY_RUNNING.*refused it with SRV_POWERED_OFF/);
  });

  it('CF-1 refusing a command the model accepts fails with CF-1', () => {
    const r = held.resolve(held.outcomes(initial, stopS1), { outcome: 'refused', code: 'SRV_ALREADY_STOPPED', message: 'no' }, stopS1);
    expect(r).toMatchObject({ ok: false, rule: 'CF-1' });
    expect(!r.ok && r.message).toMatch(/the model accepts "stop s1" here, but the system refused it with SRV_ALREADY_STOPPED/);
  });

  it('SRV-12 when candidates disagree, the answer picks the candidates it fits', () => {
    // Without held recoveries, after start s1 the recovery may or may not have completed: only
    // the candidates still recovering accept recoveryComplete.
    const rc: GroupEvent = { type: 'recoveryComplete', vdisk: 'm1' };
    const both = free.outcomes([walk([stopS1, writeM1])], startS1).accepted;
    const out = held.outcomes(both, rc);
    expect(out.accepted.length).toBeGreaterThan(0);
    expect([...out.refused.keys()]).toEqual(['MIR_NO_RECOVERY']);
    const refused = held.resolve(out, { outcome: 'refused', code: 'MIR_NO_RECOVERY', message: 'none' }, rc);
    expect(refused.ok && m1Copy(held, refused.states, 's1')).toEqual(['upToDate']);
  });
});

describe('predictor: writes overlapping an action', () => {
  it('MIR-5 writes in flight while s2 stops may land before or after: s2 may need log recovery or none', () => {
    const stopS2: GroupEvent = { type: 'stop', server: 's2' };
    const plain = held.outcomes(held.initial(), stopS2);
    expect(m1Copy(held, plain.accepted, 's2')).toEqual(['upToDate']);
    const overlapped = held.outcomes(held.initial(), stopS2, { overlapWrites: ['m1', 'v1', 'v2'] });
    expect(m1Copy(held, overlapped.accepted, 's2')).toEqual(['logRecoveryNeeded', 'upToDate']);
  });

  it('MIR-8 writes overlapping the second stop decide whether the first stopped copy fell behind', () => {
    const stopS2: GroupEvent = { type: 'stop', server: 's2' };
    const out = held.outcomes([walk([stopS1])], stopS2, { overlapWrites: ['m1'] });
    // Writes before the stop of s2 make s1's copy stale; with none it is not. Both states report
    // m1 unknown (MIR-9), but they differ in what recovery s1 will need when both are back.
    expect(new Set(out.accepted.map((s) => model.key(s))).size).toBe(2);
    const back = held.close(out.accepted, [{ type: 'start', server: 's2' }, startS1]);
    expect(new Set(m1Copy(held, back, 's1'))).toEqual(new Set(['unknown', 'upToDate', 'inLogRecovery']));
  });
});

describe('losses of an action', () => {
  it('DS-2 a crash while the partner serves loses nothing on the mirror; the crashed single disk may lose its cache', () => {
    const crash: GroupEvent = { type: 'crash', server: 's1' };
    const out = held.outcomes(held.initial(), crash);
    expect(lossesOf(model, crash, out.transitions)).toEqual({ losses: [{ vdisk: 'v1', keeps: 'durable' }], survived: ['m1'] });
  });

  it('DS-3 a crash of the last serving copy may lose non-durable writes on the mirror', () => {
    const crash: GroupEvent = { type: 'crash', server: 's1' };
    const out = held.outcomes([walk([{ type: 'stop', server: 's2' }, writeM1])], crash);
    expect(lossesOf(model, crash, out.transitions).losses).toEqual([
      { vdisk: 'm1', keeps: 'durable' },
      { vdisk: 'v1', keeps: 'durable' },
    ]);
  });

  it('MIR-11 forcing an older copy online may lose anything; forcing a newest copy loses nothing more', () => {
    // s2 stopped, hosts wrote, s1 stopped: s2's copy is behind. Forcing it discards the writes.
    const behind = walk([{ type: 'stop', server: 's2' }, writeM1, stopS1, { type: 'start', server: 's2' }]);
    const forceOld: GroupEvent = { type: 'forceMirrorRecovery', vdisk: 'm1', copy: 's2' };
    expect(lossesOf(model, forceOld, held.outcomes([behind], forceOld).transitions).losses).toEqual([{ vdisk: 'm1', keeps: 'nothing' }]);
    const both = walk([writeM1, { type: 'siteCrash' }, { type: 'powerOn', server: 's1' }, { type: 'powerOn', server: 's2' }, startS1]);
    const forceNew: GroupEvent = { type: 'forceMirrorRecovery', vdisk: 'm1', copy: 's1' };
    expect(lossesOf(model, forceNew, held.outcomes([both], forceNew).transitions).losses).toEqual([]);
  });

  it('SRV-3 a graceful stop loses nothing', () => {
    expect(lossesOf(model, stopS1, held.outcomes(held.initial(), stopS1).transitions)).toEqual({ losses: [], survived: [] });
  });
});
