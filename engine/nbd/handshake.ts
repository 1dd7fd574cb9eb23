// Option haggling (proto.md "Fixed newstyle negotiation", "Option types"): one option in, the
// replies and what the connection does next out. No I/O here.

import {
  INFO_BLOCK_SIZE,
  INFO_DESCRIPTION,
  INFO_EXPORT,
  INFO_NAME,
  MAX_STRING_BYTES,
  OPT_ABORT,
  OPT_EXPORT_NAME,
  OPT_GO,
  OPT_INFO,
  OPT_LIST,
  OPT_STARTTLS,
  REP_ACK,
  REP_ERR_INVALID,
  REP_ERR_POLICY,
  REP_ERR_SHUTDOWN,
  REP_ERR_TOO_BIG,
  REP_ERR_UNKNOWN,
  REP_ERR_UNSUP,
  REP_INFO,
  REP_SERVER,
} from './protocol.js';
import type { NbdExport } from './types.js';
import { encodeMessage, encodeOptionReply, transmissionFlags, writeUInt64 } from './wire.js';

/** Option data longer than this is skipped unread (the longest valid option is far shorter). */
export const MAX_OPTION_DATA = 64 * 1024;

/** Preferred block size advertised with NBD_INFO_BLOCK_SIZE. */
const PREFERRED_BLOCK_SIZE = 4096;

/** What option handling needs from the server and the connection. */
export interface HandshakeContext {
  lookup(name: string): NbdExport | undefined;
  list: (() => readonly string[]) | undefined;
  shuttingDown: boolean;
  /** The client set NBD_FLAG_C_NO_ZEROES. */
  noZeroes: boolean;
  maxRequestBytes: number;
}

/** What the connection does after an option. */
export type OptionOutcome =
  | { readonly kind: 'continue'; readonly replies: Buffer[] }
  | { readonly kind: 'transmission'; readonly replies: Buffer[]; readonly exportName: string; readonly exp: NbdExport }
  | { readonly kind: 'abort'; readonly replies: Buffer[] }
  | { readonly kind: 'hang-up'; readonly message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a protocol string; undefined if it is not valid UTF-8, contains NUL or is too long. */
export function decodeString(bytes: Buffer): string | undefined {
  if (bytes.length > MAX_STRING_BYTES || bytes.includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function error(option: number, type: number, message: string): OptionOutcome {
  return { kind: 'continue', replies: [encodeOptionReply(option, type, encodeMessage(message))] };
}

/** Answers an option whose data was too long to read (it was skipped). */
export function answerOversizedOption(option: number, length: number): OptionOutcome {
  if (option === OPT_EXPORT_NAME) {
    return { kind: 'hang-up', message: `NBD_OPT_EXPORT_NAME with ${length} bytes of name; names are at most ${MAX_STRING_BYTES} bytes` };
  }
  if (!isKnownOption(option)) return unsupported(option);
  return error(option, REP_ERR_TOO_BIG, `option ${option} carries ${length} bytes of data; at most ${MAX_OPTION_DATA} are accepted`);
}

function isKnownOption(option: number): boolean {
  return option === OPT_EXPORT_NAME || option === OPT_ABORT || option === OPT_LIST || option === OPT_INFO || option === OPT_GO;
}

function unsupported(option: number): OptionOutcome {
  const message =
    option === OPT_STARTTLS
      ? 'TLS is not supported by this server; connect without TLS'
      : `option ${option} is not supported by this server (supported: NBD_OPT_GO, NBD_OPT_INFO, NBD_OPT_EXPORT_NAME, NBD_OPT_LIST, NBD_OPT_ABORT)`;
  return error(option, REP_ERR_UNSUP, message);
}

/** Answers one option whose data has been read in full. */
export function answerOption(option: number, data: Buffer, ctx: HandshakeContext): OptionOutcome {
  switch (option) {
    case OPT_ABORT:
      // The server MUST reply with NBD_REP_ACK and SHOULD ignore any data.
      return { kind: 'abort', replies: [encodeOptionReply(option, REP_ACK)] };
    case OPT_LIST:
      return answerList(data, ctx);
    case OPT_INFO:
    case OPT_GO:
      return answerInfoOrGo(option, data, ctx);
    case OPT_EXPORT_NAME:
      return answerExportName(data, ctx);
    default:
      return unsupported(option);
  }
}

function answerList(data: Buffer, ctx: HandshakeContext): OptionOutcome {
  if (data.length !== 0) return error(OPT_LIST, REP_ERR_INVALID, `NBD_OPT_LIST takes no data, got ${data.length} bytes`);
  if (ctx.shuttingDown) return error(OPT_LIST, REP_ERR_SHUTDOWN, 'the server is shutting down; try again after it restarts');
  if (ctx.list === undefined) return error(OPT_LIST, REP_ERR_POLICY, 'this server does not list its exports; ask for an export by name');
  let names: readonly string[];
  try {
    names = ctx.list();
  } catch (cause) {
    return error(OPT_LIST, REP_ERR_POLICY, `listing exports failed: ${String(cause)}`);
  }
  const replies: Buffer[] = [];
  for (const name of names) {
    const nameBytes = Buffer.from(name, 'utf8');
    const description = safeLookup(ctx, name)?.description;
    const descBytes = description === undefined ? Buffer.alloc(0) : encodeMessage(description);
    const body = Buffer.allocUnsafe(4 + nameBytes.length + descBytes.length);
    body.writeUInt32BE(nameBytes.length, 0);
    nameBytes.copy(body, 4);
    descBytes.copy(body, 4 + nameBytes.length);
    replies.push(encodeOptionReply(OPT_LIST, REP_SERVER, body));
  }
  replies.push(encodeOptionReply(OPT_LIST, REP_ACK));
  return { kind: 'continue', replies };
}

function safeLookup(ctx: HandshakeContext, name: string): NbdExport | undefined {
  try {
    return ctx.lookup(name);
  } catch {
    return undefined;
  }
}

function answerInfoOrGo(option: number, data: Buffer, ctx: HandshakeContext): OptionOutcome {
  const optName = option === OPT_GO ? 'NBD_OPT_GO' : 'NBD_OPT_INFO';
  if (data.length < 6) return error(option, REP_ERR_INVALID, `${optName} data is ${data.length} bytes; at least 6 expected`);
  const nameLength = data.readUInt32BE(0);
  if (nameLength > data.length - 6) {
    return error(option, REP_ERR_INVALID, `${optName} name length ${nameLength} exceeds the option data (${data.length} bytes)`);
  }
  const count = data.readUInt16BE(4 + nameLength);
  if (data.length !== 4 + nameLength + 2 + 2 * count) {
    return error(
      option,
      REP_ERR_INVALID,
      `${optName} announces ${count} information requests but carries ${data.length - 6 - nameLength} bytes of them`,
    );
  }
  const name = decodeString(data.subarray(4, 4 + nameLength));
  if (name === undefined)
    return error(option, REP_ERR_INVALID, `${optName} export name is not a valid NBD string (UTF-8, no NUL, at most 4096 bytes)`);
  const requested = new Set<number>();
  for (let i = 0; i < count; i++) requested.add(data.readUInt16BE(4 + nameLength + 2 + 2 * i));

  if (ctx.shuttingDown) return error(option, REP_ERR_SHUTDOWN, 'the server is shutting down; try again after it restarts');
  const exp = safeLookup(ctx, name);
  if (exp === undefined) {
    return error(option, REP_ERR_UNKNOWN, `no export named '${name}'; NBD_OPT_LIST (nbdinfo --list) shows the exports`);
  }

  const replies: Buffer[] = [];
  const info = Buffer.allocUnsafe(12);
  info.writeUInt16BE(INFO_EXPORT, 0);
  writeUInt64(info, exp.device.size, 2);
  info.writeUInt16BE(transmissionFlags(exp), 10);
  replies.push(encodeOptionReply(option, REP_INFO, info));

  // Sent even when not requested (clients ignore what they did not ask for): minimum 1,
  // preferred 4 KiB, maximum = the READ/WRITE limit the server enforces with EINVAL.
  const blockSize = Buffer.allocUnsafe(14);
  blockSize.writeUInt16BE(INFO_BLOCK_SIZE, 0);
  blockSize.writeUInt32BE(1, 2);
  blockSize.writeUInt32BE(PREFERRED_BLOCK_SIZE, 6);
  blockSize.writeUInt32BE(ctx.maxRequestBytes, 10);
  replies.push(encodeOptionReply(option, REP_INFO, blockSize));

  if (requested.has(INFO_NAME)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const body = Buffer.allocUnsafe(2 + nameBytes.length);
    body.writeUInt16BE(INFO_NAME, 0);
    nameBytes.copy(body, 2);
    replies.push(encodeOptionReply(option, REP_INFO, body));
  }
  if (requested.has(INFO_DESCRIPTION) && exp.description !== undefined) {
    const text = encodeMessage(exp.description);
    const body = Buffer.allocUnsafe(2 + text.length);
    body.writeUInt16BE(INFO_DESCRIPTION, 0);
    text.copy(body, 2);
    replies.push(encodeOptionReply(option, REP_INFO, body));
  }
  replies.push(encodeOptionReply(option, REP_ACK));
  return option === OPT_GO ? { kind: 'transmission', replies, exportName: name, exp } : { kind: 'continue', replies };
}

function answerExportName(data: Buffer, ctx: HandshakeContext): OptionOutcome {
  // NBD_OPT_EXPORT_NAME cannot be answered with an error: the server MUST terminate the session.
  const name = decodeString(data);
  if (name === undefined) return { kind: 'hang-up', message: 'NBD_OPT_EXPORT_NAME name is not a valid NBD string' };
  if (ctx.shuttingDown) return { kind: 'hang-up', message: `NBD_OPT_EXPORT_NAME '${name}' while the server is shutting down` };
  const exp = safeLookup(ctx, name);
  if (exp === undefined) return { kind: 'hang-up', message: `NBD_OPT_EXPORT_NAME asked for unknown export '${name}'` };
  const reply = Buffer.alloc(ctx.noZeroes ? 10 : 134);
  writeUInt64(reply, exp.device.size, 0);
  reply.writeUInt16BE(transmissionFlags(exp), 8);
  return { kind: 'transmission', replies: [reply], exportName: name, exp };
}
