import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../../harness/check/format.js';
import { everyPathIds, pathSpecIds, sortSpecIds, specRules, stepSpecIds } from '../../../../harness/plan/spec-ids.js';
import { createGroupModel, type GroupState } from '../../../../models/group.js';
import { groupStatus } from '../../../../models/status.js';
import { defaultTopology } from '../../../../models/topology.js';

const model = createGroupModel(defaultTopology());

/** The SPEC IDs of each step of a sequence of events from the initial state, as the table reads them. */
function stepsOf(...labels: string[]) {
  let state: GroupState = model.initial;
  const written = new Set<string>();
  const flushed = new Set<string>();
  return labels.map((label) => {
    const event = parseEvent(label);
    const r = model.step(state, event);
    const ids = stepSpecIds({
      event,
      refused: r.refusal !== null,
      before: groupStatus(model, state),
      after: groupStatus(model, r.state),
      written,
      flushed,
    });
    if (!r.refusal && event.type === 'write') written.add(event.vdisk);
    if (!r.refusal && event.type === 'flush' && written.has(event.vdisk)) flushed.add(event.vdisk);
    state = r.state;
    return ids;
  });
}

describe('SPEC IDs of a step, from what it does', () => {
  it('a refused command is the refusal rule and changes nothing else', () => {
    const [ids] = stepsOf('start s1');
    expect(ids).toEqual(['SRV-12']);
  });

  it('a stop lists the stop, port, path, failover and single-disk rules', () => {
    const [, stop] = stepsOf('write m1', 'stop s1');
    expect(sortSpecIds(stop!)).toEqual(
      expect.arrayContaining(['SRV-1', 'SRV-2', 'SRV-3', 'SRV-5', 'PRT-2', 'PTH-1', 'PTH-2', 'PTH-3', 'VD-1', 'MIR-2', 'MIR-4', 'DS-7']),
    );
    expect(stop).not.toContain('SRV-11');
  });

  it('a crash while the partner serves lists the crash, full-recovery and single-fault rules', () => {
    const [, , crash] = stepsOf('write m1', 'flush m1', 'crash s1');
    expect(crash).toEqual(expect.arrayContaining(['SRV-10', 'SRV-11', 'MIR-6', 'DS-2', 'DS-3', 'PRT-3']));
  });

  it('a write while a copy is away lists the change-log rules; recovery lists failback and convergence', () => {
    const [, , write, start, done] = stepsOf('write m1', 'stop s2', 'write m1', 'start s2', 'recoveryComplete m1');
    expect(write).toEqual(expect.arrayContaining(['MIR-3', 'MIR-5']));
    expect(start).toEqual(expect.arrayContaining(['SRV-7', 'MIR-7']));
    expect(done).toEqual(expect.arrayContaining(['MIR-7', 'DS-6', 'PTH-3']));
  });

  it('both copies down, then back: the unknown state and the decision', () => {
    const [, , , down, , up] = stepsOf('write m1', 'stop s1', 'write m1', 'stop s2', 'start s1', 'start s2');
    expect(down).toEqual(expect.arrayContaining(['MIR-8', 'MIR-9']));
    expect(up).toEqual(expect.arrayContaining(['MIR-10', 'MIR-12']));
  });

  it('a path lists what its steps exercise and what every path does, in catalogue order', () => {
    let state: GroupState = model.initial;
    const steps = ['write v1', 'stop s1', 'start s1'].map((label) => {
      const event = parseEvent(label);
      const r = model.step(state, event);
      const step = { event, refused: r.refusal !== null, before: groupStatus(model, state), after: groupStatus(model, r.state) };
      state = r.state;
      return step;
    });
    const ids = pathSpecIds(steps);
    expect(ids).toEqual(sortSpecIds(ids));
    expect(ids).toEqual(expect.arrayContaining([...everyPathIds, 'SRV-1', 'SRV-7', 'VD-1', 'VD-2']));
    expect(ids.indexOf('SRV-7')).toBeLessThan(ids.indexOf('PRT-1'));
    expect(ids.at(-1)).toBe('CF-2');
  });
});

describe('the SPEC ID table', () => {
  it('reads the path history only in rules that say so', () => {
    let state: GroupState = model.initial;
    const labels = ['write m1', 'flush m1', 'stop s1', 'write m1', 'crash s2', 'powerOn s2', 'start s1', 'start s2', 'recoveryComplete m1'];
    const none = new Set<string>();
    const all = new Set(['m1', 'v1', 'v2']);
    for (const label of labels) {
      const event = parseEvent(label);
      const r = model.step(state, event);
      const facts = { event, refused: r.refusal !== null, before: groupStatus(model, state), after: groupStatus(model, r.state) };
      for (const rule of specRules.filter((x) => !x.readsHistory)) {
        expect(rule.when({ ...facts, written: none, flushed: none }), `${rule.ids.join(' ')} on ${label}`).toBe(
          rule.when({ ...facts, written: all, flushed: all }),
        );
      }
      state = r.state;
    }
  });
});
