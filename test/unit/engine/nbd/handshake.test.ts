// Handshake conformance of the engine NBD server (proto.md "Handshake", "Option types").

import { afterEach, describe, expect, it } from 'vitest';
import { createNbdServer } from '../../../../engine/nbd/index.js';
import { createMemoryBlockDevice } from '../../../helpers/memory-block-device.js';
import { CleanupStack } from '../../../helpers/cleanup-stack.js';
import { CMD, goData, OPT, optionBytes, RawNbdClient, REP, requestBytes, TFLAG } from '../../../helpers/nbd-raw-client.js';
import { startTestServer, type TestNbdServer } from '../../../helpers/nbd-test-server.js';
import { waitFor } from '../../../helpers/wait-for.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

async function open(t: TestNbdServer): Promise<RawNbdClient> {
  return cleanup.add(await RawNbdClient.open(t.target), (c) => c.destroy());
}

/** Greeting read and client flags sent (fixed newstyle + no zeroes unless told otherwise). */
async function negotiating(t: TestNbdServer, clientFlags = 3): Promise<RawNbdClient> {
  const c = await open(t);
  await c.readGreeting();
  c.sendClientFlags(clientFlags);
  return c;
}

async function readAllReplies(c: RawNbdClient): Promise<{ type: number; data: Buffer }[]> {
  const replies = [];
  for (;;) {
    const r = await c.readOptionReply();
    replies.push(r);
    if (r.type !== REP.INFO && r.type !== REP.SERVER) return replies;
  }
}

/** A READ of 512 bytes at 0 succeeds: the connection is in transmission. */
async function expectTransmission(c: RawNbdClient): Promise<void> {
  c.send(requestBytes({ type: CMD.READ, handle: 77n, offset: 0, length: 512 }));
  const reply = await c.readReply(512);
  expect(reply).toMatchObject({ error: 0, handle: 77n });
}

describe('NBD server handshake (proto.md "Fixed newstyle negotiation")', () => {
  it('greets with NBDMAGIC, IHAVEOPT and FIXED_NEWSTYLE | NO_ZEROES', async () => {
    const t = await startTestServer(cleanup);
    const c = await open(t);
    expect(await c.readGreeting()).toBe(0b11);
  });

  it('drops a client that sets unknown client flags (proto.md "Client flags")', async () => {
    const t = await startTestServer(cleanup);
    const c = await negotiating(t, 0x8000_0001);
    expect(await c.closesWithin(2000)).toBe(true);
    await waitFor(() => t.events.some((e) => e.type === 'protocol-error'), 'protocol-error event');
  });

  it('closes the connection when an option lacks IHAVEOPT', async () => {
    const t = await startTestServer(cleanup);
    const c = await negotiating(t);
    c.send(Buffer.alloc(16, 0x41));
    expect(await c.closesWithin(2000)).toBe(true);
  });

  it('NBD_OPT_EXPORT_NAME sends size, flags and 124 zero bytes unless NO_ZEROES was agreed', async () => {
    const t = await startTestServer(cleanup, { size: 65536 });
    const withZeroes = await negotiating(t, 1);
    withZeroes.send(optionBytes(OPT.EXPORT_NAME, Buffer.from('disk')));
    const long = await withZeroes.read(134);
    expect(Number(long.readBigUInt64BE(0))).toBe(65536);
    expect(long.subarray(10).equals(Buffer.alloc(124))).toBe(true);
    await expectTransmission(withZeroes);

    const noZeroes = await negotiating(t, 3);
    noZeroes.send(optionBytes(OPT.EXPORT_NAME, Buffer.from('disk')));
    const short = await noZeroes.read(10);
    expect(Number(short.readBigUInt64BE(0))).toBe(65536);
    await expectTransmission(noZeroes);
  });

  it('NBD_OPT_EXPORT_NAME of an unknown export ends that session only', async () => {
    const t = await startTestServer(cleanup);
    const c = await negotiating(t);
    c.send(optionBytes(OPT.EXPORT_NAME, Buffer.from('nope')));
    expect(await c.closesWithin(2000)).toBe(true);
    const other = await open(t);
    await other.handshake('disk');
    await expectTransmission(other);
  });

  it('NBD_OPT_INFO describes the export and stays in option haggling; NBD_OPT_GO then enters transmission', async () => {
    const t = await startTestServer(cleanup, { size: 3 * 65536 });
    const c = await negotiating(t);
    c.send(optionBytes(OPT.INFO, goData('disk', [3])));
    const replies = await readAllReplies(c);
    expect(replies.at(-1)?.type).toBe(REP.ACK);
    const exportInfo = replies.find((r) => r.type === REP.INFO && r.data.readUInt16BE(0) === 0);
    expect(exportInfo?.data.length).toBe(12);
    expect(Number(exportInfo?.data.readBigUInt64BE(2))).toBe(3 * 65536);
    expect(exportInfo?.data.readUInt16BE(10)).toBe(
      TFLAG.HAS_FLAGS | TFLAG.SEND_FLUSH | TFLAG.SEND_FUA | TFLAG.SEND_TRIM | TFLAG.SEND_WRITE_ZEROES | TFLAG.CAN_MULTI_CONN,
    );
    const blockSize = replies.find((r) => r.type === REP.INFO && r.data.readUInt16BE(0) === 3);
    expect(blockSize?.data.length).toBe(14);
    expect([blockSize?.data.readUInt32BE(2), blockSize?.data.readUInt32BE(6), blockSize?.data.readUInt32BE(10)]).toEqual([
      1,
      4096,
      32 * 1024 * 1024,
    ]);

    c.send(optionBytes(OPT.GO, goData('disk', [])));
    const go = await readAllReplies(c);
    expect(go.at(-1)?.type).toBe(REP.ACK);
    await expectTransmission(c);
  });

  it('answers NBD_INFO_NAME and NBD_INFO_DESCRIPTION when asked', async () => {
    const t = await startTestServer(cleanup, { disk: { description: 'virtual disk v1' } });
    const c = await negotiating(t);
    c.send(optionBytes(OPT.INFO, goData('disk', [1, 2])));
    const replies = await readAllReplies(c);
    const byType = new Map(replies.filter((r) => r.type === REP.INFO).map((r) => [r.data.readUInt16BE(0), r.data.subarray(2).toString()]));
    expect(byType.get(1)).toBe('disk');
    expect(byType.get(2)).toBe('virtual disk v1');
  });

  it('advertises READ_ONLY without TRIM/WRITE_ZEROES for a read-only export, and no CAN_MULTI_CONN unless the export says so', async () => {
    const t = await startTestServer(cleanup, { disk: { readOnly: true, canMultiConn: false } });
    const c = await open(t);
    const { flags } = await c.handshake('disk');
    expect(flags).toBe(TFLAG.HAS_FLAGS | TFLAG.READ_ONLY | TFLAG.SEND_FLUSH | TFLAG.SEND_FUA);
  });

  it('NBD_OPT_GO for an unknown export gets NBD_REP_ERR_UNKNOWN with a message, and the client may try again', async () => {
    const t = await startTestServer(cleanup);
    const c = await negotiating(t);
    c.send(optionBytes(OPT.GO, goData('missing', [])));
    const [reply] = await readAllReplies(c);
    expect(reply?.type).toBe(REP.ERR_UNKNOWN);
    expect(reply?.data.toString()).toContain("no export named 'missing'");
    c.send(optionBytes(OPT.GO, goData('disk', [])));
    expect((await readAllReplies(c)).at(-1)?.type).toBe(REP.ACK);
    await expectTransmission(c);
  });

  it('looks exports up at handshake time: they can appear and disappear', async () => {
    const t = await startTestServer(cleanup);
    const c = await negotiating(t);
    c.send(optionBytes(OPT.GO, goData('v2', [])));
    expect((await readAllReplies(c))[0]?.type).toBe(REP.ERR_UNKNOWN);
    t.exports.set('v2', { device: createMemoryBlockDevice(4096) });
    c.send(optionBytes(OPT.GO, goData('v2', [])));
    expect((await readAllReplies(c)).at(-1)?.type).toBe(REP.ACK);
    t.exports.delete('v2');
    const late = await negotiating(t);
    late.send(optionBytes(OPT.GO, goData('v2', [])));
    expect((await readAllReplies(late))[0]?.type).toBe(REP.ERR_UNKNOWN);
    await expectTransmission(c); // the open connection keeps its device
  });

  it('answers unsupported options (STARTTLS, STRUCTURED_REPLY, unknown) with NBD_REP_ERR_UNSUP and parses the next option', async () => {
    const t = await startTestServer(cleanup);
    const c = await negotiating(t);
    for (const option of [OPT.STARTTLS, OPT.STRUCTURED_REPLY, 10, 11, 4242]) {
      c.send(optionBytes(option, Buffer.from('some data')));
      const reply = await c.readOptionReply();
      expect(reply).toMatchObject({ option, type: REP.ERR_UNSUP });
    }
    c.send(optionBytes(OPT.GO, goData('disk', [])));
    expect((await readAllReplies(c)).at(-1)?.type).toBe(REP.ACK);
  });

  it('rejects malformed NBD_OPT_GO / NBD_OPT_INFO data with NBD_REP_ERR_INVALID and stays usable', async () => {
    const t = await startTestServer(cleanup);
    const c = await negotiating(t);
    const nameTooLong = goData('disk', []);
    nameTooLong.writeUInt32BE(1000, 0);
    const countMismatch = goData('disk', [1]);
    countMismatch.writeUInt16BE(5, 8);
    const badUtf8 = Buffer.concat([Buffer.from([0, 0, 0, 2, 0xff, 0xfe]), Buffer.from([0, 0])]);
    for (const data of [Buffer.alloc(3), nameTooLong, countMismatch, badUtf8]) {
      c.send(optionBytes(OPT.GO, data));
      expect((await c.readOptionReply()).type).toBe(REP.ERR_INVALID);
    }
    c.send(optionBytes(OPT.GO, goData('disk', [])));
    expect((await readAllReplies(c)).at(-1)?.type).toBe(REP.ACK);
  });

  it('NBD_OPT_LIST lists the exports with descriptions; with data it is NBD_REP_ERR_INVALID', async () => {
    const t = await startTestServer(cleanup, { disk: { description: 'the disk' } });
    t.exports.set('v2', { device: createMemoryBlockDevice(4096) });
    const c = await negotiating(t);
    c.send(optionBytes(OPT.LIST, Buffer.from('x')));
    expect((await c.readOptionReply()).type).toBe(REP.ERR_INVALID);
    c.send(optionBytes(OPT.LIST));
    const replies = await readAllReplies(c);
    expect(replies.at(-1)?.type).toBe(REP.ACK);
    const listed = replies
      .filter((r) => r.type === REP.SERVER)
      .map((r) => {
        const n = r.data.readUInt32BE(0);
        return [r.data.subarray(4, 4 + n).toString(), r.data.subarray(4 + n).toString()];
      });
    expect(listed).toEqual([
      ['disk', 'the disk'],
      ['v2', ''],
    ]);
  });

  it('NBD_OPT_ABORT is acknowledged, then the server closes the connection', async () => {
    const t = await startTestServer(cleanup);
    const c = await negotiating(t);
    c.send(optionBytes(OPT.ABORT));
    expect(await c.readOptionReply()).toMatchObject({ option: OPT.ABORT, type: REP.ACK });
    expect(await c.closesWithin(2000)).toBe(true);
    await waitFor(() => t.events.some((e) => e.type === 'connection-closed' && e.reason === 'client-disconnect'), 'close event');
  });

  it('skips an option with a huge declared length without buffering it, then keeps negotiating', async () => {
    const t = await startTestServer(cleanup);
    const c = await negotiating(t);
    const junk = Buffer.alloc(1024 * 1024, 0x5a);
    c.send(optionBytes(4242, junk));
    expect((await c.readOptionReply()).type).toBe(REP.ERR_UNSUP);
    c.send(optionBytes(OPT.GO, junk));
    expect((await c.readOptionReply()).type).toBe(REP.ERR_TOO_BIG);
    c.send(optionBytes(OPT.GO, goData('disk', [])));
    expect((await readAllReplies(c)).at(-1)?.type).toBe(REP.ACK);
    await expectTransmission(c);
  });

  it('survives a broken export (size not encodable, lookup throwing): that client fails, others are served', async () => {
    const t = await startTestServer(cleanup);
    t.exports.set('huge', { device: { ...createMemoryBlockDevice(512), size: -5 } });
    const c = await negotiating(t);
    c.send(optionBytes(OPT.GO, goData('huge', [])));
    expect(await c.closesWithin(2000)).toBe(true);
    await waitFor(() => t.events.some((e) => e.type === 'connection-closed' && e.reason === 'internal-error'), 'internal-error close');
    const throwing = createNbdServer({
      exports: () => {
        throw new Error('lookup exploded');
      },
    });
    cleanup.add(throwing, (s) => s.close());
    const address = await throwing.listen({ host: '127.0.0.1', port: 0 });
    if (address.kind !== 'tcp') throw new Error('expected TCP');
    const d = cleanup.add(await RawNbdClient.open({ host: address.host, port: address.port }), (x) => x.destroy());
    await d.readGreeting();
    d.sendClientFlags(3);
    d.send(optionBytes(OPT.GO, goData('boom', [])));
    expect((await d.readOptionReply()).type).toBe(REP.ERR_UNKNOWN);
    const ok = await open(t);
    await ok.handshake('disk');
    await expectTransmission(ok);
  });

  it('drops a client that does not finish the handshake in time', async () => {
    const t = await startTestServer(cleanup, { handshakeTimeoutMs: 100 });
    const c = await negotiating(t);
    expect(await c.closesWithin(3000)).toBe(true);
    await waitFor(
      () => t.events.some((e) => e.type === 'connection-closed' && e.reason === 'handshake-timeout'),
      'handshake-timeout close',
    );
  });
});
