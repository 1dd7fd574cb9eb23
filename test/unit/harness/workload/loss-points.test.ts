// Timed loss points of the data-safety checker: a crash at a known time may lose, on the disk it
// hit, the writes not durable by then; an older copy forced online may lose anything written
// before it. Hand-built histories, each rule shown satisfied and violated, with the evidence.

import { describe, expect, it } from 'vitest';
import {
  checkHistory,
  checkRead,
  createBlockCodec,
  type History,
  type HistoryEntry,
  type LossPoint,
  type OpOutcome,
} from '../../../../harness/workload/index.js';

const codec = createBlockCodec({ disk: 'loss' });

const write = (id: number, block: number, at: [number, number], options: { outcome?: OpOutcome; fua?: boolean } = {}): HistoryEntry => ({
  id,
  kind: 'write',
  block,
  value: id,
  fua: options.fua ?? false,
  invokedAt: at[0],
  completedAt: at[1],
  outcome: options.outcome ?? 'ok',
});
const flush = (id: number, at: [number, number]): HistoryEntry => ({
  id,
  kind: 'flush',
  invokedAt: at[0],
  completedAt: at[1],
  outcome: 'ok',
});
const read = (id: number, block: number, at: [number, number], value: number): HistoryEntry => ({
  id,
  kind: 'read',
  block,
  value,
  invokedAt: at[0],
  completedAt: at[1],
  outcome: 'ok',
});
const crash = (from: number, to: number, label = 'crash s1 (step 2)'): LossPoint => ({ label, from, to, keeps: 'durable' });
const force = (from: number, to: number): LossPoint => ({ label: 'forceMirrorRecovery m1 --copy s2 (step 5)', from, to, keeps: 'nothing' });

const history = (entries: HistoryEntry[], blocks = 1): History => ({ disk: 'loss', blockSize: 4096, blocks, entries });
const finalOf =
  (contents: Record<number, number>) =>
  (block: number): Buffer => {
    const c = contents[block] ?? 0;
    return c === 0 ? Buffer.alloc(4096) : codec.encode(block, c);
  };
const judge = (entries: HistoryEntry[], final: Record<number, number>, lossPoints: LossPoint[]) =>
  checkHistory(history(entries), finalOf(final), { lossPoints });

describe('loss points: crashes (DS-3)', () => {
  it('DS-3 a crash may lose an acknowledged write that was not durable: zeros or the write are both allowed', () => {
    const h = [write(1, 0, [0, 1])];
    expect(judge(h, { 0: 0 }, [crash(2, 3)])).toEqual([]);
    expect(judge(h, { 0: 1 }, [crash(2, 3)])).toEqual([]);
    // Without the crash the same zeros are a lost acknowledged write.
    expect(judge(h, { 0: 0 }, [])[0]).toMatchObject({ invariant: 'DS-1', block: 0 });
  });

  it('DS-3 a FUA write acknowledged before the crash began survives it; losing it names the crash', () => {
    const [v] = judge([write(1, 0, [0, 1], { fua: true })], { 0: 0 }, [crash(2, 3)]);
    expect(v).toMatchObject({ invariant: 'DS-3', block: 0, found: { kind: 'zeros' }, allowed: [1] });
    expect(v!.message).toMatch(/older than the durable write 1 \(FUA, acknowledged\) across crash s1 \(step 2\)/);
  });

  it('DS-3 a FUA write acknowledged while the crash action ran may have been acknowledged after the crash, but was not durable before it', () => {
    // Acknowledged at 2.5, inside the crash action [2, 3]: exposed, and not durable at 2.
    expect(judge([write(1, 0, [0, 2.5], { fua: true })], { 0: 0 }, [crash(2, 3)])).toEqual([]);
  });

  it('DS-3 a flush acknowledged before the crash began makes earlier writes durable; the flush is evidence', () => {
    const h = [write(1, 0, [0, 1]), flush(2, [1.2, 1.8])];
    const [v] = judge(h, { 0: 0 }, [crash(2, 3)]);
    expect(v).toMatchObject({ invariant: 'DS-3', allowed: [1] });
    expect(v!.message).toMatch(/durable write 1 \(acknowledged, then flush 2 acknowledged\) across crash s1/);
    expect(v!.evidence.map((e) => e.id)).toEqual([1, 2]);
  });

  it('DS-3 a flush still running when the crash began proves nothing; one invoked before the write completed covers nothing', () => {
    // The flush completed at 2.5, after the crash began at 2.
    expect(judge([write(1, 0, [0, 1]), flush(2, [1.5, 2.5])], { 0: 0 }, [crash(2, 3)])).toEqual([]);
    // The flush began at 0.5, before write 1 was acknowledged at 1.
    expect(judge([write(1, 0, [0, 1]), flush(2, [0.5, 1.5])], { 0: 0 }, [crash(2, 3)])).toEqual([]);
  });

  it('DS-1 a write acknowledged after the crash action completed must survive: the crash cannot have lost it', () => {
    const h = [write(1, 0, [0, 1], { fua: true }), write(2, 0, [4, 5])];
    const [v] = judge(h, { 0: 1 }, [crash(2, 3)]);
    expect(v).toMatchObject({ invariant: 'DS-1', block: 0, found: { kind: 'value', writeId: 1 }, allowed: [2] });
    expect(v!.message).toMatch(/but write 2 was acknowledged and no crash or forced recovery since could lose it/);
  });

  it('DS-3 a crash allows the newest durable value or anything later, never something older than it', () => {
    const h = [write(1, 0, [0, 1]), write(2, 0, [2, 3], { fua: true }), write(3, 0, [4, 5]), write(4, 0, [6, 7], { outcome: 'unknown' })];
    const lost = [crash(8, 9)];
    expect(judge(h, { 0: 2 }, lost)).toEqual([]);
    expect(judge(h, { 0: 3 }, lost)).toEqual([]);
    expect(judge(h, { 0: 4 }, lost)).toEqual([]);
    expect(judge(h, { 0: 1 }, lost)[0]).toMatchObject({ invariant: 'DS-3', allowed: [2, 3, 4] });
  });

  it('DS-3 two crashes: a write durable before both survives both; what either could lose may be gone', () => {
    const h = [write(1, 0, [0, 1], { fua: true }), write(2, 0, [2, 3]), write(3, 0, [6, 7])];
    const lost = [crash(4, 5), crash(8, 9, 'crash s1 (step 6)')];
    for (const value of [1, 2, 3]) expect(judge(h, { 0: value }, lost)).toEqual([]);
    const [v] = judge(h, { 0: 0 }, lost);
    expect(v).toMatchObject({ invariant: 'DS-3', found: { kind: 'zeros' } });
    expect(v!.message).toMatch(/across crash s1 \(step 2\), crash s1 \(step 6\)/);
  });

  it('DS-3 a write acknowledged between two crashes and flushed before the second survives the second', () => {
    const h = [write(1, 0, [0, 1]), write(2, 0, [6, 7]), flush(3, [7.5, 7.8])];
    const lost = [crash(4, 5), crash(8, 9, 'crash s1 (step 6)')];
    expect(judge(h, { 0: 2 }, lost)).toEqual([]);
    expect(judge(h, { 0: 1 }, lost)[0]).toMatchObject({ invariant: 'DS-3', allowed: [2] });
  });

  it('DS-3 a write whose outcome is unknown across a crash may or may not be there', () => {
    const h = [write(1, 0, [0, 1], { fua: true }), write(2, 0, [1.5, 2.5], { outcome: 'unknown' })];
    expect(judge(h, { 0: 2 }, [crash(2, 3)])).toEqual([]);
    expect(judge(h, { 0: 1 }, [crash(2, 3)])).toEqual([]);
  });

  it('DS-5 a crash never excuses a value nobody wrote, or a failed write', () => {
    const h = [write(1, 0, [0, 1]), write(2, 0, [1.5, 1.8], { outcome: 'fail' })];
    expect(judge(h, { 0: 9 }, [crash(2, 3)])[0]).toMatchObject({ invariant: 'DS-5' });
    expect(judge(h, { 0: 2 }, [crash(2, 3)])[0]).toMatchObject({ invariant: 'DS-5', message: expect.stringMatching(/reported failed/) });
  });
});

describe('loss points: reads during the run', () => {
  it('DS-3 a read after a crash may return the older value a crash allows, not an older one than the durable value', () => {
    const h = [write(1, 0, [0, 1], { fua: true }), write(2, 0, [2, 3]), read(3, 0, [6, 7], 1), read(4, 0, [6, 7], 0)];
    const lost = [crash(4, 5)];
    const v = judge(h, { 0: 1 }, lost);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ invariant: 'DS-3', seenBy: { readId: 4 }, allowed: [1, 2] });
    expect(v[0]!.message).toMatch(
      /lost durable write: read 4 of block 0 returned zeros, older than the durable write 1 \(FUA, acknowledged\)/,
    );
  });

  it('DS-4 a stale read before the crash is not excused by a crash that came later', () => {
    const h = [write(1, 0, [0, 1]), write(2, 0, [2, 3]), read(3, 0, [4, 5], 1)];
    const [v] = judge(h, { 0: 2 }, [crash(6, 7)]);
    expect(v).toMatchObject({ invariant: 'DS-4', seenBy: { readId: 3 } });
  });

  it('checkRead takes the flushes and loss points: a flushed write survives the crash for a read after it', () => {
    const w = write(1, 0, [0, 1]);
    const r = read(3, 0, [6, 7], 0);
    const zeros = { kind: 'zeros' } as const;
    expect(checkRead(r, zeros, [w], { lossPoints: [crash(4, 5)] })).toBeNull();
    expect(checkRead(r, zeros, [w], { lossPoints: [crash(4, 5)], flushes: [flush(2, [2, 3])] })).toMatchObject({ invariant: 'DS-3' });
  });
});

describe('loss points: an older copy forced online (MIR-11)', () => {
  it('DS-4 DS-5 forced: after the force a block may hold anything written before it, or zeros, durable or not', () => {
    const h = [write(1, 0, [0, 1], { fua: true }), write(2, 0, [2, 3], { fua: true }), read(3, 0, [6, 7], 1), read(4, 0, [6, 7], 0)];
    expect(judge(h, { 0: 0 }, [force(4, 5)])).toEqual([]);
    expect(judge(h, { 0: 1 }, [force(4, 5)])).toEqual([]);
    // Still never something nobody wrote.
    expect(judge(h, { 0: 7 }, [force(4, 5)])[0]).toMatchObject({ invariant: 'DS-5' });
  });

  it('DS-1 writes acknowledged after the force must be kept like any other', () => {
    const h = [write(1, 0, [0, 1], { fua: true }), write(2, 0, [6, 7])];
    expect(judge(h, { 0: 1 }, [force(4, 5)])[0]).toMatchObject({ invariant: 'DS-1', allowed: [2] });
  });

  it('DS-4 reads before the force are judged without it', () => {
    const h = [write(1, 0, [0, 1]), read(2, 0, [2, 3], 0)];
    expect(judge(h, { 0: 1 }, [force(4, 5)])[0]).toMatchObject({ invariant: 'DS-4', seenBy: { readId: 2 } });
  });
});

describe('access control (DS-7)', () => {
  it('DS-7 a write issued while host access was disabled must never appear, in a read or at the end', () => {
    const denied: HistoryEntry = { ...write(2, 0, [2, 3], { outcome: 'fail' }), accessDisabled: true };
    const h = [write(1, 0, [0, 1]), denied, read(3, 0, [4, 5], 2)];
    const v = judge(h, { 0: 2 }, []);
    expect(v.map((x) => x.invariant)).toEqual(['DS-7', 'DS-7']);
    expect(v[0]!.message).toMatch(/issued while host access to the disk was disabled/);
    expect(judge([write(1, 0, [0, 1]), denied], { 0: 1 }, [])).toEqual([]);
  });
});
