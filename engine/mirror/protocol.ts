// Wire format of the mirror link between two storage servers, with its encoders and decoder.
//
// Every frame is a 20-byte fixed header, then `metaLength` bytes of UTF-8 JSON (the meta, always a
// JSON object when present), then `payloadLength` raw bytes (the payload, never encoded). Integers
// are big-endian.
//
//   offset size field
//   0      4    magic          0x534d4c4b ('SMLK', sanspec mirror link)
//   4      1    version        protocol version, PROTOCOL_VERSION (1)
//   5      1    type           frame type, below
//   6      2    flags          reserved, must be 0
//   8      4    id             request id (REQUEST and its reply, 1..2^32-1), else 0
//   12     4    metaLength     0..MAX_META_BYTES (1 MiB)
//   16     4    payloadLength  0..MAX_PAYLOAD_BYTES (64 MiB)
//
//   type           meta                                                    payload  id
//   1 HELLO        {version, groupId, from, to, heartbeatMs, deadAfterMs}  none     0
//   2 REFUSE       {reason, message}                                       none     0
//   3 REQUEST      {type, header}                                          any      request id
//   4 REPLY_OK     {header}                                                any      request id
//   5 REPLY_ERROR  {code, message}                                         none     request id
//   6 HEARTBEAT    none                                                    none     0
//   7 BYE          {reason}                                                none     0
//
// Handshake: the connecting side sends HELLO naming itself (`from`) and the partner it expects
// (`to`). The listening side checks version, group id and both names and answers with its own HELLO
// (the link is up on its side) or with REFUSE and closes. The connecting side checks that HELLO the
// same way: the link is up on its side, or it sends REFUSE and closes. Before the handshake only
// HELLO and REFUSE are valid; after it, neither is.
// After the handshake: requests and replies flow both ways, pipelined, replies in any order matched
// by id. Each side sends HEARTBEAT at least every min(its heartbeatMs, the peer's deadAfterMs / 3)
// and declares the link dead after deadAfterMs without receiving a byte. BYE announces a graceful
// close (close(), or a connection replaced by a newer one).
// Versioning: the fixed header layout and HELLO's `version` field stay as they are in every version.
// A side that receives a HELLO of another version answers REFUSE ('version-mismatch') and closes;
// any other frame of another version is a protocol error.
// Errors: a wrong magic, version, type or flags, a length over its cap, meta that is not a JSON
// object of the expected shape, or input ending inside a frame end the connection (protocol-error).

import { ByteQueue } from '../nbd/byte-queue.js';
import { MirrorLinkError } from './errors.js';

export const MAGIC = 0x534d4c4b;
export const PROTOCOL_VERSION = 1;
export const HEADER_SIZE = 20;
/** Largest meta (JSON header) of a frame. */
export const MAX_META_BYTES = 1024 * 1024;
/** Largest payload of a frame. */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
/** Longest request type, server name or group id, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;
/** Longest error code in an error reply; longer ones are cut. */
export const MAX_CODE_LENGTH = 100;
/** Longest error or refusal message; longer ones are cut. */
export const MAX_MESSAGE_LENGTH = 4096;

export const FRAME = {
  HELLO: 1,
  REFUSE: 2,
  REQUEST: 3,
  REPLY_OK: 4,
  REPLY_ERROR: 5,
  HEARTBEAT: 6,
  BYE: 7,
} as const;
export type FrameType = (typeof FRAME)[keyof typeof FRAME];

const FRAME_NAMES: Record<number, string> = {
  [FRAME.HELLO]: 'HELLO',
  [FRAME.REFUSE]: 'REFUSE',
  [FRAME.REQUEST]: 'REQUEST',
  [FRAME.REPLY_OK]: 'REPLY_OK',
  [FRAME.REPLY_ERROR]: 'REPLY_ERROR',
  [FRAME.HEARTBEAT]: 'HEARTBEAT',
  [FRAME.BYE]: 'BYE',
};

/** The name of a frame type, for messages. */
export function frameName(type: number): string {
  return FRAME_NAMES[type] ?? `unknown type ${type}`;
}

/** Why a handshake was refused. */
export type RefusalReason = 'version-mismatch' | 'group-mismatch' | 'name-mismatch';
const REFUSAL_REASONS: readonly RefusalReason[] = ['version-mismatch', 'group-mismatch', 'name-mismatch'];
const isRefusalReason = (v: unknown): v is RefusalReason => REFUSAL_REASONS.includes(v as RefusalReason);

/** What each side says about itself in HELLO. */
export interface Hello {
  /** Protocol version spoken. */
  readonly version: number;
  /** The mirror group both sides must belong to. */
  readonly groupId: string;
  /** Name of the sender. */
  readonly from: string;
  /** Name of the partner the sender expects. */
  readonly to: string;
  /** The sender's heartbeat interval. */
  readonly heartbeatMs: number;
  /** The sender declares the link dead after this long without a frame. */
  readonly deadAfterMs: number;
}

/** A decoded frame. */
export type Frame =
  | { readonly kind: 'hello'; readonly version: number; readonly hello: Hello | undefined } // hello undefined: other version
  | { readonly kind: 'refuse'; readonly reason: RefusalReason; readonly message: string }
  | {
      readonly kind: 'request';
      readonly id: number;
      readonly type: string;
      readonly header: Record<string, unknown>;
      readonly payload: Buffer;
    }
  | { readonly kind: 'reply-ok'; readonly id: number; readonly header: Record<string, unknown>; readonly payload: Buffer }
  | { readonly kind: 'reply-error'; readonly id: number; readonly code: string; readonly message: string }
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'bye'; readonly reason: string };

/** The peer broke the wire protocol. */
export class MirrorProtocolError extends MirrorLinkError {
  constructor(message: string) {
    super('MLINK_PROTOCOL_ERROR', message);
    this.name = 'MirrorProtocolError';
  }
}

const EMPTY = Buffer.alloc(0);

// ---- encoding -----------------------------------------------------------------------------------

/**
 * The fixed header and meta of one frame (the payload, if any, is sent as is after it). `meta` is
 * JSON text already; throws MLINK_FRAME_TOO_LARGE over the caps.
 */
export function encodeHead(type: FrameType, id: number, meta: string | undefined, payloadLength: number): Buffer {
  const metaLength = meta === undefined ? 0 : Buffer.byteLength(meta, 'utf8');
  if (metaLength > MAX_META_BYTES) {
    throw new MirrorLinkError(
      'MLINK_FRAME_TOO_LARGE',
      `${frameName(type)} header is ${metaLength} bytes of JSON; the limit is ${MAX_META_BYTES}`,
    );
  }
  if (payloadLength > MAX_PAYLOAD_BYTES) {
    throw new MirrorLinkError(
      'MLINK_FRAME_TOO_LARGE',
      `${frameName(type)} payload is ${payloadLength} bytes; the limit is ${MAX_PAYLOAD_BYTES}: split it into smaller requests`,
    );
  }
  const out = Buffer.allocUnsafe(HEADER_SIZE + metaLength);
  out.writeUInt32BE(MAGIC, 0);
  out[4] = PROTOCOL_VERSION;
  out[5] = type;
  out.writeUInt16BE(0, 6);
  out.writeUInt32BE(id >>> 0, 8);
  out.writeUInt32BE(metaLength, 12);
  out.writeUInt32BE(payloadLength, 16);
  if (meta !== undefined) out.write(meta, HEADER_SIZE, 'utf8');
  return out;
}

/** HELLO frame. */
export function encodeHello(hello: Hello): Buffer {
  return encodeHead(FRAME.HELLO, 0, JSON.stringify(hello), 0);
}

/** REFUSE frame. */
export function encodeRefuse(reason: RefusalReason, message: string): Buffer {
  return encodeHead(FRAME.REFUSE, 0, JSON.stringify({ reason, message: cut(message, MAX_MESSAGE_LENGTH) }), 0);
}

/** Head of a REQUEST frame; throws if the header cannot be serialised or is too large. */
export function encodeRequestHead(id: number, type: string, header: Record<string, unknown>, payloadLength: number): Buffer {
  return encodeHead(FRAME.REQUEST, id, JSON.stringify({ type, header }), payloadLength);
}

/** Head of a REPLY_OK frame; throws if the header cannot be serialised or is too large. */
export function encodeReplyOkHead(id: number, header: Record<string, unknown>, payloadLength: number): Buffer {
  return encodeHead(FRAME.REPLY_OK, id, JSON.stringify({ header }), payloadLength);
}

/** REPLY_ERROR frame. */
export function encodeReplyError(id: number, code: string, message: string): Buffer {
  return encodeHead(
    FRAME.REPLY_ERROR,
    id,
    JSON.stringify({ code: cut(code, MAX_CODE_LENGTH), message: cut(message, MAX_MESSAGE_LENGTH) }),
    0,
  );
}

/** The HEARTBEAT frame (immutable, shared). */
export const HEARTBEAT_FRAME: Buffer = encodeHead(FRAME.HEARTBEAT, 0, undefined, 0);

/** BYE frame. */
export function encodeBye(reason: string): Buffer {
  return encodeHead(FRAME.BYE, 0, JSON.stringify({ reason: cut(reason, MAX_MESSAGE_LENGTH) }), 0);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max);
}

// ---- decoding -----------------------------------------------------------------------------------

interface FixedHeader {
  readonly version: number;
  readonly type: number;
  readonly id: number;
  readonly metaLength: number;
  readonly payloadLength: number;
}

/**
 * Turns received bytes into frames. Feed it with push(); take frames with next() until it returns
 * undefined. next() throws MirrorProtocolError on bad input; the decoder is then unusable. Memory is
 * bounded by one frame (at most HEADER_SIZE + MAX_META_BYTES + MAX_PAYLOAD_BYTES) plus one chunk.
 */
export class FrameDecoder {
  private readonly queue = new ByteQueue();
  private header: FixedHeader | undefined;

  /** Adds received bytes. */
  push(chunk: Buffer): void {
    this.queue.push(chunk);
  }

  /** Bytes of an incomplete frame received so far (0 between frames). */
  get partialBytes(): number {
    return this.queue.length + (this.header === undefined ? 0 : HEADER_SIZE);
  }

  /** Describes the incomplete frame, for a truncation message. */
  describePartial(): string {
    const h = this.header;
    if (h === undefined) return `${this.queue.length} of ${HEADER_SIZE} header bytes`;
    const total = HEADER_SIZE + h.metaLength + h.payloadLength;
    return `${HEADER_SIZE + this.queue.length} of ${total} bytes of a ${frameName(h.type)} frame`;
  }

  /** The next complete frame, or undefined if more bytes are needed. */
  next(): Frame | undefined {
    if (this.header === undefined) {
      if (this.queue.length < HEADER_SIZE) return undefined;
      this.header = parseFixedHeader(this.queue.take(HEADER_SIZE));
    }
    const h = this.header;
    if (this.queue.length < h.metaLength + h.payloadLength) return undefined;
    this.header = undefined;
    const meta = h.metaLength === 0 ? undefined : parseMeta(this.queue.take(h.metaLength), h.type);
    const payload = h.payloadLength === 0 ? EMPTY : this.queue.takeCopy(h.payloadLength);
    return toFrame(h, meta, payload);
  }
}

function parseFixedHeader(b: Buffer): FixedHeader {
  const magic = b.readUInt32BE(0);
  if (magic !== MAGIC) {
    throw new MirrorProtocolError(
      `frame magic 0x${magic.toString(16).padStart(8, '0')} is not 0x${MAGIC.toString(16)} ('SMLK'): not a mirror link peer, or the stream is out of step`,
    );
  }
  const version = b[4] ?? 0;
  const type = b[5] ?? 0;
  const flags = b.readUInt16BE(6);
  const h: FixedHeader = { version, type, id: b.readUInt32BE(8), metaLength: b.readUInt32BE(12), payloadLength: b.readUInt32BE(16) };
  if (FRAME_NAMES[type] === undefined) throw new MirrorProtocolError(`unknown frame type ${type}`);
  // HELLO of any version is read (to be refused politely); everything else must be our version.
  if (version !== PROTOCOL_VERSION && type !== FRAME.HELLO) {
    throw new MirrorProtocolError(`${frameName(type)} frame of protocol version ${version}; this side speaks version ${PROTOCOL_VERSION}`);
  }
  if (flags !== 0) throw new MirrorProtocolError(`${frameName(type)} frame has reserved flags 0x${flags.toString(16)} set`);
  if (h.metaLength > MAX_META_BYTES) {
    throw new MirrorProtocolError(`${frameName(type)} frame declares a ${h.metaLength}-byte header; the limit is ${MAX_META_BYTES}`);
  }
  if (h.payloadLength > MAX_PAYLOAD_BYTES) {
    throw new MirrorProtocolError(`${frameName(type)} frame declares a ${h.payloadLength}-byte payload; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  const carriesId = type === FRAME.REQUEST || type === FRAME.REPLY_OK || type === FRAME.REPLY_ERROR;
  if (carriesId !== (h.id !== 0)) throw new MirrorProtocolError(`${frameName(type)} frame has id ${h.id}`);
  const mayCarryPayload = type === FRAME.REQUEST || type === FRAME.REPLY_OK;
  if (!mayCarryPayload && h.payloadLength !== 0)
    throw new MirrorProtocolError(`${frameName(type)} frame has a ${h.payloadLength}-byte payload; it takes none`);
  if (type === FRAME.HEARTBEAT && h.metaLength !== 0)
    throw new MirrorProtocolError(`HEARTBEAT frame has a ${h.metaLength}-byte header; it takes none`);
  if (type !== FRAME.HEARTBEAT && h.metaLength === 0) throw new MirrorProtocolError(`${frameName(type)} frame has no header`);
  return h;
}

function parseMeta(bytes: Buffer, type: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new MirrorProtocolError(`${frameName(type)} frame header is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(value)) throw new MirrorProtocolError(`${frameName(type)} frame header is not a JSON object`);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field<T>(meta: Record<string, unknown>, type: number, name: string, check: (v: unknown) => v is T, what: string): T {
  const value = meta[name];
  if (!check(value)) throw new MirrorProtocolError(`${frameName(type)} frame: '${name}' must be ${what}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && Buffer.byteLength(v) <= MAX_NAME_BYTES;
const isDuration = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isInteger = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isHeader = (v: unknown): v is Record<string, unknown> | undefined => v === undefined || isObject(v);

function toFrame(h: FixedHeader, meta: Record<string, unknown> | undefined, payload: Buffer): Frame {
  const m = meta ?? {};
  switch (h.type) {
    case FRAME.HELLO: {
      const version = field(m, h.type, 'version', isInteger, 'an integer');
      if (version !== PROTOCOL_VERSION) return { kind: 'hello', version, hello: undefined };
      if (h.version !== PROTOCOL_VERSION) return { kind: 'hello', version: h.version, hello: undefined };
      const hello: Hello = {
        version,
        groupId: field(m, h.type, 'groupId', isName, `a non-empty string of at most ${MAX_NAME_BYTES} bytes`),
        from: field(m, h.type, 'from', isName, `a non-empty string of at most ${MAX_NAME_BYTES} bytes`),
        to: field(m, h.type, 'to', isName, `a non-empty string of at most ${MAX_NAME_BYTES} bytes`),
        heartbeatMs: field(m, h.type, 'heartbeatMs', isDuration, 'a positive integer'),
        deadAfterMs: field(m, h.type, 'deadAfterMs', isDuration, 'a positive integer'),
      };
      return { kind: 'hello', version, hello };
    }
    case FRAME.REFUSE:
      return {
        kind: 'refuse',
        reason: field(m, h.type, 'reason', isRefusalReason, `one of ${REFUSAL_REASONS.join(', ')}`),
        message: field(m, h.type, 'message', isString, 'a string'),
      };
    case FRAME.REQUEST:
      return {
        kind: 'request',
        id: h.id,
        type: field(m, h.type, 'type', isName, `a non-empty string of at most ${MAX_NAME_BYTES} bytes`),
        header: field(m, h.type, 'header', isHeader, 'a JSON object') ?? {},
        payload,
      };
    case FRAME.REPLY_OK:
      return { kind: 'reply-ok', id: h.id, header: field(m, h.type, 'header', isHeader, 'a JSON object') ?? {}, payload };
    case FRAME.REPLY_ERROR:
      return {
        kind: 'reply-error',
        id: h.id,
        code: field(m, h.type, 'code', isString, 'a string'),
        message: field(m, h.type, 'message', isString, 'a string'),
      };
    case FRAME.HEARTBEAT:
      return { kind: 'heartbeat' };
    case FRAME.BYE:
      return { kind: 'bye', reason: field(m, h.type, 'reason', isString, 'a string') };
    default:
      throw new MirrorProtocolError(`unknown frame type ${h.type}`);
  }
}
