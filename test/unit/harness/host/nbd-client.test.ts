// The host NBD client against the engine NBD server (in-process, memory device): data path,
// pipelining, timeouts, and errors that tell fail from unknown (SPEC VD-1, DS-7).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connect,
  listExports,
  NbdConnectionLostError,
  NbdConnectionRefusedError,
  NbdHandshakeError,
  NbdInvalidRequestError,
  NbdNotConnectedError,
  NbdRequestError,
  NbdTimeoutError,
  outcomeOf,
  type NbdClient,
  type NbdClientOptions,
} from '../../../../harness/host/index.js';
import { CleanupStack } from '../../../helpers/cleanup-stack.js';
import { startTestServer, type TestNbdServer } from '../../../helpers/nbd-test-server.js';
import { waitFor, within } from '../../../helpers/wait-for.js';
import { closedPort } from '../../../helpers/nbd-test-server.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

async function open(t: TestNbdServer, options: NbdClientOptions = {}): Promise<NbdClient> {
  return cleanup.add(await connect({ ...t.target, exportName: 'disk', timeoutMs: 5000, ...options }), (c) => c.destroy());
}

/** A TCP port nobody listens on. */

describe('host NBD client', () => {
  it('opens an export and reports size, flags and block size', async () => {
    const t = await startTestServer(cleanup, { size: 2 * 1024 * 1024 });
    const c = await open(t);
    expect(c.size).toBe(2 * 1024 * 1024);
    expect(c.exportName).toBe('disk');
    expect(c.features).toMatchObject({ readOnly: false, flush: true, fua: true, trim: true, writeZeroes: true, multiConn: true });
    expect(c.blockSize).toEqual({ minimum: 1, preferred: 4096, maximum: 32 * 1024 * 1024 });
    expect(c.info.negotiatedWith).toBe('go');
  });

  it('connects by URI over TCP and over a Unix socket', async () => {
    const tcp = await startTestServer(cleanup);
    const unix = await startTestServer(cleanup, { unix: true });
    for (const uri of [tcp.uri('disk'), unix.uri('disk')]) {
      const c = cleanup.add(await connect(uri), (x) => x.destroy());
      await c.write(0, Buffer.from('hello'));
      expect((await c.read(0, 5)).toString()).toBe('hello');
      await c.disconnect();
    }
    expect(tcp.device.data.subarray(0, 5).toString()).toBe('hello');
    expect(unix.device.data.subarray(0, 5).toString()).toBe('hello');
  });

  it('writes, reads, flushes, trims and zeroes with the flags reaching the device', async () => {
    const t = await startTestServer(cleanup);
    const c = await open(t);
    const data = randomBytes(65536);
    await c.write(0, data, { fua: true });
    expect((await c.read(0, 65536)).equals(data)).toBe(true);
    expect(t.device.durable.subarray(0, 65536).equals(data)).toBe(true);
    await c.write(65536, data);
    await c.flush();
    expect(t.device.durable.subarray(65536, 131072).equals(data)).toBe(true);
    await c.trim(0, 4096);
    await c.writeZeroes(4096, 4096, { fua: true, noHole: true });
    expect((await c.read(0, 8192)).equals(Buffer.alloc(8192))).toBe(true);
    expect(t.device.log.map((op) => op.op)).toEqual(['write', 'read', 'write', 'flush', 'trim', 'writeZeroes', 'read']);
  });

  it('pipelines hundreds of requests on one connection and matches every reply to its request', async () => {
    const t = await startTestServer(cleanup);
    const c = await open(t);
    t.device.delay('write', 2);
    const blocks = Array.from({ length: 200 }, () => randomBytes(4096));
    await Promise.all(blocks.map((b, i) => c.write(i * 4096, b)));
    t.device.delay('write', 0);
    const reads = await Promise.all(blocks.map((_, i) => c.read(i * 4096, 4096)));
    for (const [i, r] of reads.entries()) expect(r.equals(blocks[i] as Buffer), `block ${i}`).toBe(true);
    expect(c.inFlight).toBe(0);
  });

  it('refuses locally what breaks the export constraints, sending nothing (outcome fail)', async () => {
    const t = await startTestServer(cleanup, { disk: { readOnly: true } });
    const c = await open(t);
    const attempts = [
      c.read(c.size - 10, 20),
      c.read(0, 32 * 1024 * 1024 + 1),
      c.write(0, Buffer.alloc(512)),
      c.trim(0, 512),
      c.read(-1, 10),
      c.read(0.5, 10),
    ];
    for (const attempt of attempts) {
      const err = await attempt.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NbdInvalidRequestError);
      expect(outcomeOf(err)).toBe('fail');
    }
    expect(t.device.log).toEqual([]);
  });

  it('reports server error replies as NbdRequestError with the NBD error name (outcome fail)', async () => {
    const t = await startTestServer(cleanup);
    const c = await open(t, { validateRequests: false });
    const beyond = await c.read(c.size, 512).catch((e: unknown) => e);
    expect(beyond).toBeInstanceOf(NbdRequestError);
    expect(beyond).toMatchObject({ code: 'NBD_REQUEST_FAILED', errno: 'EINVAL', errnoValue: 22, command: 'read', outcome: 'fail' });
    const noSpace = await c.write(c.size - 1, Buffer.alloc(2)).catch((e: unknown) => e);
    expect(noSpace).toMatchObject({ errno: 'ENOSPC' });
    t.device.failNext('write', 'EIO');
    await expect(c.write(0, Buffer.alloc(512))).rejects.toMatchObject({ errno: 'EIO', command: 'write' });
    expect((await c.read(0, 4)).length).toBe(4); // the connection is still usable
  });

  it('VD-1 an ESHUTDOWN reply fails the request, then the client soft-disconnects and sends nothing more', async () => {
    const t = await startTestServer(cleanup);
    const c = await open(t);
    t.device.failNext('write', 'ESHUTDOWN');
    const err = await c.write(0, Buffer.alloc(512)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NbdRequestError);
    expect(err).toMatchObject({ errno: 'ESHUTDOWN', outcome: 'fail' });
    await within(c.closed, 2000, 'the client closing after ESHUTDOWN');
    await waitFor(
      () => t.events.some((e) => e.type === 'connection-closed' && e.reason === 'client-disconnect'),
      'NBD_CMD_DISC at the server',
    );
    const after = await c.read(0, 512).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(NbdNotConnectedError);
    expect(outcomeOf(after)).toBe('fail');
  });

  it('VD-1 requests racing a server shutdown fail with ESHUTDOWN or are refused, never hang', async () => {
    const t = await startTestServer(cleanup);
    const c = await open(t, { timeoutMs: 2000 });
    const release = t.device.hold('write');
    const inFlight = c.write(0, Buffer.alloc(512, 1));
    await waitFor(() => t.device.pending === 1, 'the write to reach the device');
    const stopping = t.server.shutdown({ graceMs: 2000 });
    const late = c.read(0, 512).catch((e: unknown) => e);
    expect(await late).toMatchObject({ errno: 'ESHUTDOWN' });
    release();
    await inFlight; // it was at the device before the shutdown began: it completes
    await within(stopping, 2000, 'shutdown');
    await within(c.closed, 2000, 'the connection to close');
    await expect(connect({ ...t.target, timeoutMs: 2000 })).rejects.toBeInstanceOf(NbdConnectionRefusedError);
  });

  it('times out a request with no reply (outcome unknown), then consumes the late reply and keeps working', async () => {
    const t = await startTestServer(cleanup);
    const c = await open(t, { timeoutMs: 5000 });
    const release = t.device.hold('read');
    const started = Date.now();
    const err = await c.read(0, 4096, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err).toBeInstanceOf(NbdTimeoutError);
    expect(err).toMatchObject({ code: 'NBD_TIMEOUT', outcome: 'unknown', timeoutMs: 100 });
    release(); // the late 4 KiB reply must be parsed and dropped, not mistaken for the next reply
    await c.write(8192, Buffer.alloc(4096, 5));
    expect((await c.read(8192, 4096)).equals(Buffer.alloc(4096, 5))).toBe(true);
  });

  it('reports requests cut off by a lost connection as NbdConnectionLostError (outcome unknown)', async () => {
    const t = await startTestServer(cleanup);
    const c = await open(t);
    t.device.hold('write');
    const pending = c.write(0, Buffer.alloc(512, 1)).catch((e: unknown) => e);
    await waitFor(() => t.device.pending === 1, 'the write to reach the device');
    await t.server.close();
    const err = await pending;
    expect(err).toBeInstanceOf(NbdConnectionLostError);
    expect(outcomeOf(err)).toBe('unknown');
    await expect(c.flush()).rejects.toBeInstanceOf(NbdNotConnectedError);
  });

  it('reports connection refused distinctly for TCP and for a missing Unix socket', async () => {
    const port = await closedPort();
    const tcp = await connect({ host: '127.0.0.1', port, timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(tcp).toBeInstanceOf(NbdConnectionRefusedError);
    expect(tcp).toMatchObject({ code: 'NBD_CONNECTION_REFUSED', sysCode: 'ECONNREFUSED', outcome: 'fail' });
    const dir = cleanup.add(mkdtempSync(join(tmpdir(), 'sanspec-host-')), (d) => rmSync(d, { recursive: true, force: true }));
    const unix = await connect(`nbd+unix:///disk?socket=${join(dir, 'none.sock')}`).catch((e: unknown) => e);
    expect(unix).toMatchObject({ code: 'NBD_CONNECTION_REFUSED', sysCode: 'ENOENT' });
  });

  it('reports an unknown export as NbdHandshakeError unknown-export', async () => {
    const t = await startTestServer(cleanup);
    const err = await connect({ ...t.target, exportName: 'v9', timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NbdHandshakeError);
    expect(err).toMatchObject({ code: 'NBD_HANDSHAKE_FAILED', reason: 'unknown-export', outcome: 'fail' });
    expect((err as Error).message).toContain("no export named 'v9'");
  });

  it('lists exports', async () => {
    const t = await startTestServer(cleanup, { disk: { description: 'first disk' } });
    expect(await listExports(t.uri(''))).toEqual([{ name: 'disk', description: 'first disk' }]);
  });

  it('disconnect waits for requests in flight, then closes cleanly (NBD_CMD_DISC)', async () => {
    const t = await startTestServer(cleanup);
    const c = await open(t);
    const release = t.device.hold('write');
    const write = c.write(0, Buffer.alloc(512, 9));
    await waitFor(() => t.device.pending === 1, 'the write to reach the device');
    const disconnecting = c.disconnect();
    await expect(c.read(0, 1)).rejects.toBeInstanceOf(NbdNotConnectedError);
    release();
    await write;
    await within(disconnecting, 2000, 'disconnect');
    await waitFor(() => t.events.some((e) => e.type === 'connection-closed' && e.reason === 'client-disconnect'), 'DISC at the server');
  });
});
