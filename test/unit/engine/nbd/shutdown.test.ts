// Graceful shutdown, hard close and per-export disconnect of the engine NBD server (SPEC VD-1;
// proto.md "Terminating the transmission phase").

import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBlockDevice } from '../../../helpers/memory-block-device.js';
import { CleanupStack } from '../../../helpers/cleanup-stack.js';
import { CMD, ERRNO, goData, OPT, optionBytes, RawNbdClient, REP, requestBytes } from '../../../helpers/nbd-raw-client.js';
import { startTestServer, type TestNbdServer } from '../../../helpers/nbd-test-server.js';
import { waitFor, within } from '../../../helpers/wait-for.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

async function connected(t: TestNbdServer, exportName = 'disk'): Promise<RawNbdClient> {
  const c = cleanup.add(await RawNbdClient.open(t.target), (x) => x.destroy());
  await c.handshake(exportName);
  return c;
}

function refused(t: TestNbdServer): Promise<boolean> {
  return new Promise((resolve) => {
    const s = 'path' in t.target ? netConnect({ path: t.target.path }) : netConnect(t.target);
    s.on('error', () => resolve(true));
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
  });
}

describe('NBD server shutdown', () => {
  it('VD-1 shutdown answers in-flight requests, refuses later ones with ESHUTDOWN, closes, and refuses new clients', async () => {
    const t = await startTestServer(cleanup);
    const c = await connected(t);
    const release = t.device.hold('write');
    c.send(requestBytes({ type: CMD.WRITE, handle: 1n, offset: 0, payload: Buffer.alloc(4096, 0xaa) }));
    await waitFor(() => t.device.pending === 1, 'the write to reach the device');

    const stopping = t.server.shutdown({ graceMs: 5000 });
    expect(await refused(t)).toBe(true);
    c.send(requestBytes({ type: CMD.READ, handle: 2n, offset: 0, length: 4096 }));
    c.send(requestBytes({ type: CMD.WRITE, handle: 3n, offset: 8192, payload: Buffer.alloc(4096, 0xbb) }));
    expect(await c.readReply()).toMatchObject({ error: ERRNO.ESHUTDOWN, handle: 2n, data: Buffer.alloc(0) });
    expect(await c.readReply()).toMatchObject({ error: ERRNO.ESHUTDOWN, handle: 3n });
    release();
    // The write that was already at the device gets its real outcome: it happened.
    expect(await c.readReply()).toMatchObject({ error: 0, handle: 1n });
    expect(await c.closesWithin(2000)).toBe(true);
    expect(await within(stopping, 2000, 'shutdown')).toEqual({ connections: 1, refused: 2, abandoned: 0 });
    expect(t.device.data[0]).toBe(0xaa);
    expect(t.device.data[8192]).toBe(0); // refused writes never reach the device (DS-7)
    expect(t.server.connections()).toEqual([]);
  });

  it('VD-1 a server shut down while a client is idle closes the connection at once', async () => {
    const t = await startTestServer(cleanup, { unix: true });
    const c = await connected(t);
    const report = await within(t.server.shutdown(), 2000, 'shutdown');
    expect(report).toEqual({ connections: 1, refused: 0, abandoned: 0 });
    expect(await c.closesWithin(2000)).toBe(true);
    expect(await refused(t)).toBe(true);
  });

  it('answers options of a client still negotiating with NBD_REP_ERR_SHUTDOWN during a shutdown', async () => {
    const t = await startTestServer(cleanup);
    const busy = await connected(t);
    const release = t.device.hold('read');
    busy.send(requestBytes({ type: CMD.READ, handle: 1n, length: 512 }));
    await waitFor(() => t.device.pending === 1, 'the read to reach the device');
    const negotiating = cleanup.add(await RawNbdClient.open(t.target), (x) => x.destroy());
    await negotiating.readGreeting();
    negotiating.sendClientFlags(3);
    await waitFor(() => t.server.connections().length === 2, 'both connections registered');

    const stopping = t.server.shutdown({ graceMs: 5000 });
    negotiating.send(optionBytes(OPT.GO, goData('disk', [])));
    expect((await negotiating.readOptionReply()).type).toBe(REP.ERR_SHUTDOWN);
    negotiating.send(optionBytes(OPT.LIST));
    expect((await negotiating.readOptionReply()).type).toBe(REP.ERR_SHUTDOWN);
    release();
    expect(await busy.readReply(512)).toMatchObject({ error: 0, handle: 1n });
    await within(stopping, 2000, 'shutdown');
    expect(await negotiating.closesWithin(2000)).toBe(true);
  });

  it('drops connections whose device requests outlast the grace period and reports them abandoned', async () => {
    const t = await startTestServer(cleanup);
    const c = await connected(t);
    const release = t.device.hold('flush');
    c.send(requestBytes({ type: CMD.FLUSH, handle: 1n }));
    await waitFor(() => t.device.pending === 1, 'the flush to reach the device');
    const report = await within(t.server.shutdown({ graceMs: 50 }), 2000, 'shutdown');
    expect(report).toEqual({ connections: 1, refused: 0, abandoned: 1 });
    expect(await c.closesWithin(2000)).toBe(true);
    expect(c.available).toBe(0); // no reply: the client records the flush as unknown
    release(); // completing after the connection is gone must not throw
    await waitFor(() => t.device.pending === 0, 'the flush to finish');
  });

  it('close() drops every connection at once, even with requests in flight', async () => {
    const t = await startTestServer(cleanup);
    const a = await connected(t);
    const b = cleanup.add(await RawNbdClient.open(t.target), (x) => x.destroy());
    await b.readGreeting();
    const release = t.device.hold('read');
    a.send(requestBytes({ type: CMD.READ, handle: 1n, length: 512 }));
    await waitFor(() => t.device.pending === 1, 'the read to reach the device');
    await within(t.server.close(), 2000, 'close');
    expect(await a.closesWithin(2000)).toBe(true);
    expect(await b.closesWithin(2000)).toBe(true);
    expect(await refused(t)).toBe(true);
    release();
    expect(t.events.filter((e) => e.type === 'connection-closed').map((e) => e.type === 'connection-closed' && e.reason)).toEqual([
      'closed',
      'closed',
    ]);
  });

  it('disconnectExport ends only the connections of that export; the server keeps serving', async () => {
    const t = await startTestServer(cleanup);
    t.exports.set('v1', { device: createMemoryBlockDevice(65536) });
    const onDisk = await connected(t, 'disk');
    const onV1 = await connected(t, 'v1');
    t.exports.delete('v1');
    const report = await within(t.server.disconnectExport('v1'), 2000, 'disconnectExport');
    expect(report).toEqual({ connections: 1, refused: 0, abandoned: 0 });
    expect(await onV1.closesWithin(2000)).toBe(true);
    onDisk.send(requestBytes({ type: CMD.READ, handle: 5n, length: 512 }));
    expect(await onDisk.readReply(512)).toMatchObject({ error: 0, handle: 5n });
    const fresh = await connected(t, 'disk');
    fresh.send(requestBytes({ type: CMD.READ, handle: 6n, length: 512 }));
    expect(await fresh.readReply(512)).toMatchObject({ error: 0, handle: 6n });
  });

  it('reports connections with their phase, export and requests in flight', async () => {
    const t = await startTestServer(cleanup);
    const c = await connected(t);
    const pending = cleanup.add(await RawNbdClient.open(t.target), (x) => x.destroy());
    await pending.readGreeting();
    const release = t.device.hold('read');
    c.send(requestBytes({ type: CMD.READ, handle: 1n, length: 512 }));
    await waitFor(() => t.device.pending === 1, 'the read to reach the device');
    const infos = t.server.connections().sort((x, y) => x.id - y.id);
    expect(infos).toEqual([
      expect.objectContaining({ phase: 'transmission', exportName: 'disk', inFlight: 1, requests: 1 }),
      expect.objectContaining({ phase: 'handshake', exportName: undefined, inFlight: 0, requests: 0 }),
    ]);
    expect(infos[0]?.peer).toMatch(/^127\.0\.0\.1:\d+$/);
    release();
  });

  it('refuses a second listen() and listen() after close() with stable codes', async () => {
    const t = await startTestServer(cleanup);
    await expect(t.server.listen({ host: '127.0.0.1', port: 0 })).rejects.toMatchObject({ code: 'NBD_ALREADY_LISTENING' });
    await t.server.close();
    await expect(t.server.listen({ host: '127.0.0.1', port: 0 })).rejects.toMatchObject({ code: 'NBD_SERVER_CLOSED' });
  });
});
