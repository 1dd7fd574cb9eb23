// The data-safety checker against hand-made histories: each DS rule satisfied and violated, with
// the evidence (block, value found, allowed values, history entries) in every violation.

import { describe, expect, it } from 'vitest';
import {
  checkHistory,
  createBlockCodec,
  formatViolations,
  type History,
  type HistoryEntry,
  type OpOutcome,
} from '../../../../harness/workload/index.js';

const codec = createBlockCodec({ disk: 'test' });

const write = (
  id: number,
  block: number,
  invokedAt: number,
  completedAt: number,
  outcome: OpOutcome = 'ok',
  fua = false,
): HistoryEntry => ({
  id,
  kind: 'write',
  block,
  value: id,
  fua,
  invokedAt,
  completedAt,
  outcome,
});
const flush = (id: number, invokedAt: number, completedAt: number, outcome: OpOutcome = 'ok'): HistoryEntry => ({
  id,
  kind: 'flush',
  invokedAt,
  completedAt,
  outcome,
});
const read = (id: number, block: number, invokedAt: number, completedAt: number, value: number): HistoryEntry => ({
  id,
  kind: 'read',
  block,
  value,
  invokedAt,
  completedAt,
  outcome: 'ok',
});

const history = (entries: HistoryEntry[], blocks = 1): History => ({ disk: 'test', blockSize: 4096, blocks, entries });

/** Final contents: a write id per block (0 = zeros), or a buffer. */
const finalOf =
  (contents: Record<number, number | Buffer>) =>
  (block: number): Buffer => {
    const c = contents[block] ?? 0;
    if (Buffer.isBuffer(c)) return c;
    return c === 0 ? Buffer.alloc(4096) : codec.encode(block, c);
  };

const none = { crashes: 'none' } as const;
const crashes = { crashes: 'allowed' } as const;

describe('checkHistory: final contents', () => {
  it('DS-1 satisfied: each block holds its latest acknowledged value; never-written blocks are zeros', () => {
    const h = history([write(1, 0, 0, 1), write(2, 0, 2, 3)], 2);
    expect(checkHistory(h, finalOf({ 0: 2 }), none)).toEqual([]);
  });

  it('DS-1 satisfied: a write whose outcome is unknown may or may not have happened, even after later writes', () => {
    const h = history([write(1, 0, 0, 1), write(2, 0, 2, 3, 'unknown'), write(3, 0, 4, 5)]);
    expect(checkHistory(h, finalOf({ 0: 3 }), none)).toEqual([]);
    expect(checkHistory(h, finalOf({ 0: 2 }), none)).toEqual([]);
  });

  it('DS-1 satisfied: of two overlapping acknowledged writes either may be last', () => {
    const h = history([write(1, 0, 0, 10), write(2, 0, 5, 6)]);
    expect(checkHistory(h, finalOf({ 0: 1 }), none)).toEqual([]);
    expect(checkHistory(h, finalOf({ 0: 2 }), none)).toEqual([]);
  });

  it('DS-1 violated: an older value, or zeros, where a later write was acknowledged and nothing crashed', () => {
    const h = history([write(1, 0, 0, 1), write(2, 0, 2, 3)]);
    const [v] = checkHistory(h, finalOf({ 0: 1 }), none);
    expect(v).toMatchObject({ invariant: 'DS-1', block: 0, seenBy: 'final-read', found: { kind: 'value', writeId: 1 }, allowed: [2] });
    expect(v!.evidence.map((e) => e.id)).toEqual([1, 2]);
    expect(v!.message).toMatch(/lost acknowledged write: block 0 reads write 1, but write 2 was acknowledged/);
    const [z] = checkHistory(h, finalOf({ 0: 0 }), none);
    expect(z).toMatchObject({ invariant: 'DS-1', found: { kind: 'zeros' } });
  });

  it('DS-3 satisfied: after a crash a block holds its latest durable value (FUA, or flushed) or a later one', () => {
    // write 1 FUA, write 2 acknowledged but never flushed: either may survive.
    const fua = history([write(1, 0, 0, 1, 'ok', true), write(2, 0, 2, 3)]);
    expect(checkHistory(fua, finalOf({ 0: 1 }), crashes)).toEqual([]);
    expect(checkHistory(fua, finalOf({ 0: 2 }), crashes)).toEqual([]);
    // write 1 flushed by flush 2 (began after it completed): durable.
    const flushed = history([write(1, 0, 0, 1), flush(2, 2, 3), write(3, 0, 4, 5)]);
    expect(checkHistory(flushed, finalOf({ 0: 1 }), crashes)).toEqual([]);
    // Nothing durable: zeros allowed.
    expect(checkHistory(history([write(1, 0, 0, 1)]), finalOf({ 0: 0 }), crashes)).toEqual([]);
  });

  it('DS-3 satisfied: a flush that began before the write completed does not make it durable', () => {
    const h = history([write(1, 0, 0, 1, 'ok', true), write(2, 0, 2, 5), flush(3, 4, 6)]);
    expect(checkHistory(h, finalOf({ 0: 1 }), crashes)).toEqual([]);
  });

  it('DS-3 violated: a durable (FUA or flushed) write lost, or zeros where a durable write exists, with the flush as evidence', () => {
    const h = history([write(1, 0, 0, 1, 'ok', true), write(2, 0, 2, 3), flush(3, 4, 5), write(4, 1, 6, 7, 'ok', true)], 2);
    const v = checkHistory(h, finalOf({ 0: 1, 1: 0 }), crashes);
    expect(v.map((x) => `${x.invariant}:${x.block}`)).toEqual(['DS-3:0', 'DS-3:1']);
    expect(v[0]!.message).toMatch(
      /lost durable write: block 0 reads write 1, older than the durable write 2 \(acknowledged, then flush 3 acknowledged\)/,
    );
    expect(v[0]!.evidence.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(v[1]!.message).toMatch(/block 1 reads zeros, older than the durable write 4 \(FUA, acknowledged\)/);
    expect(formatViolations(v)).toMatch(/#3 flush ok/);
  });

  it("DS-5 violated: a value nobody wrote to the block, or of a write reported failed; another block's value", () => {
    const h = history([write(1, 0, 0, 1), write(2, 0, 2, 3, 'fail'), write(3, 1, 0, 1)], 2);
    expect(checkHistory(h, finalOf({ 0: 9, 1: 3 }), none)[0]).toMatchObject({
      invariant: 'DS-5',
      block: 0,
      message: expect.stringMatching(/write 9, which no host issued to this block/),
    });
    expect(checkHistory(h, finalOf({ 0: 2, 1: 3 }), crashes)[0]).toMatchObject({
      invariant: 'DS-5',
      message: expect.stringMatching(/reported failed/),
    });
    const v = checkHistory(h, finalOf({ 0: 1, 1: codec.encode(0, 1) }), none);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({
      invariant: 'DS-5',
      block: 1,
      found: { kind: 'corrupt', reason: expect.stringMatching(/holds block 0's value/) },
    });
  });

  it('DS-8 violated: a torn block (half of one write, half of another)', () => {
    const h = history([write(1, 0, 0, 1), write(2, 0, 2, 3, 'unknown')]);
    const torn = Buffer.concat([codec.encode(0, 2).subarray(0, 2048), codec.encode(0, 1).subarray(2048)]);
    const [v] = checkHistory(h, finalOf({ 0: torn }), crashes);
    expect(v).toMatchObject({ invariant: 'DS-8', block: 0, found: { kind: 'corrupt' } });
    expect(v!.message).toMatch(/part of one write and part of another/);
  });

  it('forced (MIR-11): any value written to the block, or zeros, is accepted; phantom and torn data still are not', () => {
    const h = history([write(1, 0, 0, 1, 'ok', true), write(2, 0, 2, 3, 'ok', true)]);
    expect(checkHistory(h, finalOf({ 0: 1 }), { crashes: 'allowed', forced: true })).toEqual([]);
    expect(checkHistory(h, finalOf({ 0: 0 }), { crashes: 'allowed', forced: true })).toEqual([]);
    expect(checkHistory(h, finalOf({ 0: 7 }), { crashes: 'allowed', forced: true })[0]!.invariant).toBe('DS-5');
  });
});

describe('checkHistory: reads during the run', () => {
  it('DS-4 satisfied: a read returns the latest write acknowledged before it began, or a write concurrent with it', () => {
    const h = history([write(1, 0, 0, 1), read(2, 0, 2, 3, 1), write(3, 0, 4, 8), read(4, 0, 5, 6, 3), read(5, 0, 5, 6, 1)]);
    expect(checkHistory(h, finalOf({ 0: 3 }), none)).toEqual([]);
  });

  it('DS-4 violated: a read returns a value older than a write acknowledged before it began (stale read)', () => {
    const h = history([write(1, 0, 0, 1), write(2, 0, 2, 3), read(3, 0, 4, 5, 1), read(4, 0, 4, 5, 0)]);
    const v = checkHistory(h, finalOf({ 0: 2 }), crashes);
    expect(v.map((x) => x.invariant)).toEqual(['DS-4', 'DS-4']);
    expect(v[0]).toMatchObject({ block: 0, seenBy: { readId: 3 }, found: { kind: 'value', writeId: 1 }, allowed: [2] });
    expect(v[0]!.message).toMatch(/stale read: read 3 of block 0 returned write 1, older than write 2 acknowledged before the read began/);
    expect(v[0]!.evidence.map((e) => e.id)).toEqual([3, 1, 2]);
    // Unless an operator forced an older copy online.
    expect(checkHistory(h, finalOf({ 0: 2 }), { crashes: 'allowed', forced: true })).toEqual([]);
  });

  it('DS-5 violated: a read returns a value of a write that began only after the read completed', () => {
    const h = history([read(1, 0, 0, 1, 2), write(2, 0, 3, 4)]);
    expect(checkHistory(h, finalOf({ 0: 2 }), none)[0]).toMatchObject({
      invariant: 'DS-5',
      seenBy: { readId: 1 },
      message: expect.stringMatching(/invoked only after the read had completed/),
    });
  });

  it('DS-8 violated: a read that returned a torn block is reported from its record', () => {
    const r: HistoryEntry = {
      id: 2,
      kind: 'read',
      block: 0,
      corrupt: { damage: 'torn', reason: 'torn: header of write 1 but bytes from offset 2048 differ from that value' },
      invokedAt: 2,
      completedAt: 3,
      outcome: 'ok',
    };
    const h = history([write(1, 0, 0, 1), r]);
    expect(checkHistory(h, finalOf({ 0: 1 }), none)[0]).toMatchObject({ invariant: 'DS-8', seenBy: { readId: 2 } });
  });
});
