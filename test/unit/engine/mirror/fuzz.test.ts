// Fuzzing a listening mirror link with fast-check: garbage, wrong magic, oversized declarations,
// mutated and truncated frame streams, before and after a valid handshake. The link must never
// crash, must close each fuzzed connection once its client half-closes (or at once on bad bytes),
// must only ever send well-formed frames, and must still serve a well-behaved peer afterwards.

import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  encodeBye,
  encodeHead,
  encodeHello,
  encodeReplyError,
  encodeRequestHead,
  FRAME,
  HEADER_SIZE,
  MAGIC,
  MAX_PAYLOAD_BYTES,
  PROTOCOL_VERSION,
  type FrameType,
} from '../../../../engine/mirror/protocol.js';
import { FAST, startTestLink, type TestLink } from '../../../helpers/mirror-links.js';
import { RawMirrorPeer } from '../../../helpers/mirror-raw-peer.js';
import { CleanupStack } from '../../../helpers/cleanup-stack.js';
import { waitFor, within } from '../../../helpers/wait-for.js';

const suite = new CleanupStack();
const perTest = new CleanupStack();
let s2: TestLink;

beforeAll(async () => {
  s2 = await startTestLink(suite, {
    self: 's2',
    peer: 's1',
    groupId: 'g1',
    listen: { host: '127.0.0.1', port: 0 },
    ...FAST,
    deadAfterMs: 2000,
  });
});
afterEach(() => perTest.run());
afterAll(() => suite.run());

function port(): number {
  return s2.link.address?.port ?? 0;
}

const VALID_HELLO = encodeHello({ version: PROTOCOL_VERSION, groupId: 'g1', from: 's1', to: 's2', heartbeatMs: 20, deadAfterMs: 2000 });

/** Sends `bytes` (after a valid HELLO if asked), half-closes, and requires the link to close the connection. */
async function sendAndHangUp(bytes: Buffer, handshake: boolean): Promise<RawMirrorPeer> {
  const raw = await RawMirrorPeer.open(perTest, port());
  if (handshake) {
    raw.send(VALID_HELLO);
    await raw.waitFrame('hello');
  }
  raw.send(bytes);
  raw.socket.end();
  await within(raw.closed, 5000, 'the link closing a half-closed fuzz connection');
  expect(raw.decodeError).toBeUndefined();
  await waitFor(() => !s2.link.up, 's2 down after the fuzz connection');
  return raw;
}

/** A well-behaved s1 still gets its requests answered, byte for byte. */
async function linkStillServes(): Promise<void> {
  const cleanup = new CleanupStack();
  try {
    const s1 = await startTestLink(cleanup, {
      self: 's1',
      peer: 's2',
      groupId: 'g1',
      connect: { host: '127.0.0.1', port: port() },
      ...FAST,
      deadAfterMs: 2000,
    });
    await s1.waitUp();
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const reply = await s1.link.request('echo', { check: true }, data);
    expect(reply.header).toEqual({ check: true });
    expect(reply.payload.equals(data)).toBe(true);
  } finally {
    await cleanup.run();
  }
  await waitFor(() => !s2.link.up, 's2 down after the checking peer left');
}

const metaArb = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 2 }),
  fc.constantFrom(
    '{"type":"echo","header":{}}',
    '{"header":{"a":1}}',
    '{"code":"EIO","message":"m"}',
    '{"reason":"r"}',
    '{',
    '[]',
    'null',
    '"x"',
  ),
  fc
    .record({ type: fc.string({ maxLength: 300 }), header: fc.oneof(fc.object({ maxDepth: 1 }), fc.constant(null)) })
    .map((v) => JSON.stringify(v)),
);

/** One frame, mostly well-formed, sometimes lying about its lengths or fields. */
const frameArb = fc
  .record({
    type: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 7 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) }),
    id: fc.oneof(fc.constantFrom(0, 1, 2, 0xffff_ffff), fc.nat()),
    meta: metaArb,
    payload: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    lie: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.record({ at: fc.constantFrom(4, 6, 12, 16), value: fc.nat() }) },
    ),
  })
  .map(({ type, id, meta, payload, lie }) => {
    const safeType = (type >= 1 && type <= 7 ? type : 1) as FrameType;
    const head = encodeHead(safeType, id, meta, payload.length);
    head[5] = type;
    if (lie !== undefined) {
      if (lie.at === 4) head[4] = lie.value & 0xff;
      else if (lie.at === 6) head.writeUInt16BE(lie.value & 0xffff, 6);
      else head.writeUInt32BE(lie.value >>> 0, lie.at);
    }
    return Buffer.concat([head, payload]);
  });

/** A stream of frames, possibly with a flipped byte, trailing garbage, and cut anywhere. */
const streamArb = fc
  .record({
    frames: fc.array(frameArb, { maxLength: 8 }),
    flip: fc.option(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { nil: undefined }),
    trailer: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    cut: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ frames, flip, trailer, cut }) => {
    const stream = Buffer.concat([...frames, trailer]);
    if (flip !== undefined && stream.length > 0) {
      const at = flip.at % stream.length;
      stream[at] = (stream[at] ?? 0) ^ flip.xor;
    }
    return cut === undefined ? stream : stream.subarray(0, cut % (stream.length + 1));
  });

/** Well-formed requests (answered by the link), then cut anywhere: a peer vanishing mid-frame. */
const requestsArb = fc
  .record({
    requests: fc.array(
      fc.record({
        type: fc.constantFrom('echo', 'fail', 'throw-sync', 'write'),
        header: fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.integer(), fc.string({ maxLength: 8 })), { maxKeys: 3 }),
        payload: fc.uint8Array({ maxLength: 5000 }).map((a) => Buffer.from(a)),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    cut: fc.nat(),
  })
  .map(({ requests, cut }) => {
    const stream = Buffer.concat(requests.flatMap((r, i) => [encodeRequestHead(i + 1, r.type, r.header, r.payload.length), r.payload]));
    return stream.subarray(0, cut % (stream.length + 1));
  });

const garbageArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  streamArb,
  requestsArb,
);

describe('mirror link fuzzing (fast-check)', () => {
  it('survives garbage and truncated frames before the handshake and still serves a well-behaved peer', async () => {
    const before = s2.link.stats().protocolErrors;
    await fc.assert(
      fc.asyncProperty(garbageArb, async (bytes) => {
        await sendAndHangUp(bytes, false);
      }),
      { numRuns: 150 },
    );
    // Most runs were rejected as protocol errors (the rest ended empty, or with a refused HELLO).
    expect(s2.link.stats().protocolErrors - before).toBeGreaterThan(40);
    await linkStillServes();
  });

  it('survives garbage and truncated frames after a valid handshake and still serves a well-behaved peer', async () => {
    const before = s2.downs().length;
    await fc.assert(
      fc.asyncProperty(garbageArb, async (bytes) => {
        await sendAndHangUp(bytes, true);
      }),
      { numRuns: 150 },
    );
    const reasons = s2
      .downs()
      .slice(before)
      .map((d) => d.reason);
    expect(reasons.length).toBe(150);
    expect(reasons.filter((r) => r === 'protocol-error').length).toBeGreaterThan(40);
    // Some runs got well-formed requests through to the handler before their stream broke off.
    expect(s2.handled.length).toBeGreaterThan(0);
    await linkStillServes();
  });

  it('ends the connection with protocol-error on a wrong magic, an oversized frame, or a peer vanishing mid-frame', async () => {
    const wrongMagic = Buffer.from(VALID_HELLO);
    wrongMagic.writeUInt32BE(MAGIC ^ 1, 0);
    const oversized = encodeHead(FRAME.REQUEST, 1, '{"type":"write"}', 0);
    oversized.writeUInt32BE(MAX_PAYLOAD_BYTES + 1, 16);
    const truncated = Buffer.concat([encodeHead(FRAME.REQUEST, 7, '{"type":"write","header":{}}', 4096), Buffer.alloc(100)]);
    for (const bytes of [wrongMagic, oversized, truncated, encodeReplyError(1, 'E', 'm').subarray(0, HEADER_SIZE - 3)]) {
      const downs = s2.downs().length;
      const raw = await RawMirrorPeer.open(perTest, port());
      raw.send(VALID_HELLO);
      await raw.waitFrame('hello');
      raw.send(bytes);
      // Bad bytes end the connection without waiting for more; a truncated frame once the peer goes.
      if (bytes === truncated || bytes.length < HEADER_SIZE) raw.destroy();
      const down = await s2.waitDown(downs + 1);
      expect(down.reason).toBe('protocol-error');
      await within(raw.closed, 5000, 'the connection closed');
    }
    expect(s2.link.stats().protocolErrors).toBeGreaterThanOrEqual(4);
    // A goodbye is not an error.
    const downs = s2.downs().length;
    const raw = await RawMirrorPeer.open(perTest, port());
    raw.send(VALID_HELLO);
    await raw.waitFrame('hello');
    raw.send(encodeBye('done'));
    expect((await s2.waitDown(downs + 1)).reason).toBe('peer-closed');
    await linkStillServes();
  });
});
