// The host NBD client against scripted servers that misbehave or are old (proto.md "Handshake",
// "Simple reply message", "Error values"): the client must fail cleanly, never hang or crash.

import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, NbdConnectionLostError, NbdHandshakeError, NbdRequestError, outcomeOf } from '../../../../harness/host/index.js';
import { CleanupStack } from '../../../helpers/cleanup-stack.js';
import { IHAVEOPT, NBD_MAGIC, OPTION_REPLY_MAGIC, SIMPLE_REPLY_MAGIC } from '../../../helpers/nbd-raw-client.js';
import { within } from '../../../helpers/wait-for.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

/** Reads exact byte counts from a server-side socket. */
function reader(socket: Socket): (n: number) => Promise<Buffer> {
  let buffered: Buffer = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    wake?.();
  });
  return async (n) => {
    while (buffered.length < n) await new Promise<void>((resolve) => (wake = resolve));
    const out = buffered.subarray(0, n);
    buffered = buffered.subarray(n);
    return out;
  };
}

/** Starts a scripted server on 127.0.0.1; `script` runs per connection. */
async function scripted(script: (socket: Socket, read: (n: number) => Promise<Buffer>) => Promise<void>): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    script(socket, reader(socket)).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(server, (s) => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => s.close(() => resolve()));
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no address');
  return address.port;
}

function greeting(flags = 3): Buffer {
  const b = Buffer.alloc(18);
  b.writeBigUInt64BE(NBD_MAGIC, 0);
  b.writeBigUInt64BE(IHAVEOPT, 8);
  b.writeUInt16BE(flags, 16);
  return b;
}

function optionReply(option: number, type: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(20);
  h.writeBigUInt64BE(OPTION_REPLY_MAGIC, 0);
  h.writeUInt32BE(option, 8);
  h.writeUInt32BE(type >>> 0, 12);
  h.writeUInt32BE(data.length, 16);
  return Buffer.concat([h, data]);
}

function exportInfo(size: number, flags: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(0, 0);
  b.writeBigUInt64BE(BigInt(size), 2);
  b.writeUInt16BE(flags, 10);
  return b;
}

/** Handshake a well-behaved server side would do for NBD_OPT_GO; returns after the ACK. */
async function acceptGo(socket: Socket, read: (n: number) => Promise<Buffer>, size = 1 << 20): Promise<void> {
  socket.write(greeting());
  await read(4);
  const h = await read(16);
  await read(h.readUInt32BE(12));
  socket.write(Buffer.concat([optionReply(7, 3, exportInfo(size, 1 | 4 | 8)), optionReply(7, 1)]));
}

function simpleReply(error: number, handle: Buffer): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0);
  b.writeUInt32BE(error, 4);
  handle.copy(b, 8);
  return b;
}

describe('host NBD client against misbehaving servers', () => {
  it('falls back to NBD_OPT_EXPORT_NAME when NBD_OPT_GO is unsupported', async () => {
    const port = await scripted(async (socket, read) => {
      socket.write(greeting(1)); // no NO_ZEROES: the reply carries 124 zero bytes
      expect((await read(4)).readUInt32BE(0)).toBe(1);
      const go = await read(16);
      await read(go.readUInt32BE(12));
      socket.write(optionReply(7, 0x80000001));
      const exportName = await read(16);
      expect(exportName.readUInt32BE(8)).toBe(1);
      expect((await read(exportName.readUInt32BE(12))).toString()).toBe('old');
      const answer = Buffer.alloc(134);
      answer.writeBigUInt64BE(8192n, 0);
      answer.writeUInt16BE(1 | 4, 8);
      socket.write(answer);
    });
    const c = cleanup.add(await connect({ host: '127.0.0.1', port, exportName: 'old', timeoutMs: 2000 }), (x) => x.destroy());
    expect(c.info).toMatchObject({ size: 8192, negotiatedWith: 'export-name', blockSize: undefined });
    expect(c.features.flush).toBe(true);
  });

  it('refuses an oldstyle server with NbdHandshakeError unsupported-server', async () => {
    const port = await scripted(async (socket) => {
      const b = Buffer.alloc(152);
      b.writeBigUInt64BE(NBD_MAGIC, 0);
      b.writeBigUInt64BE(0x00420281861253n, 8);
      socket.write(b);
    });
    await expect(connect({ host: '127.0.0.1', port, timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'NBD_HANDSHAKE_FAILED',
      reason: 'unsupported-server',
    });
  });

  it('gives up a handshake the server never answers, with reason timeout', async () => {
    const port = await scripted(async () => {});
    const started = Date.now();
    const err = await connect({ host: '127.0.0.1', port, timeoutMs: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NbdHandshakeError);
    expect(err).toMatchObject({ reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reports NBD_REP_ERR_SHUTDOWN during the handshake as reason shutdown (VD-1)', async () => {
    const port = await scripted(async (socket, read) => {
      socket.write(greeting());
      await read(4);
      const h = await read(16);
      await read(h.readUInt32BE(12));
      socket.write(optionReply(7, 0x80000007, Buffer.from('going down')));
    });
    const err = await connect({ host: '127.0.0.1', port, timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'shutdown' });
    expect((err as Error).message).toContain('going down');
  });

  it('maps an unexpected error value to EINVAL, keeping the raw value', async () => {
    const port = await scripted(async (socket, read) => {
      await acceptGo(socket, read);
      const req = await read(28);
      socket.write(simpleReply(999, req.subarray(8, 16)));
    });
    const c = cleanup.add(await connect({ host: '127.0.0.1', port, timeoutMs: 2000 }), (x) => x.destroy());
    const err = await c.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NbdRequestError);
    expect(err).toMatchObject({ errno: 'EINVAL', errnoValue: 999 });
  });

  for (const [name, reply] of [
    ['a reply for a handle never sent', (handle: Buffer) => simpleReply(0, Buffer.from(handle.map((b) => b ^ 0xff)))],
    ['a bad reply magic', (handle: Buffer) => Buffer.concat([Buffer.from([1, 2, 3, 4]), simpleReply(0, handle).subarray(4)])],
    [
      'a structured reply that was never negotiated',
      (handle: Buffer) => {
        const b = simpleReply(0, handle);
        b.writeUInt32BE(0x668e33ef, 0);
        return b;
      },
    ],
  ] as const) {
    it(`hangs up on ${name}; requests in flight become unknown`, async () => {
      const port = await scripted(async (socket, read) => {
        await acceptGo(socket, read);
        const req = await read(28);
        socket.write(reply(Buffer.from(req.subarray(8, 16))));
      });
      const c = cleanup.add(await connect({ host: '127.0.0.1', port, timeoutMs: 2000 }), (x) => x.destroy());
      const err = await c.read(0, 512).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NbdConnectionLostError);
      expect(outcomeOf(err)).toBe('unknown');
      expect((err as Error).message).toContain('protocol violation');
      await within(c.closed, 2000, 'the client to hang up');
    });
  }

  it('reports a server that dies mid-payload as connection lost, not as short data', async () => {
    const port = await scripted(async (socket, read) => {
      await acceptGo(socket, read);
      const req = await read(28);
      socket.write(Buffer.concat([simpleReply(0, req.subarray(8, 16)), Buffer.alloc(100)]));
      socket.destroy();
    });
    const c = cleanup.add(await connect({ host: '127.0.0.1', port, timeoutMs: 2000 }), (x) => x.destroy());
    await expect(c.read(0, 4096)).rejects.toBeInstanceOf(NbdConnectionLostError);
  });
});
