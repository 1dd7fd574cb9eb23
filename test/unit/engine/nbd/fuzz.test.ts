// Fuzzing the engine NBD server with fast-check: garbled handshakes, garbled and truncated request
// streams with huge lengths and random command mixes. After every run the server must still serve a
// well-behaved client, must have closed the fuzzed connection once the client half-closed it, and
// must not have changed a byte the run did not ask to write (DS-8: no partial or phantom writes).

import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../../../harness/host/index.js';
import { CleanupStack } from '../../../helpers/cleanup-stack.js';
import { CMD, goData, IHAVEOPT, OPT, optionBytes, RawNbdClient, REQUEST_MAGIC, requestBytes } from '../../../helpers/nbd-raw-client.js';
import { startTestServer, type TestNbdServer } from '../../../helpers/nbd-test-server.js';
import { waitFor, within } from '../../../helpers/wait-for.js';

const SIZE = 256 * 1024;
const MAX = 32 * 1024 * 1024;
const cleanup = new CleanupStack();
let t: TestNbdServer;

beforeAll(async () => {
  t = await startTestServer(cleanup, { size: SIZE, maxInFlightRequests: 8 });
});
afterAll(() => cleanup.run());

/** Sends `bytes`, half-closes, and requires the server to close the connection (it never hangs). */
async function sendAndHangUp(bytes: Buffer, afterHandshake: boolean): Promise<void> {
  const c = await RawNbdClient.open(t.target);
  try {
    if (afterHandshake) await c.handshake('disk');
    c.send(bytes);
    c.socket.end();
    await within(c.closed, 5000, 'the server closing a half-closed fuzz connection');
  } finally {
    c.destroy();
  }
  await waitFor(() => t.server.connections().length === 0, 'no connections left');
}

/** A well-behaved client can still write and read back. */
async function serverStillServes(): Promise<void> {
  const client = await connect({ ...t.target, exportName: 'disk', timeoutMs: 5000 });
  try {
    const data = randomBytes(4096);
    const offset = 4096 * Math.floor(Math.random() * (SIZE / 4096));
    const before = Buffer.from(t.device.data.subarray(offset, offset + 4096));
    await client.write(offset, data);
    expect((await client.read(offset, 4096)).equals(data)).toBe(true);
    await client.write(offset, before); // leave the device as it was
  } finally {
    await client.disconnect();
  }
}

const optionArb = fc.record({
  option: fc.oneof(fc.constantFrom(OPT.EXPORT_NAME, OPT.ABORT, OPT.LIST, OPT.STARTTLS, OPT.INFO, OPT.GO, 8, 9, 10, 11), fc.nat()),
  data: fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    fc.constantFrom('disk', '', 'nope', 'disk\u0000').map((name) => goData(name, [0, 1, 2, 3])),
  ),
  declared: fc.oneof(fc.constant(undefined), fc.nat(), fc.constantFrom(0xffff_ffff, 65537, 4097)),
  magicOk: fc.boolean(),
});

const handshakeStreamArb = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc
    .record({
      clientFlags: fc.oneof(fc.constantFrom(0, 1, 2, 3), fc.nat()),
      options: fc.array(optionArb, { maxLength: 6 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    })
    .map(({ clientFlags, options, cut }) => {
      const flags = Buffer.alloc(4);
      flags.writeUInt32BE(clientFlags >>> 0, 0);
      const parts = options.map((o) => {
        const bytes = optionBytes(o.option, o.data, o.declared ?? o.data.length);
        if (!o.magicOk) bytes.writeBigUInt64BE(IHAVEOPT ^ 0xffn, 0);
        return bytes;
      });
      const stream = Buffer.concat([flags, ...parts]);
      return cut === undefined ? stream : stream.subarray(0, cut % (stream.length + 1));
    }),
);

describe('NBD server fuzzing (fast-check)', () => {
  it('survives garbled and truncated handshakes and always closes a half-closed connection', async () => {
    await fc.assert(
      fc.asyncProperty(handshakeStreamArb, async (bytes) => {
        await sendAndHangUp(bytes, false);
        await serverStillServes();
      }),
      { numRuns: 150 },
    );
  });

  const requestArb = fc.record({
    type: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(CMD.READ, CMD.WRITE, CMD.FLUSH, CMD.TRIM, CMD.WRITE_ZEROES) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
    ),
    flags: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
    offset: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: SIZE }).map(BigInt) },
      { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
    ),
    length: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 8192 }) },
      { weight: 1, arbitrary: fc.constantFrom(MAX, MAX + 1, 0xffff_ffff, SIZE) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
    ),
    handle: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    badMagic: fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });

  const requestStreamArb = fc.record({
    requests: fc.array(requestArb, { maxLength: 24 }),
    trailer: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
    cut: fc.option(fc.nat(), { nil: undefined }),
  });

  it('DS-8 never changes bytes it was not asked to write, and applies valid writes whole, whatever the request stream', async () => {
    await fc.assert(
      fc.asyncProperty(requestStreamArb, async ({ requests, trailer, cut }) => {
        const original = randomBytes(SIZE);
        original.copy(t.device.data);
        const mayChange = new Uint8Array(SIZE);
        const parts: Buffer[] = [];
        /** Writes sent whole and valid, to check they landed when nothing else overlaps them. */
        const validWrites: { offset: number; data: Buffer; end: number }[] = [];
        let sent = 0;
        let stop = false;
        for (const r of requests) {
          if (stop) break;
          const offset = r.offset;
          const header = requestBytes({ type: r.type, flags: r.flags, handle: r.handle, offset, length: r.length });
          if (r.badMagic) {
            header.writeUInt32BE(REQUEST_MAGIC ^ 1, 0);
            stop = true; // the server closes here; everything after is never parsed
          }
          parts.push(header);
          const inRange = offset + BigInt(r.length) <= BigInt(SIZE);
          const mutating = r.type === CMD.WRITE || r.type === CMD.TRIM || r.type === CMD.WRITE_ZEROES;
          if (!r.badMagic && mutating && inRange) mayChange.fill(1, Number(offset), Number(offset) + r.length);
          if (r.type === CMD.WRITE && !r.badMagic) {
            if (r.length <= 65536) {
              const data = randomBytes(r.length);
              parts.push(data);
              if (inRange && (r.flags & ~1) === 0 && r.length > 0) {
                validWrites.push({ offset: Number(offset), end: Number(offset) + r.length, data });
              }
            } else {
              parts.push(randomBytes(1000)); // a payload we never finish: the stream ends inside it
              stop = true;
            }
          }
        }
        if (!stop) parts.push(trailer);
        let stream = Buffer.concat(parts);
        if (cut !== undefined) stream = stream.subarray(0, cut % (stream.length + 1));
        sent = stream.length;

        await sendAndHangUp(stream, true);
        await waitFor(() => t.device.pending === 0, 'device requests to finish');

        for (let i = 0; i < SIZE; i++) {
          if (mayChange[i] === 0 && t.device.data[i] !== original[i]) {
            throw new Error(`byte ${i} changed (${original[i]} -> ${t.device.data[i]}) though no request covered it; ${sent} bytes sent`);
          }
        }
        // A complete valid write that no other request overlapped is there, whole (DS-8).
        const covered = (w: { offset: number; end: number }) =>
          requests.filter((r) => {
            if (!(r.type === CMD.WRITE || r.type === CMD.TRIM || r.type === CMD.WRITE_ZEROES)) return false;
            const o = Number(r.offset);
            return o < w.end && o + r.length > w.offset;
          }).length;
        let consumed = 0;
        for (const part of parts) {
          consumed += part.length;
          const w = validWrites.find((x) => x.data === part);
          if (w !== undefined && consumed <= sent && covered(w) === 1) {
            expect(t.device.data.subarray(w.offset, w.end).equals(w.data), `write at ${w.offset}+${w.data.length}`).toBe(true);
          }
        }
        await serverStillServes();
      }),
      { numRuns: 300 },
    );
  });
});
