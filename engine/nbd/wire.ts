// Encoders for what the server sends: greeting, option replies, export info, simple replies.

import {
  FLAG_CAN_MULTI_CONN,
  FLAG_HAS_FLAGS,
  FLAG_READ_ONLY,
  FLAG_SEND_FLUSH,
  FLAG_SEND_FUA,
  FLAG_SEND_TRIM,
  FLAG_SEND_WRITE_ZEROES,
  IHAVEOPT,
  NBD_MAGIC,
  OPTION_REPLY_HEADER_SIZE,
  OPTION_REPLY_MAGIC,
  SIMPLE_REPLY_MAGIC,
  SIMPLE_REPLY_SIZE,
} from './protocol.js';
import type { NbdExport } from './types.js';

/** NBDMAGIC, IHAVEOPT and the 16-bit handshake flags. */
export function encodeGreeting(handshakeFlags: number): Buffer {
  const out = Buffer.allocUnsafe(18);
  out.writeBigUInt64BE(NBD_MAGIC, 0);
  out.writeBigUInt64BE(IHAVEOPT, 8);
  out.writeUInt16BE(handshakeFlags, 16);
  return out;
}

/** One fixed-newstyle option reply with its data. */
export function encodeOptionReply(option: number, replyType: number, data?: Buffer): Buffer {
  const length = data?.length ?? 0;
  const out = Buffer.allocUnsafe(OPTION_REPLY_HEADER_SIZE + length);
  out.writeBigUInt64BE(OPTION_REPLY_MAGIC, 0);
  out.writeUInt32BE(option >>> 0, 8);
  out.writeUInt32BE(replyType >>> 0, 12);
  out.writeUInt32BE(length, 16);
  data?.copy(out, OPTION_REPLY_HEADER_SIZE);
  return out;
}

/** An error message as option-reply data, cut to the protocol's 4096-byte string limit. */
export function encodeMessage(message: string): Buffer {
  const bytes = Buffer.from(message, 'utf8');
  return bytes.length <= 4096 ? bytes : bytes.subarray(0, 4096);
}

/** Writes a 64-bit unsigned integer given as a safe JS number. */
export function writeUInt64(out: Buffer, value: number, offset: number): void {
  out.writeUInt32BE(Math.floor(value / 0x1_0000_0000), offset);
  out.writeUInt32BE(value % 0x1_0000_0000, offset + 4);
}

/** Transmission flags for an export. */
export function transmissionFlags(exp: NbdExport): number {
  let flags = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA;
  if (exp.readOnly === true) flags |= FLAG_READ_ONLY;
  else flags |= FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES;
  if (exp.canMultiConn === true) flags |= FLAG_CAN_MULTI_CONN;
  return flags;
}

/** The 16-byte simple reply header; the handle is echoed as two 32-bit halves. */
export function encodeSimpleReply(errno: number, handleHi: number, handleLo: number): Buffer {
  const out = Buffer.allocUnsafe(SIMPLE_REPLY_SIZE);
  out.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0);
  out.writeUInt32BE(errno, 4);
  out.writeUInt32BE(handleHi, 8);
  out.writeUInt32BE(handleLo, 12);
  return out;
}
