// The host NBD client against nbdkit (a server nobody here wrote): memory plugin, read-only mode,
// and the error and delay filters for error replies and timeouts.

import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, NbdRequestError, NbdTimeoutError, outcomeOf, type NbdClient } from '../../../harness/host/index.js';
import { missingTools } from '../../helpers/debian-tools.js';
import { CleanupStack } from '../../helpers/cleanup-stack.js';
import { hasNbdkitFilter, startNbdkit } from '../../helpers/nbdkit-process.js';
import { within } from '../../helpers/wait-for.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

const noNbdkit = missingTools('host client vs nbdkit', 'nbdkit').length > 0;

async function open(uri: string, timeoutMs = 10_000): Promise<NbdClient> {
  return cleanup.add(await connect({ uri, timeoutMs }), (c) => c.destroy());
}

describe.skipIf(noNbdkit)('host NBD client against nbdkit', () => {
  it('opens nbdkit memory and reports its size and flags', async () => {
    const k = await startNbdkit(cleanup, ['memory', '64M']);
    const c = await open(k.uri);
    expect(c.size).toBe(64 * 1024 * 1024);
    expect(c.features).toMatchObject({ readOnly: false, flush: true, fua: true, trim: true, writeZeroes: true });
    expect(c.info.negotiatedWith).toBe('go');
  });

  it('writes, reads, flushes, trims and zeroes with data checked byte for byte', async () => {
    const k = await startNbdkit(cleanup, ['memory', '64M']);
    const c = await open(k.uri);
    const data = randomBytes(1024 * 1024);
    await c.write(3 * 1024 * 1024, data, { fua: true });
    expect((await c.read(3 * 1024 * 1024, data.length)).equals(data)).toBe(true);
    await c.flush();
    await c.writeZeroes(3 * 1024 * 1024, 4096, { noHole: true });
    await c.trim(3 * 1024 * 1024 + 65536, 65536);
    const back = await c.read(3 * 1024 * 1024, 8192);
    expect(back.subarray(0, 4096).equals(Buffer.alloc(4096))).toBe(true);
    expect(back.subarray(4096).equals(data.subarray(4096, 8192))).toBe(true);
    await c.disconnect();
  });

  it('pipelines 512 requests on one connection against nbdkit and matches every reply', async () => {
    const k = await startNbdkit(cleanup, ['memory', '64M']);
    const c = await open(k.uri);
    const blocks = Array.from({ length: 256 }, () => randomBytes(4096));
    await Promise.all(blocks.map((b, i) => c.write(i * 8192, b)));
    const reads = await Promise.all(blocks.map((_, i) => c.read(i * 8192, 4096)));
    for (const [i, r] of reads.entries()) expect(r.equals(blocks[i] as Buffer), `block ${i}`).toBe(true);
  });

  it('a read-only nbdkit: the client refuses writes locally, and nbdkit answers EPERM when asked anyway', async () => {
    const k = await startNbdkit(cleanup, ['-r', 'memory', '1M']);
    const strict = await open(k.uri);
    expect(strict.features.readOnly).toBe(true);
    await expect(strict.write(0, Buffer.alloc(512))).rejects.toMatchObject({ code: 'NBD_INVALID_REQUEST' });
    const loose = cleanup.add(await connect({ uri: k.uri, timeoutMs: 10_000, validateRequests: false }), (c) => c.destroy());
    const err = await loose.write(0, Buffer.alloc(512)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NbdRequestError);
    expect(err).toMatchObject({ errno: 'EPERM', outcome: 'fail' });
  });

  it.skipIf(noNbdkit || !hasNbdkitFilter('error'))(
    'VD-1 maps nbdkit error replies to NbdRequestError names (ESHUTDOWN, ENOSPC)',
    async () => {
      const k = await startNbdkit(cleanup, [
        '--filter=error',
        'memory',
        '1M',
        'error-pwrite=ESHUTDOWN',
        'error-pwrite-rate=1',
        'error-pread=ENOSPC',
        'error-pread-rate=1',
      ]);
      const c = await open(k.uri);
      const readErr = await c.read(0, 512).catch((e: unknown) => e);
      expect(readErr).toMatchObject({ code: 'NBD_REQUEST_FAILED', errno: 'ENOSPC' });
      const writeErr = await c.write(0, Buffer.alloc(512)).catch((e: unknown) => e);
      expect(writeErr).toMatchObject({ errno: 'ESHUTDOWN', errnoValue: 108 });
      expect(outcomeOf(writeErr)).toBe('fail');
      // After ESHUTDOWN the client must soft-disconnect (proto.md): the connection closes.
      await within(c.closed, 5000, 'the client to disconnect after ESHUTDOWN');
    },
  );

  it.skipIf(noNbdkit || !hasNbdkitFilter('delay'))(
    'times out a request nbdkit is slow to answer (outcome unknown), then carries on',
    async () => {
      const k = await startNbdkit(cleanup, ['--filter=delay', 'memory', '1M', 'delay-read=1']);
      const c = await open(k.uri);
      const err = await c.read(0, 4096, { timeoutMs: 150 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NbdTimeoutError);
      expect(outcomeOf(err)).toBe('unknown');
      await c.write(0, Buffer.alloc(4096, 1));
      expect((await c.read(0, 4096, { timeoutMs: 10_000 })).equals(Buffer.alloc(4096, 1))).toBe(true);
    },
  );
});
