// The host multipath layer against in-process NBD servers sharing one memory device (a mirrored
// disk seen from a host): preferred path first, failover when it goes away (MIR-2), failback when
// it returns (PTH-3), and honest outcomes (unknown when an attempt may have reached a server, fail
// when none could have).

import { afterEach, describe, expect, it } from 'vitest';
import {
  MultipathError,
  openMultipath,
  type MultipathDevice,
  type MultipathEvent,
  type MultipathOptions,
} from '../../../../harness/host/index.js';
import { CleanupStack } from '../../../helpers/cleanup-stack.js';
import { waitFor, within } from '../../../helpers/wait-for.js';
import { startPathServers, type PathServer } from '../../../helpers/workload-nbd-paths.js';
import { closedPort } from '../../../helpers/nbd-test-server.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

const block = (seed: number, size = 4096) => Buffer.alloc(size, seed & 0xff);

async function open(
  paths: PathServer[],
  options: Partial<MultipathOptions> = {},
): Promise<{ mp: MultipathDevice; events: MultipathEvent[] }> {
  const events: MultipathEvent[] = [];
  const mp = await openMultipath({
    paths: paths.map((p) => ({ name: p.name, uri: p.uri })),
    ioTimeoutMs: 2000,
    retryForMs: 5000,
    failbackProbeMs: 50,
    onEvent: (e) => events.push(e),
    ...options,
  });
  cleanup.add(mp, (m) => m.close());
  return { mp, events };
}

/** A TCP port nobody listens on. */

const writesVia = (p: PathServer) => p.ops.filter((o) => o.op === 'write').length;

describe('multipath host layer', () => {
  it('PTH-3 I/O goes to the preferred (first) path while it works; the other path carries none', async () => {
    const { device, paths } = await startPathServers(cleanup, ['s1', 's2']);
    const [s1, s2] = paths as [PathServer, PathServer];
    const { mp, events } = await open(paths);
    expect(mp.size).toBe(device.size);
    expect(mp.activePath).toBe('s1');
    await Promise.all(Array.from({ length: 16 }, (_, i) => mp.write(i * 4096, block(i + 1))));
    await mp.flush();
    expect((await mp.read(4096, 4096)).equals(block(2))).toBe(true);
    expect(writesVia(s1)).toBe(16);
    expect(s2.ops).toHaveLength(0);
    expect(events).toEqual([]);
  });

  it('MIR-2 when the preferred server crashes with writes in flight, every pipelined write completes through the other path, none lost', async () => {
    const { device, paths } = await startPathServers(cleanup, ['s1', 's2']);
    const [s1, s2] = paths as [PathServer, PathServer];
    const { mp, events } = await open(paths);
    const release = s1.hold('write');
    const writes = Array.from({ length: 64 }, (_, i) => mp.write(i * 4096, block(i + 1)));
    await waitFor(() => s1.pending >= 1, 's1 to receive writes');
    await s1.crash();
    release(); // requests s1 had already taken may still land, as after a real crash: same data
    await within(Promise.all(writes), 5000, 'the writes in flight during the failover');
    for (let i = 0; i < 64; i++) expect(device.data.subarray(i * 4096, (i + 1) * 4096).equals(block(i + 1))).toBe(true);
    expect(writesVia(s2)).toBeGreaterThanOrEqual(1);
    expect(mp.activePath).toBe('s2');
    expect(events.map((e) => `${e.type}:${e.path}`)).toEqual(['path-failed:s1', 'failover:s2']);
    expect(events[1]!.reason).toMatch(/s1 failed/);
  });

  it('MIR-2, PTH-3 a path whose copy refuses the export (EIO on requests, unknown export at handshake) is failed and I/O goes on through the other', async () => {
    const { paths } = await startPathServers(cleanup, ['s1', 's2']);
    const [s1, s2] = paths as [PathServer, PathServer];
    const { mp, events } = await open(paths);
    await mp.write(0, block(1));
    s1.refuseExport();
    await mp.write(4096, block(2), { fua: true });
    expect(mp.activePath).toBe('s2');
    expect(writesVia(s2)).toBe(1);
    // s1 is probed, and its handshake refused, until it serves the export again.
    await waitFor(() => s1.events.filter((e) => e.type === 'connection-opened').length >= 3, 'probes of s1');
    expect(mp.activePath).toBe('s2');
    expect(events.find((e) => e.type === 'path-failed')?.reason).toMatch(/EIO/);
  });

  it('PTH-3 failback: when the preferred server is back, I/O returns to it', async () => {
    const { paths } = await startPathServers(cleanup, ['s1', 's2']);
    const [s1, s2] = paths as [PathServer, PathServer];
    const { mp, events } = await open(paths);
    await s1.stop();
    await waitFor(() => events.some((e) => e.type === 'path-failed'), 's1 to be seen failed');
    await mp.write(0, block(1));
    expect(mp.activePath).toBe('s2');
    await s1.start();
    await waitFor(() => mp.activePath === 's1', 'failback to s1', 3000);
    const before = writesVia(s2);
    await mp.write(4096, block(2));
    expect(writesVia(s1)).toBe(1);
    expect(writesVia(s2)).toBe(before);
    expect(events.map((e) => `${e.type}:${e.path}`)).toEqual(['path-failed:s1', 'failover:s2', 'failback:s1']);
  });

  it('MIR-2 a path that stops answering is failed after ioTimeoutMs and the operation completes on the other path', async () => {
    const { paths } = await startPathServers(cleanup, ['s1', 's2']);
    const [s1] = paths as [PathServer, PathServer];
    const { mp, events } = await open(paths, { ioTimeoutMs: 200 });
    s1.hold('write'); // never released during the test: s1 hangs
    s1.hold('read');
    const started = Date.now();
    await mp.write(0, block(7));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(mp.activePath).toBe('s2');
    expect((await mp.read(0, 4096)).equals(block(7))).toBe(true);
    // s1 still accepts connections but does not answer: the failback check keeps I/O away from it.
    await waitFor(() => s1.events.filter((e) => e.type === 'connection-opened').length >= 3, 'failback checks of s1');
    expect(mp.activePath).toBe('s2');
    expect(events.map((e) => `${e.type}:${e.path}`)).toEqual(['path-failed:s1', 'failover:s2']);
  });

  it('MIR-2 honest outcome: a write whose connection is killed mid-request, with no path left, rejects with outcome unknown', async () => {
    const { paths } = await startPathServers(cleanup, ['s1', 's2']);
    const [s1, s2] = paths as [PathServer, PathServer];
    const { mp } = await open(paths, { retryForMs: 400 });
    await s2.stop();
    const release = s1.hold('write');
    const write = mp.write(0, block(3));
    await waitFor(() => s1.pending >= 1, 's1 to receive the write');
    await s1.crash();
    release();
    const error = await write.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MultipathError);
    expect(error).toMatchObject({ outcome: 'unknown', code: 'MPATH_IO_FAILED', command: 'write' });
    const attempts = (error as MultipathError).attempts;
    expect(attempts[0]).toMatchObject({ path: 's1', outcome: 'unknown', code: 'NBD_CONNECTION_LOST' });
    expect(attempts.slice(1).every((a) => a.outcome === 'fail')).toBe(true);
    expect((error as Error).message).toMatch(/outcome unknown/);
  });

  it('MIR-2 honest outcome: when no path could be reached, the write rejects with outcome fail and nothing is written', async () => {
    const { device, paths } = await startPathServers(cleanup, ['s1', 's2']);
    const { mp, events } = await open(paths, { retryForMs: 300 });
    for (const p of paths) await p.stop();
    await waitFor(() => events.filter((e) => e.type === 'path-failed').length === 2, 'both paths to be seen failed');
    await expect(mp.write(0, block(9))).rejects.toMatchObject({ outcome: 'fail', code: 'MPATH_NO_PATH' });
    expect(device.data.subarray(0, 4096).equals(Buffer.alloc(4096))).toBe(true);
    expect(mp.activePath).toBeNull();
  });

  it('MIR-2 opening with no reachable path rejects within retryForMs with outcome fail', async () => {
    const uris = [await closedPort(), await closedPort()].map((port, i) => ({ name: `s${i + 1}`, uri: `nbd://127.0.0.1:${port}/disk` }));
    const started = Date.now();
    const error = await openMultipath({ paths: uris, retryForMs: 300, failbackProbeMs: 50 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'MPATH_NO_PATH', outcome: 'fail', command: 'open' });
    expect((error as MultipathError).attempts.map((a) => a.code)).toContain('NBD_CONNECTION_REFUSED');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a request the server refuses as invalid (EINVAL) is not retried on other paths: outcome fail', async () => {
    const { paths } = await startPathServers(cleanup, ['s1', 's2']);
    const [s1, s2] = paths as [PathServer, PathServer];
    const { mp } = await open(paths);
    s1.failNext('write', 'EINVAL');
    await expect(mp.write(0, block(1))).rejects.toMatchObject({ outcome: 'fail', code: 'MPATH_REFUSED' });
    expect(s2.ops).toHaveLength(0);
    expect(mp.activePath).toBe('s1');
  });

  it('MIR-2 an uncertain attempt (EIO) retried successfully on the other path is simply ok; a later flush covers it', async () => {
    const { device, paths } = await startPathServers(cleanup, ['s1', 's2']);
    const [s1] = paths as [PathServer, PathServer];
    const { mp } = await open(paths);
    s1.failNext('write', 'EIO');
    await mp.write(8192, block(5));
    await mp.flush();
    expect(device.durable.subarray(8192, 12288).equals(block(5))).toBe(true);
  });

  it('close() refuses later operations with outcome fail', async () => {
    const { paths } = await startPathServers(cleanup, ['s1', 's2']);
    const { mp } = await open(paths);
    await mp.close();
    await expect(mp.read(0, 4096)).rejects.toMatchObject({ outcome: 'fail', code: 'MPATH_CLOSED' });
  });
});
