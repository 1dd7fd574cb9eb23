import { describe, expect, it } from 'vitest';
import { advance, decide, initialRecord, type GenerationRecord } from '../../../../engine/mirror/generations.js';

const synced = (): [GenerationRecord, GenerationRecord] => [initialRecord('m1'), initialRecord('m1')];
const both = (a: GenerationRecord, b: GenerationRecord) => [decide(a, b), decide(b, a)] as const;

describe('generation records decide the newest copy (engine)', () => {
  it('MIR-5 a copy stopped gracefully with no writes since is in sync; with writes it needs log recovery from the one that stayed', () => {
    const [s1, s2] = synced();
    expect(both(s1, s2)).toEqual([{ kind: 'inSync' }, { kind: 'inSync' }]);
    const s2wrote = advance(s2, 's2', s1.gen, false);
    expect(both(s1, s2wrote)).toEqual([
      { kind: 'recover', source: 'peer', recovery: 'log' },
      { kind: 'recover', source: 'self', recovery: 'log' },
    ]);
  });

  it('MIR-6 a copy whose server crashed while the other served needs full recovery, even without writes', () => {
    const [s1, s2] = synced();
    const s2alone = advance(s2, 's2', null, true);
    expect(decide(s1, s2alone)).toEqual({ kind: 'recover', source: 'peer', recovery: 'full' });
  });

  it('MIR-8, MIR-10 the last copy to serve is the source whatever the start order; a source that lost its cache gives full recovery', () => {
    const [s1, s2] = synced();
    const s2newer = advance(s2, 's2', s1.gen, false);
    expect(decide(s2newer, s1)).toEqual({ kind: 'recover', source: 'self', recovery: 'log' });
    const s2crashedAlone = { ...s2newer, lostCache: true };
    expect(decide(s1, s2crashedAlone)).toEqual({ kind: 'recover', source: 'peer', recovery: 'full' });
  });

  it('MIR-11 equal generations where one copy lost its cache: the other is the source; both lost: undecidable', () => {
    const [s1, s2] = synced();
    expect(decide({ ...s1, lostCache: true }, s2)).toEqual({ kind: 'recover', source: 'peer', recovery: 'full' });
    expect(decide({ ...s1, lostCache: true }, { ...s2, lostCache: true })).toMatchObject({ kind: 'undecidable' });
  });

  it('MIR-11 a forced generation wins over an unrelated one and the other copy gets full recovery', () => {
    const [s1, s2] = synced();
    const s1alone = advance(s1, 's1', s2.gen, false); // s1 served alone and then went down
    const s2forced: GenerationRecord = {
      ...advance(s2, 's2', null, true),
      forced: { at: new Date().toISOString(), previousGen: s2.gen, peerGen: null },
    };
    expect(decide(s1alone, s2forced)).toEqual({ kind: 'recover', source: 'peer', recovery: 'full' });
    expect(decide(s2forced, s1alone)).toEqual({ kind: 'recover', source: 'self', recovery: 'full' });
  });

  it('MIR-13 copies that both moved on without each other (split brain) are undecidable', () => {
    const [s1, s2] = synced();
    expect(decide(advance(s1, 's1', s2.gen, false), advance(s2, 's2', s1.gen, false))).toMatchObject({ kind: 'undecidable' });
  });
});
