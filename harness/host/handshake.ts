// Client side of the fixed newstyle handshake (proto.md "Handshake"): NBD_OPT_GO with a fallback
// to NBD_OPT_EXPORT_NAME, and NBD_OPT_LIST.

import type { Socket } from 'node:net';
import { ByteQueue } from '../../contracts/byte-queue.js';
import { NbdHandshakeError } from './errors.js';
import {
  CLISERV_MAGIC,
  FLAG_C_FIXED_NEWSTYLE,
  FLAG_C_NO_ZEROES,
  FLAG_CAN_MULTI_CONN,
  FLAG_FIXED_NEWSTYLE,
  FLAG_NO_ZEROES,
  FLAG_READ_ONLY,
  FLAG_ROTATIONAL,
  FLAG_SEND_CACHE,
  FLAG_SEND_FAST_ZERO,
  FLAG_SEND_FLUSH,
  FLAG_SEND_FUA,
  FLAG_SEND_TRIM,
  FLAG_SEND_WRITE_ZEROES,
  IHAVEOPT,
  INFO_BLOCK_SIZE,
  INFO_EXPORT,
  NBD_MAGIC,
  OPT_ABORT,
  OPT_EXPORT_NAME,
  OPT_GO,
  OPT_LIST,
  OPTION_REPLY_HEADER_SIZE,
  OPTION_REPLY_MAGIC,
  optionReplyName,
  REP_ACK,
  REP_ERR_BIT,
  REP_ERR_SHUTDOWN,
  REP_ERR_TLS_REQD,
  REP_ERR_UNKNOWN,
  REP_ERR_UNSUP,
  REP_INFO,
  REP_SERVER,
} from '../../contracts/nbd.js';
import type { NbdBlockSize, NbdExportInfo, NbdFeatures, NbdListedExport } from './types.js';

/** Option reply data longer than this is a protocol error (descriptions are at most 4 KiB). */
const MAX_OPTION_REPLY_DATA = 1024 * 1024;

/** Reads exact byte counts from a socket during the handshake. */
class HandshakeReader {
  private readonly queue = new ByteQueue();
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.queue.push(chunk);
    this.serve();
  };
  private readonly onClose = () => this.fail(new NbdHandshakeError('closed', 'the server closed the connection during the NBD handshake'));
  private readonly onError = (err: Error) =>
    this.fail(new NbdHandshakeError('closed', `connection error during the NBD handshake: ${err.message}`));

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('error', this.onError);
  }

  read(n: number): Promise<Buffer> {
    if (this.queue.length >= n) return Promise.resolve(Buffer.from(this.queue.take(n)));
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
    });
  }

  fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(this.failure);
  }

  /** Stops reading; returns bytes received beyond the handshake. */
  detach(): Buffer[] {
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    this.socket.off('error', this.onError);
    return this.queue.drain();
  }

  private serve(): void {
    const w = this.waiter;
    if (w === undefined || this.queue.length < w.n) return;
    this.waiter = undefined;
    w.resolve(Buffer.from(this.queue.take(w.n)));
  }
}

/** Decodes transmission flags. */
export function decodeFeatures(flags: number): NbdFeatures {
  return {
    readOnly: (flags & FLAG_READ_ONLY) !== 0,
    flush: (flags & FLAG_SEND_FLUSH) !== 0,
    fua: (flags & FLAG_SEND_FUA) !== 0,
    rotational: (flags & FLAG_ROTATIONAL) !== 0,
    trim: (flags & FLAG_SEND_TRIM) !== 0,
    writeZeroes: (flags & FLAG_SEND_WRITE_ZEROES) !== 0,
    multiConn: (flags & FLAG_CAN_MULTI_CONN) !== 0,
    cache: (flags & FLAG_SEND_CACHE) !== 0,
    fastZero: (flags & FLAG_SEND_FAST_ZERO) !== 0,
  };
}

function protocolError(message: string): NbdHandshakeError {
  return new NbdHandshakeError('protocol', `NBD handshake: ${message}`);
}

function readUInt64(buf: Buffer, offset: number): number {
  const value = buf.readBigUInt64BE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw protocolError(`64-bit value ${value} is too large`);
  return Number(value);
}

function encodeOption(option: number, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(16 + data.length);
  out.writeBigUInt64BE(IHAVEOPT, 0);
  out.writeUInt32BE(option, 8);
  out.writeUInt32BE(data.length, 12);
  data.copy(out, 16);
  return out;
}

interface OptionReply {
  readonly type: number;
  readonly data: Buffer;
}

async function readOptionReply(reader: HandshakeReader, option: number): Promise<OptionReply> {
  const header = await reader.read(OPTION_REPLY_HEADER_SIZE);
  if (header.readBigUInt64BE(0) !== OPTION_REPLY_MAGIC) throw protocolError('option reply has a bad magic number');
  const echoed = header.readUInt32BE(8);
  if (echoed !== option) throw protocolError(`reply to option ${echoed} while option ${option} was pending`);
  const type = header.readUInt32BE(12);
  const length = header.readUInt32BE(16);
  if (length > MAX_OPTION_REPLY_DATA) throw protocolError(`option reply of ${length} bytes`);
  const data = length === 0 ? Buffer.alloc(0) : await reader.read(length);
  return { type, data };
}

/** Greeting and client flags; returns whether NBD_FLAG_C_NO_ZEROES was agreed. */
async function greet(socket: Socket, reader: HandshakeReader): Promise<boolean> {
  const hello = await reader.read(16);
  if (hello.readBigUInt64BE(0) !== NBD_MAGIC) throw protocolError('the server did not send NBDMAGIC; is this an NBD server?');
  const second = hello.readBigUInt64BE(8);
  if (second === CLISERV_MAGIC) {
    throw new NbdHandshakeError('unsupported-server', 'the server uses the oldstyle handshake; only fixed newstyle is supported');
  }
  if (second !== IHAVEOPT) throw protocolError('the server sent neither IHAVEOPT nor the oldstyle magic');
  const handshakeFlags = (await reader.read(2)).readUInt16BE(0);
  if ((handshakeFlags & FLAG_FIXED_NEWSTYLE) === 0) {
    throw new NbdHandshakeError('unsupported-server', 'the server does not offer fixed newstyle negotiation');
  }
  const noZeroes = (handshakeFlags & FLAG_NO_ZEROES) !== 0;
  const clientFlags = Buffer.allocUnsafe(4);
  clientFlags.writeUInt32BE(FLAG_C_FIXED_NEWSTYLE | (noZeroes ? FLAG_C_NO_ZEROES : 0), 0);
  socket.write(clientFlags);
  return noZeroes;
}

function optionFailure(option: string, reply: OptionReply, exportName: string): NbdHandshakeError {
  const text = reply.data.length > 0 ? `: ${reply.data.toString('utf8')}` : '';
  const name = optionReplyName(reply.type);
  switch (reply.type) {
    case REP_ERR_UNKNOWN:
      return new NbdHandshakeError('unknown-export', `the server has no export '${exportName}' (${name}${text})`);
    case REP_ERR_SHUTDOWN:
      return new NbdHandshakeError('shutdown', `the server is shutting down (${name}${text}); retry once it is running`);
    case REP_ERR_TLS_REQD:
      return new NbdHandshakeError('tls-required', `the server requires TLS, which this client does not support (${name}${text})`);
    default:
      return new NbdHandshakeError('rejected', `the server refused ${option} (${name}${text})`);
  }
}

/** Soft disconnect during option haggling (NBD_OPT_ABORT), without waiting for the reply. */
function abort(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end(encodeOption(OPT_ABORT, Buffer.alloc(0)));
}

/** The result of a successful handshake. */
export interface Negotiated {
  readonly info: NbdExportInfo;
  /** Bytes received after the handshake (normally none). */
  readonly leftover: Buffer[];
}

/** Runs the handshake on a connected socket and opens `exportName`. */
export async function negotiate(socket: Socket, exportName: string): Promise<Negotiated> {
  const reader = new HandshakeReader(socket);
  try {
    const noZeroes = await greet(socket, reader);
    const nameBytes = Buffer.from(exportName, 'utf8');
    const go = Buffer.allocUnsafe(4 + nameBytes.length + 2 + 2);
    go.writeUInt32BE(nameBytes.length, 0);
    nameBytes.copy(go, 4);
    go.writeUInt16BE(1, 4 + nameBytes.length);
    go.writeUInt16BE(INFO_BLOCK_SIZE, 6 + nameBytes.length);
    socket.write(encodeOption(OPT_GO, go));

    let size: number | undefined;
    let flags = 0;
    let blockSize: NbdBlockSize | undefined;
    for (;;) {
      const reply = await readOptionReply(reader, OPT_GO);
      if (reply.type === REP_INFO) {
        if (reply.data.length < 2) throw protocolError('NBD_REP_INFO shorter than 2 bytes');
        const infoType = reply.data.readUInt16BE(0);
        if (infoType === INFO_EXPORT) {
          if (reply.data.length !== 12) throw protocolError(`NBD_INFO_EXPORT of ${reply.data.length} bytes, 12 expected`);
          size = readUInt64(reply.data, 2);
          flags = reply.data.readUInt16BE(10);
        } else if (infoType === INFO_BLOCK_SIZE && reply.data.length === 14) {
          blockSize = {
            minimum: reply.data.readUInt32BE(2),
            preferred: reply.data.readUInt32BE(6),
            maximum: reply.data.readUInt32BE(10),
          };
        }
        continue;
      }
      if (reply.type === REP_ACK) {
        if (size === undefined) throw protocolError('NBD_OPT_GO succeeded without NBD_INFO_EXPORT');
        return {
          info: { exportName, size, flags, features: decodeFeatures(flags), blockSize, negotiatedWith: 'go' },
          leftover: reader.detach(),
        };
      }
      if (reply.type === REP_ERR_UNSUP) break; // an old server: fall back to NBD_OPT_EXPORT_NAME
      if ((reply.type & REP_ERR_BIT) !== 0) {
        abort(socket);
        throw optionFailure('NBD_OPT_GO', reply, exportName);
      }
      throw protocolError(`unexpected reply type ${reply.type} to NBD_OPT_GO`);
    }

    socket.write(encodeOption(OPT_EXPORT_NAME, nameBytes));
    let answer: Buffer;
    try {
      answer = await reader.read(noZeroes ? 10 : 134);
    } catch (err) {
      if (err instanceof NbdHandshakeError && err.reason === 'closed') {
        throw new NbdHandshakeError('unknown-export', `the server hung up on NBD_OPT_EXPORT_NAME '${exportName}' (unknown export?)`);
      }
      throw err;
    }
    const fallbackSize = readUInt64(answer, 0);
    const fallbackFlags = answer.readUInt16BE(8);
    return {
      info: {
        exportName,
        size: fallbackSize,
        flags: fallbackFlags,
        features: decodeFeatures(fallbackFlags),
        blockSize: undefined,
        negotiatedWith: 'export-name',
      },
      leftover: reader.detach(),
    };
  } catch (err) {
    reader.detach();
    throw err;
  }
}

/** Runs NBD_OPT_LIST on a connected socket, then ends the session with NBD_OPT_ABORT. */
export async function listOnSocket(socket: Socket): Promise<NbdListedExport[]> {
  const reader = new HandshakeReader(socket);
  try {
    await greet(socket, reader);
    socket.write(encodeOption(OPT_LIST, Buffer.alloc(0)));
    const exports: NbdListedExport[] = [];
    for (;;) {
      const reply = await readOptionReply(reader, OPT_LIST);
      if (reply.type === REP_SERVER) {
        if (reply.data.length < 4) throw protocolError('NBD_REP_SERVER shorter than 4 bytes');
        const nameLength = reply.data.readUInt32BE(0);
        if (nameLength > reply.data.length - 4) throw protocolError('NBD_REP_SERVER name longer than the reply');
        const name = reply.data.subarray(4, 4 + nameLength).toString('utf8');
        const rest = reply.data.subarray(4 + nameLength);
        exports.push({ name, description: rest.length > 0 ? rest.toString('utf8') : undefined });
        continue;
      }
      if (reply.type === REP_ACK) break;
      if ((reply.type & REP_ERR_BIT) !== 0) {
        abort(socket);
        throw optionFailure('NBD_OPT_LIST', reply, '');
      }
      throw protocolError(`unexpected reply type ${reply.type} to NBD_OPT_LIST`);
    }
    abort(socket);
    return exports;
  } finally {
    reader.detach();
  }
}
