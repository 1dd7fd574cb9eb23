// In-process mirror links for tests: a recording wrapper, a test request handler, and a connected
// pair (s2 listens on 127.0.0.1 port 0, s1 connects). Everything registers its own cleanup.

import {
  createMirrorLink,
  type MirrorLink,
  type MirrorLinkEvents,
  type MirrorLinkOptions,
  type MirrorRequest,
} from '../../engine/mirror/index.js';
import type { CleanupStack } from './cleanup-stack.js';
import { waitFor } from './wait-for.js';

/** One event a link emitted. */
export type RecordedEvent = {
  [E in keyof MirrorLinkEvents]: { readonly event: E; readonly info: MirrorLinkEvents[E]; readonly at: number };
}[keyof MirrorLinkEvents];

/** A link with its event history and the requests its handler saw. */
export interface TestLink {
  readonly link: MirrorLink;
  readonly events: RecordedEvent[];
  readonly handled: MirrorRequest[];
  /** Requests of type 'hold' waiting for release (resolve sends the reply). */
  readonly held: Array<{ readonly req: MirrorRequest; release(): void }>;
  /** Down events so far. */
  downs(): Array<MirrorLinkEvents['down']>;
  /** Waits until the link is up. */
  waitUp(what?: string, timeoutMs?: number): Promise<void>;
  /** Waits until the link has reported `count` down events in total (default: one more than now). */
  waitDown(count?: number, timeoutMs?: number): Promise<MirrorLinkEvents['down']>;
}

/**
 * The test handler: 'echo' returns header and payload; 'fail' throws with header.code (if any) and
 * header.message; 'throw-sync' throws synchronously; 'delay' echoes after header.ms; 'hold' waits
 * until the test releases it; anything else echoes.
 */
export function testHandler(t: Pick<TestLink, 'handled' | 'held'>): MirrorLinkOptions['onRequest'] {
  return (req) => {
    t.handled.push(req);
    switch (req.type) {
      case 'fail': {
        const err = new Error(String(req.header.message ?? 'handler failed'));
        if (typeof req.header.code === 'string') Object.assign(err, { code: req.header.code });
        return Promise.reject(err);
      }
      case 'throw-sync':
        throw Object.assign(new Error('thrown synchronously'), { code: 'ESYNC' });
      case 'delay':
        return new Promise((resolve) =>
          setTimeout(() => resolve({ header: req.header, payload: req.payload }), Number(req.header.ms ?? 0)),
        );
      case 'hold':
        return new Promise((resolve) =>
          t.held.push({ req, release: () => resolve({ header: { released: true, ...req.header }, payload: req.payload }) }),
        );
      default:
        return { header: req.header, payload: req.payload };
    }
  };
}

/** Starts a link with the test handler (unless given one); closes it at cleanup. */
export async function startTestLink(
  cleanup: CleanupStack,
  options: Omit<MirrorLinkOptions, 'onRequest'> & { onRequest?: MirrorLinkOptions['onRequest'] },
): Promise<TestLink> {
  const events: RecordedEvent[] = [];
  const handled: MirrorRequest[] = [];
  const held: TestLink['held'] = [];
  const link = createMirrorLink({ ...options, onRequest: options.onRequest ?? testHandler({ handled, held }) });
  cleanup.add(link, async (l) => {
    for (const h of held) h.release();
    await l.close();
  });
  await link.ready();
  const start = performance.now();
  link.on('up', (info) => events.push({ event: 'up', info, at: performance.now() - start }));
  link.on('down', (info) => events.push({ event: 'down', info, at: performance.now() - start }));
  link.on('handshake-failed', (info) => events.push({ event: 'handshake-failed', info, at: performance.now() - start }));
  const downs = (): Array<MirrorLinkEvents['down']> => events.flatMap((e) => (e.event === 'down' ? [e.info] : []));
  return {
    link,
    events,
    handled,
    held,
    downs,
    waitUp: (what = `${options.self} up`, timeoutMs = 5000) => waitFor(() => link.up, what, timeoutMs, 2),
    async waitDown(count = downs().length + 1, timeoutMs = 5000) {
      await waitFor(() => downs().length >= count, `${options.self} reporting down #${count}`, timeoutMs, 2);
      const info = downs()[count - 1];
      if (info === undefined) throw new Error('down event vanished');
      return info;
    },
  };
}

/** Options both sides of a test pair share by default (fast timings keep tests short). */
export const FAST = { heartbeatMs: 20, deadAfterMs: 300, reconnectMs: 20, requestTimeoutMs: 10_000 } as const;

type SideOptions = Partial<Omit<MirrorLinkOptions, 'onRequest'>> & { onRequest?: MirrorLinkOptions['onRequest'] };

/** s2 listening on 127.0.0.1 port 0 and s1 connecting to it; waits for both to be up unless told not to. */
export async function startLinkPair(
  cleanup: CleanupStack,
  opts: { s1?: SideOptions; s2?: SideOptions; waitUp?: boolean } = {},
): Promise<{ s1: TestLink; s2: TestLink }> {
  const s2 = await startTestLink(cleanup, {
    self: 's2',
    peer: 's1',
    groupId: 'g1',
    listen: { host: '127.0.0.1', port: 0 },
    ...FAST,
    ...opts.s2,
  });
  const address = s2.link.address;
  if (address === undefined) throw new Error('the listening link has no address');
  const s1 = await startTestLink(cleanup, {
    self: 's1',
    peer: 's2',
    groupId: 'g1',
    connect: { host: '127.0.0.1', port: address.port },
    ...FAST,
    ...opts.s1,
  });
  if (opts.waitUp !== false) {
    await s1.waitUp();
    await s2.waitUp();
  }
  return { s1, s2 };
}
