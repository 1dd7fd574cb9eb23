// The mirror link between two in-process links over real TCP on 127.0.0.1: requests and replies,
// pipelining, error replies, handshake refusals, the cut switch, timeouts, close, and the rule of one
// live connection per pair.

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMirrorLink,
  MirrorLinkDownError,
  MirrorLinkError,
  MirrorLinkLostError,
  MirrorRemoteError,
  MirrorTimeoutError,
} from '../../../../engine/mirror/index.js';
import { encodeHead, FRAME } from '../../../../engine/mirror/protocol.js';
import { FAST, startLinkPair, startTestLink } from '../../../helpers/mirror-links.js';
import { RawMirrorPeer } from '../../../helpers/mirror-raw-peer.js';
import { CleanupStack } from '../../../helpers/cleanup-stack.js';
import { waitFor, within } from '../../../helpers/wait-for.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

/** Awaits a promise that must reject, and returns the error. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('requests', () => {
  it('MIR-1 a request is answered only after the peer handler completed', async () => {
    const { s1, s2 } = await startLinkPair(cleanup);
    let settled = false;
    const held = s1.link.request('hold', { offset: 4096 }, Buffer.from('block')).finally(() => {
      settled = true;
    });
    await waitFor(() => s2.held.length === 1, 'the hold request at s2');
    // Later requests overtake it: the link keeps going, but the held one stays unanswered.
    for (let i = 0; i < 20; i++) await s1.link.request('echo', { i });
    expect(settled).toBe(false);
    s2.held[0]?.release();
    const reply = await held;
    expect(reply.header).toEqual({ released: true, offset: 4096 });
    expect(reply.payload.toString()).toBe('block');
  });

  it('carries header and payload both ways, byte for byte, with thousands in flight and replies out of order', async () => {
    const { s1, s2 } = await startLinkPair(cleanup);
    const sizes = [0, 1, 4095, 4096, 4097, 65536];
    const sizeOf = (i: number) => (i % 100 === 99 ? 300_000 : (sizes[i % sizes.length] ?? 0));
    const completed: number[] = [];
    const run = async (from: typeof s1, count: number) => {
      const sent = Array.from({ length: count }, (_, i) => ({ i, data: randomBytes(sizeOf(i)) }));
      const replies = await Promise.all(
        sent.map(async ({ i, data }) => {
          const reply = await from.link.request('delay', { i, ms: i % 7, note: 'ü✓' }, data);
          if (from === s1) completed.push(i);
          return reply;
        }),
      );
      replies.forEach((reply, i) => {
        expect(reply.header).toEqual({ i, ms: i % 7, note: 'ü✓' });
        expect(reply.payload.equals(sent[i]?.data ?? Buffer.alloc(0))).toBe(true);
      });
    };
    await Promise.all([run(s1, 2000), run(s2, 2000)]);
    expect(s1.link.stats()).toMatchObject({ requestsSent: 2000, requestsReceived: 2000, inFlight: 0 });
    expect(s2.link.stats()).toMatchObject({ requestsSent: 2000, requestsReceived: 2000, inFlight: 0 });
    // Replies came back out of order (the handler delays by i % 7 ms) and were matched by id.
    expect(completed.length).toBe(2000);
    expect(completed.some((i, k) => k > 0 && i < (completed[k - 1] ?? 0))).toBe(true);
  });

  it('error replies carry the handler error code and message', async () => {
    const { s1 } = await startLinkPair(cleanup);
    const coded = await rejection(s1.link.request('fail', { code: 'ENOSPC', message: 'copy full' }));
    expect(coded).toBeInstanceOf(MirrorRemoteError);
    expect(coded).toMatchObject({ code: 'ENOSPC', remoteMessage: 'copy full', peer: 's2', requestType: 'fail', outcomeUnknown: false });
    expect((coded as Error).message).toContain('copy full');
    const plain = await rejection(s1.link.request('fail', { message: 'no code here' }));
    expect(plain).toMatchObject({ code: 'MLINK_HANDLER_ERROR', remoteMessage: 'no code here' });
    const sync = await rejection(s1.link.request('throw-sync'));
    expect(sync).toMatchObject({ code: 'ESYNC', remoteMessage: 'thrown synchronously' });
    // The link is still fine.
    expect((await s1.link.request('echo', { ok: 1 })).header).toEqual({ ok: 1 });
    expect(s1.link.up).toBe(true);
  });

  it('rejects bad requests without sending them', async () => {
    const { s1 } = await startLinkPair(cleanup);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await rejection(s1.link.request('echo', cyclic))).toMatchObject({ code: 'MLINK_INVALID_REQUEST' });
    expect(await rejection(s1.link.request(''))).toMatchObject({ code: 'MLINK_INVALID_REQUEST' });
    expect(await rejection(s1.link.request('echo', {}, 'text' as unknown as Buffer))).toMatchObject({ code: 'MLINK_INVALID_REQUEST' });
    expect(s1.link.stats().requestsSent).toBe(0);
  });

  it('a request without a reply in time rejects with MLINK_TIMEOUT (outcome unknown); the late reply is ignored', async () => {
    const { s1, s2 } = await startLinkPair(cleanup);
    const err = await rejection(s1.link.request('hold', {}, undefined, { timeoutMs: 50 }));
    expect(err).toBeInstanceOf(MirrorTimeoutError);
    expect(err).toMatchObject({ code: 'MLINK_TIMEOUT', outcomeUnknown: true, timeoutMs: 50, requestType: 'hold' });
    expect((err as Error).message).toMatch(/may or may not have applied/);
    s2.held[0]?.release();
    expect((await s1.link.request('echo', { after: true })).header).toEqual({ after: true });
    expect(s1.link.up).toBe(true);
  });
});

describe('link state', () => {
  it('requests while down reject at once with MLINK_LINK_DOWN (not sent)', async () => {
    // Nothing listens on this port: find a free one and release it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const address = probe.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const s1 = await startTestLink(cleanup, { self: 's1', peer: 's2', groupId: 'g1', connect: { host: '127.0.0.1', port }, ...FAST });
    await waitFor(() => s1.link.stats().connectionAttempts >= 2, 'two connection attempts');
    const err = await rejection(s1.link.request('write', { offset: 0 }, Buffer.alloc(4096)));
    expect(err).toBeInstanceOf(MirrorLinkDownError);
    expect(err).toMatchObject({ code: 'MLINK_LINK_DOWN', reason: 'not-connected', outcomeUnknown: false });
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(s1.link.stats().lastConnectError).toMatch(/connection-lost/);
  });

  it('cut(true) on the connecting side takes both sides down; cut(false) brings the link back', async () => {
    const { s1, s2 } = await startLinkPair(cleanup);
    const inFlight = rejection(s1.link.request('hold', { n: 1 }));
    await waitFor(() => s2.held.length === 1, 'the held request at s2');
    s1.link.cut(true);
    expect(s1.link.up).toBe(false);
    expect(s1.downs()).toEqual([expect.objectContaining({ reason: 'cut' })]);
    const lost = await inFlight;
    expect(lost).toBeInstanceOf(MirrorLinkLostError);
    expect(lost).toMatchObject({ code: 'MLINK_LINK_LOST', reason: 'cut', outcomeUnknown: true });
    expect((lost as Error).message).toMatch(/may or may not have applied it/);
    const s2Down = await s2.waitDown(1);
    expect(s2Down.reason).toBe('connection-lost');
    expect(await rejection(s1.link.request('echo'))).toMatchObject({ code: 'MLINK_LINK_DOWN', reason: 'cut' });
    expect(await rejection(s2.link.request('echo'))).toMatchObject({ code: 'MLINK_LINK_DOWN', reason: 'connection-lost' });
    // While cut, s1 does not try to reconnect. (An observation window for something that must not
    // happen, not synchronisation.)
    const attempts = s1.link.stats().connectionAttempts;
    await new Promise((resolve) => setTimeout(resolve, FAST.reconnectMs * 5));
    expect(s1.link.stats().connectionAttempts).toBe(attempts);
    expect(s2.link.up).toBe(false);
    s1.link.cut(false);
    await s1.waitUp();
    await s2.waitUp();
    expect((await s2.link.request('echo', { back: 1 })).header).toEqual({ back: 1 });
    expect((await s1.link.request('echo', { back: 2 })).header).toEqual({ back: 2 });
  });

  it('cut(true) on the listening side refuses reconnection until cut(false)', async () => {
    const { s1, s2 } = await startLinkPair(cleanup);
    s2.link.cut(true);
    expect(s2.link.up).toBe(false);
    expect((await s1.waitDown(1)).reason).toBe('connection-lost');
    // s1 keeps knocking; every attempt is dropped while s2 is cut.
    const before = s2.link.stats().connectionAttempts;
    await waitFor(() => s2.link.stats().connectionAttempts >= before + 3, 'three refused reconnection attempts');
    expect(s1.link.up).toBe(false);
    expect(s2.link.up).toBe(false);
    expect(await rejection(s2.link.request('echo'))).toMatchObject({ code: 'MLINK_LINK_DOWN', reason: 'cut' });
    s2.link.cut(false);
    await s1.waitUp();
    await s2.waitUp();
    expect((await s1.link.request('echo', { x: 1 })).header).toEqual({ x: 1 });
    expect(s1.link.stats().downs).toBe(1);
    expect(s2.link.stats()).toMatchObject({ downs: 1, lastDownReason: 'cut' });
  });

  it('close() says goodbye: the peer goes down with peer-closed, in-flight requests are lost; close is idempotent and releases the port', async () => {
    const { s1, s2 } = await startLinkPair(cleanup);
    const inFlight = rejection(s1.link.request('hold'));
    await waitFor(() => s2.held.length === 1, 'the held request');
    const port = s2.link.address?.port ?? 0;
    await Promise.all([s2.link.close(), s2.link.close()]);
    await s2.link.close();
    expect(s2.downs()).toEqual([expect.objectContaining({ reason: 'closed' })]);
    expect((await s1.waitDown(1)).reason).toBe('peer-closed');
    expect(await inFlight).toMatchObject({ code: 'MLINK_LINK_LOST', reason: 'peer-closed' });
    expect(await rejection(s2.link.request('echo'))).toMatchObject({ code: 'MLINK_LINK_DOWN', reason: 'closed' });
    // The port is free again: a new s2 binds it and s1 reconnects to it.
    const again = await startTestLink(cleanup, { self: 's2', peer: 's1', groupId: 'g1', listen: { host: '127.0.0.1', port }, ...FAST });
    await again.waitUp();
    await s1.waitUp();
    expect((await s1.link.request('echo', { to: 'new s2' })).header).toEqual({ to: 'new s2' });
  });

  it('a newer handshaken connection replaces the live one (never two live connections)', async () => {
    // s1 retries only when told to (cut(false) dials at once), so the raw peer keeps the link meanwhile.
    const { s1, s2 } = await startLinkPair(cleanup, { s1: { reconnectMs: 60_000 } });
    const raw = await RawMirrorPeer.open(cleanup, s2.link.address?.port ?? 0);
    raw.sendHello();
    await raw.waitFrame('hello');
    expect(s2.downs()).toEqual([expect.objectContaining({ reason: 'replaced' })]);
    expect(s2.link.up).toBe(true);
    const s1Down = await s1.waitDown(1);
    expect(s1Down).toMatchObject({ reason: 'peer-closed', message: expect.stringMatching(/replaced by a newer connection/) });
    // The raw peer now owns the link; s2's requests go to it.
    const req = rejection(s2.link.request('ping', { to: 'raw' }));
    const frame = await raw.waitFrame('request');
    expect(frame).toMatchObject({ type: 'ping', header: { to: 'raw' } });
    raw.destroy();
    expect(await req).toMatchObject({ code: 'MLINK_LINK_LOST', reason: 'connection-lost' });
    s1.link.cut(true);
    s1.link.cut(false);
    await s1.waitUp();
    await s2.waitUp();
    expect((await s1.link.request('echo', { n: 3 })).header).toEqual({ n: 3 });
  });

  it('a peer that goes silent after the handshake is declared down after about deadAfterMs', async () => {
    const s2 = await startTestLink(cleanup, { self: 's2', peer: 's1', groupId: 'g1', listen: { host: '127.0.0.1', port: 0 }, ...FAST });
    const raw = await RawMirrorPeer.open(cleanup, s2.link.address?.port ?? 0);
    const helloAt = performance.now();
    raw.sendHello();
    await s2.waitUp();
    const down = await s2.waitDown(1, 5000);
    // Silence is measured from before the hello: a busy machine may report 'up' late, never early.
    const elapsed = performance.now() - helloAt;
    expect(down.reason).toBe('heartbeat-timeout');
    expect(elapsed).toBeGreaterThanOrEqual(FAST.deadAfterMs);
    expect(elapsed).toBeLessThan(FAST.deadAfterMs + 2000);
    await within(raw.closed, 2000, 'the link closing the silent connection');
    // The link kept sending heartbeats to the silent peer meanwhile.
    expect(raw.frames.some((f) => f.kind === 'heartbeat')).toBe(true);
  });

  it('a connection that never completes its handshake is dropped after deadAfterMs', async () => {
    const s2 = await startTestLink(cleanup, { self: 's2', peer: 's1', groupId: 'g1', listen: { host: '127.0.0.1', port: 0 }, ...FAST });
    const raw = await RawMirrorPeer.open(cleanup, s2.link.address?.port ?? 0);
    await within(raw.closed, 3000, 'the link dropping a silent client');
    expect(s2.link.stats().lastConnectError).toMatch(/handshake-timeout/);
    expect(s2.events).toEqual([]);
  });

  it('a frame other than HELLO before the handshake is a protocol error', async () => {
    const s2 = await startTestLink(cleanup, { self: 's2', peer: 's1', groupId: 'g1', listen: { host: '127.0.0.1', port: 0 }, ...FAST });
    const raw = await RawMirrorPeer.open(cleanup, s2.link.address?.port ?? 0);
    raw.send(encodeHead(FRAME.HEARTBEAT, 0, undefined, 0));
    await within(raw.closed, 3000, 'the link dropping the connection');
    expect(s2.link.stats()).toMatchObject({ protocolErrors: 1, up: false });
    expect(s2.link.stats().lastConnectError).toMatch(/protocol-error: expected HELLO/);
  });
});

describe('handshake', () => {
  it('refuses a peer of another mirror group, on both sides, with a clear reason', async () => {
    const { s1, s2 } = await startLinkPair(cleanup, { s1: { groupId: 'vd-7' }, s2: { groupId: 'vd-8' }, waitUp: false });
    await waitFor(() => s1.events.some((e) => e.event === 'handshake-failed'), 's1 handshake refused');
    await waitFor(() => s2.events.some((e) => e.event === 'handshake-failed'), 's2 refusing the handshake');
    const atS2 = s2.events.find((e) => e.event === 'handshake-failed');
    const atS1 = s1.events.find((e) => e.event === 'handshake-failed');
    expect(atS2?.info).toMatchObject({ reason: 'group-mismatch', by: 'self' });
    expect(atS1?.info).toMatchObject({ reason: 'group-mismatch', by: 'peer' });
    expect(atS1?.info.message).toContain("'vd-7'");
    expect(atS1?.info.message).toContain("'vd-8'");
    expect(s1.link.up || s2.link.up).toBe(false);
    expect(await rejection(s1.link.request('echo'))).toMatchObject({ code: 'MLINK_LINK_DOWN' });
    expect(s1.link.stats().lastConnectError).toMatch(/handshake-refused/);
  });

  it('refuses a peer with the wrong name, and a peer expecting another partner', async () => {
    // s3 expects s2; s1 connects to it.
    const s3 = await startTestLink(cleanup, { self: 's3', peer: 's2', groupId: 'g1', listen: { host: '127.0.0.1', port: 0 }, ...FAST });
    const port = s3.link.address?.port ?? 0;
    const s1 = await startTestLink(cleanup, { self: 's1', peer: 's3', groupId: 'g1', connect: { host: '127.0.0.1', port }, ...FAST });
    await waitFor(() => s1.events.some((e) => e.event === 'handshake-failed'), 's1 refused');
    expect(s1.events.find((e) => e.event === 'handshake-failed')?.info).toMatchObject({ reason: 'name-mismatch', by: 'peer' });
    expect(s1.events.find((e) => e.event === 'handshake-failed')?.info.message).toMatch(
      /'s1' connected, but the mirror partner of 's3' is 's2'/,
    );
    await s1.link.close();
    // s2 connects to s3 but expects its partner to be s4.
    const s2 = await startTestLink(cleanup, { self: 's2', peer: 's4', groupId: 'g1', connect: { host: '127.0.0.1', port }, ...FAST });
    await waitFor(() => s2.events.some((e) => e.event === 'handshake-failed'), 's2 refused');
    expect(s2.events.find((e) => e.event === 'handshake-failed')?.info.message).toMatch(/expects its partner to be 's4'/);
    expect(s3.link.up).toBe(false);
  });

  it('refuses another protocol version with version-mismatch', async () => {
    const s2 = await startTestLink(cleanup, { self: 's2', peer: 's1', groupId: 'g1', listen: { host: '127.0.0.1', port: 0 }, ...FAST });
    const raw = await RawMirrorPeer.open(cleanup, s2.link.address?.port ?? 0);
    raw.sendHello({ version: 2 });
    const refuse = await raw.waitFrame('refuse');
    expect(refuse.reason).toBe('version-mismatch');
    expect(refuse.message).toMatch(/version 2.*version 1/);
    await within(raw.closed, 3000, 'the link closing after REFUSE');
    expect(s2.link.up).toBe(false);
  });
});

describe('options', () => {
  it('rejects bad options with MLINK_INVALID_OPTIONS', async () => {
    const base = { groupId: 'g', onRequest: () => ({}) };
    const bad = [
      { ...base, self: 's1', peer: 's1', connect: { host: '127.0.0.1', port: 1 } },
      { ...base, self: 's2', peer: 's1' }, // the listening side without listen
      { ...base, self: 's1', peer: 's2', listen: { host: '127.0.0.1', port: 0 } }, // the connecting side without connect
      { ...base, self: 's1', peer: 's2', connect: { host: '127.0.0.1', port: 1 }, heartbeatMs: 100, deadAfterMs: 100 },
      { ...base, self: '', peer: 's2', connect: { host: '127.0.0.1', port: 1 } },
    ];
    for (const options of bad) {
      let err: unknown;
      try {
        createMirrorLink(options);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MirrorLinkError);
      expect(err).toMatchObject({ code: 'MLINK_INVALID_OPTIONS' });
    }
  });

  it('reports a port in use as MLINK_LISTEN_FAILED, and binds once the port is free', async () => {
    const s2 = await startTestLink(cleanup, { self: 's2', peer: 's1', groupId: 'g1', listen: { host: '127.0.0.1', port: 0 }, ...FAST });
    const port = s2.link.address?.port ?? 0;
    const late = createMirrorLink({
      self: 's2',
      peer: 's1',
      groupId: 'g1',
      listen: { host: '127.0.0.1', port },
      ...FAST,
      onRequest: () => ({}),
    });
    cleanup.add(late, (l) => l.close());
    const err = await rejection(late.ready());
    expect(err).toMatchObject({ code: 'MLINK_LISTEN_FAILED' });
    expect((err as Error).message).toMatch(/EADDRINUSE/);
    expect(late.address).toBeUndefined();
    expect(late.stats().lastConnectError).toMatch(/listen-failed/);
    // The first server goes away; the late one keeps retrying and takes the port.
    await s2.link.close();
    await waitFor(() => late.address?.port === port, 'the late link bound to the freed port');
  });
});
