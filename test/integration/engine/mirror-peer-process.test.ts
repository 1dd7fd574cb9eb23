// Failure detection against a partner in another process: killed with SIGKILL (its sockets close,
// noticed at once) and hung with SIGSTOP (silence, noticed after about deadAfterMs). MIR-2 needs both
// to be noticed promptly and honestly so the survivor can fail over.

import { afterEach, describe, expect, it } from 'vitest';
import { MirrorLinkLostError } from '../../../engine/mirror/index.js';
import { startTestLink, type TestLink } from '../../helpers/mirror-links.js';
import { startPeerProcess, type PeerProcess } from '../../helpers/mirror-peer-process.js';
import { CleanupStack } from '../../helpers/cleanup-stack.js';
import { waitFor, within } from '../../helpers/wait-for.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

const TIMING = { heartbeatMs: 50, deadAfterMs: 500, reconnectMs: 50 } as const;

/** The child s2 listens (port 0 the first time, then the same port); s1 runs here and connects. */
async function startPair(port = 0): Promise<{ peer: PeerProcess; s1: TestLink }> {
  const peer = await startPeerProcess(cleanup, { self: 's2', peer: 's1', groupId: 'g1', listen: { host: '127.0.0.1', port }, ...TIMING });
  const s1 = await startTestLink(cleanup, {
    self: 's1',
    peer: 's2',
    groupId: 'g1',
    connect: { host: '127.0.0.1', port: peer.port ?? 0 },
    ...TIMING,
  });
  await s1.waitUp('s1 up with the child', 10_000);
  await peer.waitEvent('up', 1);
  return { peer, s1 };
}

/** Starts `count` requests the child never answers; each settles to its error. */
function holdRequests(s1: TestLink, count: number): Promise<unknown>[] {
  return Array.from({ length: count }, (_, i) =>
    s1.link.request('hold', { i }, Buffer.alloc(4096, i)).then(
      () => new Error('a held request was answered'),
      (err: unknown) => err,
    ),
  );
}

describe('peer in another process', () => {
  it('answers requests across processes', async () => {
    const { peer, s1 } = await startPair();
    const reply = await s1.link.request('echo', { n: 1 }, Buffer.from('across'));
    expect(reply.header).toEqual({ n: 1, pid: peer.child.pid });
    expect(reply.payload.toString()).toBe('across');
    expect(await s1.link.request('fail').catch((err: unknown) => err)).toMatchObject({ code: 'EIO', remoteMessage: 'failed on purpose' });
  });

  it('a SIGKILLed peer is noticed at once, in-flight requests reject with MLINK_LINK_LOST, and the link returns when it restarts', async () => {
    const { peer, s1 } = await startPair();
    const port = peer.port ?? 0;
    const held = holdRequests(s1, 100);
    await waitFor(() => s1.link.stats().bytesSent > 100 * 4096, 'the held requests sent');
    // Make sure the child has them (an echo sent after them comes back after they arrived).
    await s1.link.request('echo');
    const killedAt = performance.now();
    peer.child.kill('SIGKILL');
    const down = await s1.waitDown(1, 5000);
    const noticedMs = performance.now() - killedAt;
    expect(down.reason).toBe('connection-lost');
    // Socket close, not the heartbeat deadline (500 ms).
    expect(noticedMs).toBeLessThan(TIMING.deadAfterMs);
    const errors = await within(Promise.all(held), 2000, 'the held requests settling');
    for (const err of errors) {
      expect(err).toBeInstanceOf(MirrorLinkLostError);
      expect(err).toMatchObject({ code: 'MLINK_LINK_LOST', reason: 'connection-lost', outcomeUnknown: true });
    }
    expect(await s1.link.request('echo').catch((err: unknown) => err)).toMatchObject({ code: 'MLINK_LINK_DOWN' });
    await peer.exited;
    // Restart on the same port: s1 has kept trying and comes back up.
    const again = await startPeerProcess(cleanup, {
      self: 's2',
      peer: 's1',
      groupId: 'g1',
      listen: { host: '127.0.0.1', port },
      ...TIMING,
    });
    await s1.waitUp('s1 up with the restarted child', 10_000);
    await again.waitEvent('up', 1);
    expect((await s1.link.request('echo', { n: 2 })).header).toEqual({ n: 2, pid: again.child.pid });
    expect(s1.link.stats()).toMatchObject({ downs: 1, lastDownReason: 'connection-lost' });
  });

  it('a SIGSTOPped peer is declared down after about deadAfterMs; after SIGCONT the link comes back', async () => {
    const { peer, s1 } = await startPair();
    const held = holdRequests(s1, 10);
    await s1.link.request('echo');
    const stoppedAt = performance.now();
    peer.child.kill('SIGSTOP');
    const down = await s1.waitDown(1, 5000);
    const noticedMs = performance.now() - stoppedAt;
    expect(down.reason).toBe('heartbeat-timeout');
    // The last byte from the child may have come up to one heartbeat before the stop.
    expect(noticedMs).toBeGreaterThanOrEqual(TIMING.deadAfterMs - TIMING.heartbeatMs - 10);
    expect(noticedMs).toBeLessThan(TIMING.deadAfterMs + 2000);
    for (const err of await Promise.all(held)) expect(err).toMatchObject({ code: 'MLINK_LINK_LOST', reason: 'heartbeat-timeout' });
    peer.child.kill('SIGCONT');
    await s1.waitUp('s1 up after SIGCONT', 10_000);
    expect((await s1.link.request('echo', { n: 3 })).header).toEqual({ n: 3, pid: peer.child.pid });
  });

  it('a child on the connecting side notices a cut at the listening side and reconnects after cut(false)', async () => {
    // Reverse roles: the child is s1 and connects to s2 here.
    const s2 = await startTestLink(cleanup, { self: 's2', peer: 's1', groupId: 'g1', listen: { host: '127.0.0.1', port: 0 }, ...TIMING });
    const peer = await startPeerProcess(cleanup, {
      self: 's1',
      peer: 's2',
      groupId: 'g1',
      connect: { host: '127.0.0.1', port: s2.link.address?.port ?? 0 },
      ...TIMING,
    });
    await s2.waitUp('s2 up with the child', 10_000);
    s2.link.cut(true);
    const down = await peer.waitEvent('down', 1);
    expect(down.reason).toBe('connection-lost');
    s2.link.cut(false);
    await peer.waitEvent('up', 2);
    await s2.waitUp();
    expect((await s2.link.request('echo', { n: 4 })).header).toEqual({ n: 4, pid: peer.child.pid });
  });
});
