// Transmission-phase behaviour of the engine NBD server (proto.md "Transmission", "Request types",
// "Error values", "Ordering of messages and writes").

import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { BlockError } from '../../../../engine/types.js';
import { CleanupStack } from '../../../helpers/cleanup-stack.js';
import { CMD, CMD_FLAG, ERRNO, RawNbdClient, requestBytes } from '../../../helpers/nbd-raw-client.js';
import { startTestServer, type TestNbdServer, type TestServerOptions } from '../../../helpers/nbd-test-server.js';
import { waitFor } from '../../../helpers/wait-for.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

const SIZE = 1024 * 1024;
const MAX = 32 * 1024 * 1024;

async function connected(t: TestNbdServer): Promise<RawNbdClient> {
  const c = cleanup.add(await RawNbdClient.open(t.target), (x) => x.destroy());
  await c.handshake('disk');
  return c;
}

async function setup(options: TestServerOptions = {}): Promise<{ t: TestNbdServer; c: RawNbdClient }> {
  const t = await startTestServer(cleanup, { size: SIZE, ...options });
  return { t, c: await connected(t) };
}

/** A READ answered successfully: the stream is still in step. */
async function stillInStep(c: RawNbdClient): Promise<void> {
  c.send(requestBytes({ type: CMD.READ, handle: 0xfeedn, offset: 0, length: 16 }));
  expect(await c.readReply(16)).toMatchObject({ error: 0, handle: 0xfeedn });
}

describe('NBD server transmission', () => {
  it('writes and reads back, echoing 64-bit handles', async () => {
    const { t, c } = await setup();
    const data = randomBytes(8192);
    const handle = 0xdead_beef_0123_4567n;
    c.send(requestBytes({ type: CMD.WRITE, handle, offset: 4096, payload: data }));
    expect(await c.readReply()).toEqual({ error: 0, handle, data: Buffer.alloc(0) });
    c.send(requestBytes({ type: CMD.READ, handle: handle + 1n, offset: 4096, length: 8192 }));
    const reply = await c.readReply(8192);
    expect(reply.handle).toBe(handle + 1n);
    expect(reply.data.equals(data)).toBe(true);
    expect(t.device.data.subarray(4096, 12288).equals(data)).toBe(true);
  });

  it('reads the next request while earlier ones run, and answers in completion order', async () => {
    const { t, c } = await setup();
    const release = t.device.hold('read');
    c.send(requestBytes({ type: CMD.READ, handle: 1n, offset: 0, length: 4096 }));
    c.send(requestBytes({ type: CMD.WRITE, handle: 2n, offset: 8192, payload: Buffer.alloc(4096, 7) }));
    expect(await c.readReply()).toMatchObject({ error: 0, handle: 2n }); // the write overtakes the held read
    release();
    expect(await c.readReply(4096)).toMatchObject({ error: 0, handle: 1n });
  });

  it('answers out-of-range requests per proto.md "Error values" and changes nothing', async () => {
    const { t, c } = await setup();
    const before = Buffer.from(t.device.data);
    const cases = [
      { type: CMD.READ, offset: SIZE - 512, length: 1024, expect: ERRNO.EINVAL },
      { type: CMD.WRITE, offset: SIZE - 512, length: 1024, payload: Buffer.alloc(1024, 1), expect: ERRNO.ENOSPC },
      { type: CMD.TRIM, offset: SIZE, length: 1, expect: ERRNO.EINVAL },
      { type: CMD.WRITE_ZEROES, offset: SIZE - 1, length: 2, expect: ERRNO.ENOSPC },
      { type: CMD.READ, offset: 0xffff_ffff_ffff_f000n, length: 4096, expect: ERRNO.EINVAL },
      { type: CMD.WRITE, offset: 0xffff_ffff_ffff_ffffn, length: 16, payload: Buffer.alloc(16, 1), expect: ERRNO.ENOSPC },
    ];
    for (const [i, x] of cases.entries()) {
      c.send(requestBytes({ ...x, handle: BigInt(i) }));
      expect(await c.readReply(), `case ${i}`).toMatchObject({ error: x.expect, handle: BigInt(i), data: Buffer.alloc(0) });
    }
    expect(t.device.data.equals(before)).toBe(true);
    expect(t.device.log.filter((op) => op.op !== 'read')).toEqual([]);
    await stillInStep(c);
  });

  it('refuses READ and WRITE above 32 MiB with EINVAL without allocating or touching the device', async () => {
    const { t, c } = await setup({ size: 64 * 1024 * 1024 });
    c.send(requestBytes({ type: CMD.READ, handle: 1n, offset: 0, length: 0xffff_ffff }));
    expect(await c.readReply()).toMatchObject({ error: ERRNO.EINVAL, handle: 1n });
    const big = MAX + 4096;
    c.send(requestBytes({ type: CMD.WRITE, handle: 2n, offset: 0, length: big }));
    c.send(Buffer.alloc(big, 0x33)); // the payload is consumed, never applied
    expect(await c.readReply(0)).toMatchObject({ error: ERRNO.EINVAL, handle: 2n });
    expect(t.device.log).toEqual([]);
    expect(t.device.data.subarray(0, 4096).equals(Buffer.alloc(4096))).toBe(true);
    await stillInStep(c);
  });

  it('serves a 32 MiB READ and WRITE (the largest allowed)', async () => {
    const { t, c } = await setup({ size: 40 * 1024 * 1024 });
    const data = randomBytes(MAX);
    c.send(requestBytes({ type: CMD.WRITE, handle: 1n, offset: 4096, payload: data }));
    expect(await c.readReply()).toMatchObject({ error: 0 });
    c.send(requestBytes({ type: CMD.READ, handle: 2n, offset: 4096, length: MAX }));
    expect((await c.readReply(MAX)).data.equals(data)).toBe(true);
    expect(t.device.log.map((op) => op.op)).toEqual(['write', 'read']);
  });

  it('answers unknown commands, unadvertised commands and unknown flags with EINVAL', async () => {
    const { t, c } = await setup();
    const cases = [
      { type: 99 },
      { type: CMD.CACHE, length: 4096 },
      { type: CMD.BLOCK_STATUS, length: 4096 },
      { type: CMD.READ, flags: CMD_FLAG.DF, length: 512 },
      { type: CMD.READ, flags: 0x8000, length: 512 },
      { type: CMD.WRITE_ZEROES, flags: CMD_FLAG.FAST_ZERO, length: 512 },
      { type: CMD.TRIM, flags: CMD_FLAG.NO_HOLE, length: 512 },
    ];
    for (const [i, x] of cases.entries()) {
      c.send(requestBytes({ ...x, handle: BigInt(i) }));
      expect(await c.readReply(), `case ${i}`).toMatchObject({ error: ERRNO.EINVAL, handle: BigInt(i) });
    }
    expect(t.device.log).toEqual([]);
    await stillInStep(c);
  });

  it('refuses writes, trims and zeroing on a read-only export with EPERM; reads work', async () => {
    const { t, c } = await setup({ disk: { readOnly: true } });
    c.send(requestBytes({ type: CMD.WRITE, handle: 1n, payload: Buffer.alloc(512, 1) }));
    expect(await c.readReply()).toMatchObject({ error: ERRNO.EPERM });
    c.send(requestBytes({ type: CMD.TRIM, handle: 2n, length: 512 }));
    expect(await c.readReply()).toMatchObject({ error: ERRNO.EPERM });
    c.send(requestBytes({ type: CMD.WRITE_ZEROES, handle: 3n, length: 512 }));
    expect(await c.readReply()).toMatchObject({ error: ERRNO.EPERM });
    await stillInStep(c);
    expect(t.device.log.map((op) => op.op)).toEqual(['read']);
  });

  it('passes the device error code through (BlockError), and EIO for anything else', async () => {
    const { t, c } = await setup();
    t.device.failNext('write', 'ESHUTDOWN');
    c.send(requestBytes({ type: CMD.WRITE, handle: 1n, payload: Buffer.alloc(512, 1) }));
    expect(await c.readReply()).toMatchObject({ error: ERRNO.ESHUTDOWN, handle: 1n });
    t.device.failNext('read', 'ENOSPC');
    c.send(requestBytes({ type: CMD.READ, handle: 2n, length: 512 }));
    expect(await c.readReply()).toMatchObject({ error: ERRNO.ENOSPC, handle: 2n, data: Buffer.alloc(0) });
    t.device.failNext('flush', new Error('disk on fire'));
    c.send(requestBytes({ type: CMD.FLUSH, handle: 3n }));
    expect(await c.readReply()).toMatchObject({ error: ERRNO.EIO, handle: 3n });
    t.device.failNext('trim', new BlockError('EPERM', 'host access disabled'));
    c.send(requestBytes({ type: CMD.TRIM, handle: 4n, length: 512 }));
    expect(await c.readReply()).toMatchObject({ error: ERRNO.EPERM, handle: 4n });
    await stillInStep(c);
  });

  it('answers EIO (not a wrong-length payload) when the device returns a short read', async () => {
    const { t, c } = await setup();
    t.exports.set('short', {
      device: { ...t.device, size: SIZE, read: async () => Buffer.alloc(10) },
    });
    const s = cleanup.add(await RawNbdClient.open(t.target), (x) => x.destroy());
    await s.handshake('short');
    s.send(requestBytes({ type: CMD.READ, handle: 1n, length: 512 }));
    expect(await s.readReply()).toMatchObject({ error: ERRNO.EIO });
    s.send(requestBytes({ type: CMD.READ, handle: 2n, length: 10 }));
    expect(await s.readReply(10)).toMatchObject({ error: 0, handle: 2n });
    await stillInStep(c);
  });

  it('FLUSH makes every write answered before it durable (proto.md "Ordering of messages and writes")', async () => {
    const { t, c } = await setup();
    const data = randomBytes(4096);
    c.send(requestBytes({ type: CMD.WRITE, handle: 1n, offset: 0, payload: data }));
    await c.readReply();
    expect(t.device.durable.subarray(0, 4096).equals(data)).toBe(false);
    c.send(requestBytes({ type: CMD.FLUSH, handle: 2n }));
    expect(await c.readReply()).toMatchObject({ error: 0, handle: 2n });
    expect(t.device.durable.subarray(0, 4096).equals(data)).toBe(true);
  });

  it('FLUSH on one connection covers writes answered on another (CAN_MULTI_CONN)', async () => {
    const { t, c } = await setup();
    const other = await connected(t);
    const data = randomBytes(4096);
    c.send(requestBytes({ type: CMD.WRITE, handle: 1n, offset: 65536, payload: data }));
    await c.readReply();
    other.send(requestBytes({ type: CMD.FLUSH, handle: 9n }));
    expect(await other.readReply()).toMatchObject({ error: 0, handle: 9n });
    expect(t.device.durable.subarray(65536, 65536 + 4096).equals(data)).toBe(true);
  });

  it('FUA reaches the device, so the write is durable before its reply', async () => {
    const { t, c } = await setup();
    const data = randomBytes(4096);
    c.send(requestBytes({ type: CMD.WRITE, flags: CMD_FLAG.FUA, handle: 1n, offset: 0, payload: data }));
    expect(await c.readReply()).toMatchObject({ error: 0 });
    expect(t.device.durable.subarray(0, 4096).equals(data)).toBe(true);
    c.send(requestBytes({ type: CMD.WRITE_ZEROES, flags: CMD_FLAG.FUA | CMD_FLAG.NO_HOLE, handle: 2n, offset: 0, length: 1024 }));
    expect(await c.readReply()).toMatchObject({ error: 0 });
    expect(t.device.durable.subarray(0, 1024).equals(Buffer.alloc(1024))).toBe(true);
    expect(t.device.log).toEqual([
      { op: 'write', offset: 0, length: 4096, fua: true },
      { op: 'writeZeroes', offset: 0, length: 1024, fua: true },
    ]);
  });

  it('TRIM and WRITE_ZEROES zero the range on the test device and nothing else', async () => {
    const { t, c } = await setup();
    t.device.data.fill(0xee);
    c.send(requestBytes({ type: CMD.TRIM, handle: 1n, offset: 4096, length: 4096 }));
    c.send(requestBytes({ type: CMD.WRITE_ZEROES, handle: 2n, offset: 16384, length: 100 }));
    await c.readReply();
    await c.readReply();
    const expected = Buffer.alloc(SIZE, 0xee);
    expected.fill(0, 4096, 8192);
    expected.fill(0, 16384, 16484);
    expect(t.device.data.equals(expected)).toBe(true);
  });

  it('answers zero-length requests without disconnecting', async () => {
    const { c } = await setup();
    for (const type of [CMD.READ, CMD.WRITE, CMD.TRIM, CMD.WRITE_ZEROES]) {
      c.send(requestBytes({ type, handle: BigInt(type), offset: 512, length: 0 }));
      expect(await c.readReply()).toMatchObject({ error: 0, handle: BigInt(type) });
    }
    await stillInStep(c);
  });

  it('DISC: answers requests in flight, ignores anything sent after it, then closes', async () => {
    const { t, c } = await setup();
    const release = t.device.hold('write');
    c.send(requestBytes({ type: CMD.WRITE, handle: 1n, offset: 0, payload: Buffer.alloc(512, 1) }));
    await waitFor(() => t.device.pending === 1, 'the write to reach the device');
    c.send(requestBytes({ type: CMD.DISC, handle: 2n }));
    c.send(requestBytes({ type: CMD.WRITE, handle: 3n, offset: 4096, payload: Buffer.alloc(512, 3) }));
    expect(await c.closesWithin(100)).toBe(false); // the held write keeps the connection open
    release();
    expect(await c.readReply()).toMatchObject({ error: 0, handle: 1n });
    expect(await c.closesWithin(2000)).toBe(true);
    expect(c.available).toBe(0);
    expect(t.device.log).toEqual([{ op: 'write', offset: 0, length: 512, fua: false }]);
    expect(t.device.data[4096]).toBe(0);
  });

  it('closes only the offending connection on a bad request magic', async () => {
    const { t, c } = await setup();
    const other = await connected(t);
    c.send(requestBytes({ type: CMD.READ, length: 512, magic: 0x12345678 }));
    expect(await c.closesWithin(2000)).toBe(true);
    await stillInStep(other);
    await waitFor(() => t.events.some((e) => e.type === 'protocol-error' && e.message.includes('magic')), 'protocol-error event');
  });

  it('DS-8 survives a client vanishing mid-header and mid-payload, applying nothing partial', async () => {
    const { t } = await setup();
    const a = await connected(t);
    a.send(requestBytes({ type: CMD.READ, length: 512 }).subarray(0, 11));
    a.destroy();
    const b = await connected(t);
    const header = requestBytes({ type: CMD.WRITE, offset: 0, length: 65536 });
    b.send(Buffer.concat([header, Buffer.alloc(30000, 9)]));
    await waitFor(() => t.server.connections().some((x) => x.requests === 1), 'the write header to be parsed');
    b.destroy();
    await waitFor(() => t.server.connections().length === 1, 'both connections to close');
    expect(t.device.log.filter((op) => op.op === 'write')).toEqual([]);
    const c = await connected(t);
    await stillInStep(c);
  });

  it('stops reading a client that has maxInFlightRequests running, and resumes as they finish', async () => {
    const { t, c } = await setup({ maxInFlightRequests: 2 });
    const release = t.device.hold('read');
    for (let i = 0; i < 10; i++) c.send(requestBytes({ type: CMD.READ, handle: BigInt(i), offset: i * 512, length: 512 }));
    await waitFor(() => t.device.pending === 2, 'two reads at the device');
    expect(t.server.connections()[0]).toMatchObject({ inFlight: 2, phase: 'transmission', exportName: 'disk' });
    release();
    const handles = new Set<bigint>();
    for (let i = 0; i < 10; i++) handles.add((await c.readReply(512)).handle);
    expect(handles.size).toBe(10);
  });

  it('pipelines: 500 mixed requests on one connection all answered with matching handles', async () => {
    const { t, c } = await setup();
    t.device.delay('write', 1);
    const expected = new Map<bigint, number>();
    for (let i = 0; i < 500; i++) {
      const handle = BigInt(i) << 20n;
      if (i % 2 === 0) {
        c.send(requestBytes({ type: CMD.WRITE, handle, offset: i * 1024, payload: Buffer.alloc(1024, i & 0xff) }));
        expected.set(handle, 0);
      } else {
        c.send(requestBytes({ type: CMD.READ, handle, offset: 0, length: 1024 }));
        expected.set(handle, 1024);
      }
    }
    for (let i = 0; i < 500; i++) {
      const h = await c.read(16);
      expect(h.readUInt32BE(4)).toBe(0);
      const handle = h.readBigUInt64BE(8);
      const length = expected.get(handle);
      expect(length, `unexpected handle ${handle}`).toBeDefined();
      expected.delete(handle);
      if (length !== undefined && length > 0) await c.read(length);
    }
    expect(expected.size).toBe(0);
  });
});
