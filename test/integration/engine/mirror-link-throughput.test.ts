// A small throughput measurement of the mirror link: 4 KiB writes answered with 4 KiB over loopback,
// many in flight. Prints requests per second; never fails on timing (only on wrong replies).
// More requests: MIRROR_BENCH_REQUESTS=200000 npx vitest run test/unit/engine/mirror/throughput

import { randomBytes } from 'node:crypto';
import { afterEach, expect, it } from 'vitest';
import type { MirrorLink } from '../../../engine/mirror/index.js';
import { startLinkPair } from '../../helpers/mirror-links.js';
import { startPeerProcess } from '../../helpers/mirror-peer-process.js';
import { startTestLink } from '../../helpers/mirror-links.js';
import { CleanupStack } from '../../helpers/cleanup-stack.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

const REQUESTS = Number(process.env.MIRROR_BENCH_REQUESTS ?? 20_000);
const WINDOW = 256;
const BLOCK = 4096;

/** Runs REQUESTS echo round trips with WINDOW in flight; returns requests per second. */
async function measure(link: MirrorLink): Promise<number> {
  const block = randomBytes(BLOCK);
  let next = 0;
  let bad = 0;
  const worker = async (): Promise<void> => {
    while (next < REQUESTS) {
      const i = next++;
      const reply = await link.request('echo', { offset: i * BLOCK }, block);
      if (reply.payload.length !== BLOCK || reply.header.offset !== i * BLOCK) bad += 1;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: WINDOW }, worker));
  const seconds = (performance.now() - start) / 1000;
  expect(bad).toBe(0);
  return REQUESTS / seconds;
}

it('measures 4 KiB round trips between two links in one process', async () => {
  const { s1 } = await startLinkPair(cleanup, { s2: { onRequest: (req) => ({ header: req.header, payload: req.payload }) } });
  await measure(s1.link); // warm-up
  const rate = await measure(s1.link);
  console.log(
    `mirror link, one process: ${Math.round(rate)} req/s (${REQUESTS} x 4 KiB each way, ${WINDOW} in flight, ${Math.round((rate * BLOCK * 2) / 1e6)} MB/s)`,
  );
});

it('measures 4 KiB round trips to a peer in another process', async () => {
  const peer = await startPeerProcess(cleanup, { self: 's2', peer: 's1', groupId: 'g1', listen: { host: '127.0.0.1', port: 0 } });
  const s1 = await startTestLink(cleanup, { self: 's1', peer: 's2', groupId: 'g1', connect: { host: '127.0.0.1', port: peer.port ?? 0 } });
  await s1.waitUp();
  await measure(s1.link); // warm-up
  const rate = await measure(s1.link);
  console.log(
    `mirror link, two processes: ${Math.round(rate)} req/s (${REQUESTS} x 4 KiB each way, ${WINDOW} in flight, ${Math.round((rate * BLOCK * 2) / 1e6)} MB/s)`,
  );
});
