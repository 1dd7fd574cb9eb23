// The mirror link wire format: every frame type round-trips through the decoder, whatever the chunking,
// and malformed input is refused with a message that says what was wrong.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeBye,
  encodeHead,
  encodeHello,
  encodeRefuse,
  encodeReplyError,
  encodeReplyOkHead,
  encodeRequestHead,
  FRAME,
  FrameDecoder,
  HEADER_SIZE,
  HEARTBEAT_FRAME,
  MAX_META_BYTES,
  MAX_PAYLOAD_BYTES,
  MirrorProtocolError,
  type Frame,
} from '../../../../engine/mirror/protocol.js';

const hello = { version: 1, groupId: 'g1', from: 's1', to: 's2', heartbeatMs: 100, deadAfterMs: 1000 };

function decodeAll(bytes: Buffer, chunk: number): Frame[] {
  const d = new FrameDecoder();
  const out: Frame[] = [];
  for (let i = 0; i < bytes.length; i += chunk) {
    d.push(bytes.subarray(i, i + chunk));
    for (let f = d.next(); f !== undefined; f = d.next()) out.push(f);
  }
  expect(d.partialBytes).toBe(0);
  return out;
}

function decodeError(bytes: Buffer): string {
  const d = new FrameDecoder();
  d.push(bytes);
  try {
    while (d.next() !== undefined);
  } catch (err) {
    expect(err).toBeInstanceOf(MirrorProtocolError);
    return (err as Error).message;
  }
  throw new Error('expected a protocol error');
}

describe('mirror link protocol', () => {
  it('round-trips every frame type, in any chunking', () => {
    const payload = Buffer.from(Array.from({ length: 9000 }, (_, i) => i & 0xff));
    const stream = Buffer.concat([
      encodeHello(hello),
      encodeRefuse('group-mismatch', 'wrong group'),
      encodeRequestHead(1, 'write', { offset: 4096, ü: '✓' }, payload.length),
      payload,
      encodeReplyOkHead(1, { ok: true }, 3),
      Buffer.from('abc'),
      encodeReplyOkHead(2, {}, 0),
      encodeReplyError(0xffff_ffff, 'EIO', 'disk failed'),
      HEARTBEAT_FRAME,
      encodeBye('closed'),
    ]);
    const expected: Frame[] = [
      { kind: 'hello', version: 1, hello },
      { kind: 'refuse', reason: 'group-mismatch', message: 'wrong group' },
      { kind: 'request', id: 1, type: 'write', header: { offset: 4096, ü: '✓' }, payload },
      { kind: 'reply-ok', id: 1, header: { ok: true }, payload: Buffer.from('abc') },
      { kind: 'reply-ok', id: 2, header: {}, payload: Buffer.alloc(0) },
      { kind: 'reply-error', id: 0xffff_ffff, code: 'EIO', message: 'disk failed' },
      { kind: 'heartbeat' },
      { kind: 'bye', reason: 'closed' },
    ];
    for (const chunk of [1, 3, 19, 20, 21, 4096, stream.length]) expect(decodeAll(stream, chunk)).toEqual(expected);
  });

  it('decodes any split of a request stream into the same frames (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ header: fc.object({ maxDepth: 1 }), payload: fc.uint8Array({ maxLength: 3000 }) }), { maxLength: 5 }),
        fc.integer({ min: 1, max: 5000 }),
        (requests, chunk) => {
          const stream = Buffer.concat(
            requests.flatMap((r, i) => [
              encodeRequestHead(i + 1, 't', r.header as Record<string, unknown>, r.payload.length),
              Buffer.from(r.payload),
            ]),
          );
          const frames = decodeAll(stream, chunk);
          expect(frames.length).toBe(requests.length);
          frames.forEach((f, i) => {
            expect(f.kind).toBe('request');
            if (f.kind === 'request') expect(f.payload.equals(Buffer.from(requests[i]?.payload ?? []))).toBe(true);
          });
        },
      ),
    );
  });

  it('hands out payloads the receiver owns (not views into later-reused chunks)', () => {
    const d = new FrameDecoder();
    const frame = Buffer.concat([encodeRequestHead(5, 'w', {}, 4), Buffer.from('data')]);
    d.push(frame);
    const f = d.next();
    frame.fill(0);
    expect(f?.kind === 'request' && f.payload.toString()).toBe('data');
  });

  it('refuses malformed frames with a message that names the problem', () => {
    const wrongMagic = Buffer.from(HEARTBEAT_FRAME);
    wrongMagic.writeUInt32BE(0xdeadbeef, 0);
    expect(decodeError(wrongMagic)).toMatch(/magic 0xdeadbeef/);
    const badVersion = Buffer.from(HEARTBEAT_FRAME);
    badVersion[4] = 9;
    expect(decodeError(badVersion)).toMatch(/protocol version 9/);
    const badType = Buffer.from(HEARTBEAT_FRAME);
    badType[5] = 42;
    expect(decodeError(badType)).toMatch(/unknown frame type 42/);
    const flags = Buffer.from(HEARTBEAT_FRAME);
    flags.writeUInt16BE(1, 6);
    expect(decodeError(flags)).toMatch(/reserved flags/);
    const bigPayload = encodeRequestHead(1, 'w', {}, 0);
    bigPayload.writeUInt32BE(MAX_PAYLOAD_BYTES + 1, 16);
    expect(decodeError(bigPayload)).toMatch(/payload; the limit is/);
    const bigMeta = encodeRequestHead(1, 'w', {}, 0);
    bigMeta.writeUInt32BE(MAX_META_BYTES + 1, 12);
    expect(decodeError(bigMeta)).toMatch(/header; the limit is/);
    expect(decodeError(encodeRequestHead(1, 'w', {}, 0).fill(0, 8, 12))).toMatch(/REQUEST frame has id 0/);
    expect(decodeError(encodeHead(FRAME.REQUEST, 1, '{"type":5}', 0))).toMatch(/'type' must be/);
    expect(decodeError(encodeHead(FRAME.REQUEST, 1, 'not json', 0))).toMatch(/not JSON/);
    expect(decodeError(encodeHead(FRAME.REPLY_OK, 1, '[1]', 0))).toMatch(/not a JSON object/);
    expect(decodeError(encodeHead(FRAME.REFUSE, 0, '{"reason":"bored","message":"m"}', 0))).toMatch(/'reason' must be one of/);
    expect(decodeError(encodeHead(FRAME.HELLO, 0, JSON.stringify({ ...hello, groupId: '' }), 0))).toMatch(/'groupId'/);
    const heartbeatWithPayload = Buffer.from(HEARTBEAT_FRAME);
    heartbeatWithPayload.writeUInt32BE(1, 16);
    expect(decodeError(heartbeatWithPayload)).toMatch(/takes none/);
  });

  it('reads a HELLO of another version so that it can be refused politely', () => {
    const other = encodeHead(FRAME.HELLO, 0, JSON.stringify({ version: 7, anything: 'else' }), 0);
    other[4] = 7;
    expect(decodeAll(other, 5)).toEqual([{ kind: 'hello', version: 7, hello: undefined }]);
  });

  it('describes an incomplete frame', () => {
    const d = new FrameDecoder();
    d.push(encodeRequestHead(1, 'write', {}, 4096));
    expect(d.next()).toBeUndefined();
    expect(d.partialBytes).toBeGreaterThan(HEADER_SIZE);
    expect(d.describePartial()).toMatch(/of 4\d{3} bytes of a REQUEST frame/);
  });

  it('refuses to encode over the caps', () => {
    expect(() => encodeRequestHead(1, 'w', {}, MAX_PAYLOAD_BYTES + 1)).toThrow(expect.objectContaining({ code: 'MLINK_FRAME_TOO_LARGE' }));
    expect(() => encodeRequestHead(1, 'w', { big: 'x'.repeat(MAX_META_BYTES) }, 0)).toThrow(
      expect.objectContaining({ code: 'MLINK_FRAME_TOO_LARGE' }),
    );
  });
});
