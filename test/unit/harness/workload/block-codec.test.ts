// The self-describing block values the workload writes: each decodes to exactly one (block,
// write id), zeros, or corrupt (DS-5 phantom/foreign data, DS-8 torn blocks).

import { describe, expect, it } from 'vitest';
import { createBlockCodec } from '../../../../harness/workload/index.js';

const codec = createBlockCodec({ disk: 'm1#1' });

describe('block codec', () => {
  it('round trip: a value decodes to its block and write id', () => {
    for (const [block, id] of [
      [0, 1],
      [7, 42],
      [123_456, 2 ** 40 + 3],
    ] as const) {
      expect(codec.decode(codec.encode(block, id), block)).toEqual({ kind: 'value', block, writeId: id });
    }
  });

  it('values of different writes to one block differ throughout, not only in the header', () => {
    const a = codec.encode(5, 1);
    const b = codec.encode(5, 2);
    let differing = 0;
    for (let i = 64; i < 4096; i++) if (a[i] !== b[i]) differing++;
    expect(differing).toBeGreaterThan(3500);
  });

  it('zeros decode as zeros (never written)', () => {
    expect(codec.decode(Buffer.alloc(4096), 3)).toEqual({ kind: 'zeros' });
  });

  it('DS-8 a torn block (first sectors of one write, the rest of another) is corrupt, torn', () => {
    const torn = Buffer.concat([codec.encode(9, 10).subarray(0, 2048), codec.encode(9, 11).subarray(2048)]);
    const d = codec.decode(torn, 9);
    expect(d).toMatchObject({ kind: 'corrupt', damage: 'torn' });
    expect(d.kind === 'corrupt' && d.reason).toMatch(/^torn: header of write 10 but bytes from offset 2048 differ/);
    // Half written over zeros: torn too.
    const half = Buffer.concat([codec.encode(9, 10).subarray(0, 512), Buffer.alloc(3584)]);
    expect(codec.decode(half, 9)).toMatchObject({ kind: 'corrupt', reason: expect.stringMatching(/^torn/) });
  });

  it("DS-5 another block's value, another disk's value and garbage are corrupt, not torn", () => {
    expect(codec.decode(codec.encode(4, 8), 5)).toMatchObject({
      kind: 'corrupt',
      damage: 'foreign',
      reason: expect.stringMatching(/holds block 4's value of write 8/),
    });
    const other = createBlockCodec({ disk: 'm1#2' });
    expect(codec.decode(other.encode(5, 8), 5)).toMatchObject({ kind: 'corrupt', reason: expect.stringMatching(/another disk/) });
    const garbage = Buffer.alloc(4096, 0xab);
    expect(codec.decode(garbage, 5)).toMatchObject({
      kind: 'corrupt',
      damage: 'garbage',
      reason: expect.stringMatching(/no value header/),
    });
    // Only the tail of a value (its first sector lost): no header.
    const tail = Buffer.concat([Buffer.alloc(512), codec.encode(5, 8).subarray(512)]);
    expect(codec.decode(tail, 5)).toMatchObject({ kind: 'corrupt', reason: expect.stringMatching(/no value header/) });
    expect(codec.decode(Buffer.alloc(100, 1), 5)).toMatchObject({ kind: 'corrupt', reason: expect.stringMatching(/read 100 bytes/) });
  });

  it('refuses block sizes and write ids it cannot encode', () => {
    expect(() => createBlockCodec({ disk: 'x', blockSize: 100 })).toThrow(/block size 100/);
    expect(() => codec.encode(1, 0)).toThrow(/0 means zeros/);
    const small = createBlockCodec({ disk: 'x', blockSize: 512 });
    expect(small.decode(small.encode(2, 3), 2)).toEqual({ kind: 'value', block: 2, writeId: 3 });
  });
});
