// Errors of the mirror: the link's, with stable codes and for a request whether the peer may have
// applied it, and the refusals of a mirrored copy that the management API reports.

import type { Code, RefusalCode } from '../../contracts/codes.js';
import type { MirrorDownReason } from './link-types.js';

/** Stable codes of MirrorLinkError (catalogue: contracts/codes.ts). */
export type MirrorLinkErrorCode = Extract<
  Code,
  | 'MLINK_INVALID_OPTIONS' // createMirrorLink got an option out of range
  | 'MLINK_LISTEN_FAILED' // the mirror (MR) port could not be bound
  | 'MLINK_INVALID_REQUEST' // request() got a bad type, a header that is not JSON, or a bad payload
  | 'MLINK_FRAME_TOO_LARGE' // a header or payload over the protocol caps (MAX_META_BYTES, MAX_PAYLOAD_BYTES)
  | 'MLINK_LINK_DOWN' // not sent: the link is down (peer not connected, cut, or closed); certainly not applied
  | 'MLINK_LINK_LOST' // sent, but the link went down before the reply: the peer may or may not have applied it
  | 'MLINK_TIMEOUT' // sent, no reply in time: the peer may or may not have applied it
  | 'MLINK_PROTOCOL_ERROR' // the peer broke the wire protocol (ends that connection; never thrown to callers)
  | 'MLINK_UNKNOWN_REQUEST' // a request handler got a request type it does not know
  | 'MLINK_UNKNOWN_DISK' // a request names a mirrored disk this server holds no copy of
  | 'MLINK_NOT_IN_SYNC' // a partner write for a copy that is not in the role to take it
>;

/** A misuse or failure of the mirror link; `code` is stable, the message says what to do. */
export class MirrorLinkError extends Error {
  constructor(
    /** What went wrong, as a stable code. */
    readonly code: MirrorLinkErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MirrorLinkError';
  }

  /** True when a request may or may not have taken effect at the peer (LINK_LOST, TIMEOUT). */
  get outcomeUnknown(): boolean {
    return this.code === 'MLINK_LINK_LOST' || this.code === 'MLINK_TIMEOUT';
  }
}

/** request() while the link is down: nothing was sent, so the peer certainly did not apply it. */
export class MirrorLinkDownError extends MirrorLinkError {
  constructor(
    /** The request type that was not sent. */
    readonly requestType: string,
    /** Why the link is down (the last down reason, or 'not-connected' if it never came up). */
    readonly reason: MirrorDownReason | 'not-connected',
    message: string,
  ) {
    super('MLINK_LINK_DOWN', message);
    this.name = 'MirrorLinkDownError';
  }
}

/** The link went down while a request was in flight: its outcome at the peer is unknown. */
export class MirrorLinkLostError extends MirrorLinkError {
  constructor(
    readonly requestType: string,
    /** The request id on the wire. */
    readonly id: number,
    /** Why the link went down ('connection-lost', 'heartbeat-timeout', 'cut', ...). */
    readonly reason: MirrorDownReason,
    message: string,
  ) {
    super('MLINK_LINK_LOST', message);
    this.name = 'MirrorLinkLostError';
  }
}

/** No reply within the request timeout: its outcome at the peer is unknown. */
export class MirrorTimeoutError extends MirrorLinkError {
  constructor(
    readonly requestType: string,
    readonly id: number,
    /** The timeout that expired. */
    readonly timeoutMs: number,
    message: string,
  ) {
    super('MLINK_TIMEOUT', message);
    this.name = 'MirrorTimeoutError';
  }
}

/**
 * The peer's request handler failed and said so in an error reply. `code` is the code the handler
 * threw, as the peer sent it: a catalogue code (e.g. 'MLINK_NOT_IN_SYNC', or 'MLINK_HANDLER_ERROR'
 * when its error had none) or a block error name ('EIO'), so callers can match on it as if the
 * handler had run locally. It comes off the wire, so it stays a string. `remoteMessage` is the
 * handler's own message.
 */
export class MirrorRemoteError extends Error {
  constructor(
    /** The handler's error code, as sent by the peer. */
    readonly code: string,
    /** The handler's error message, as sent by the peer. */
    readonly remoteMessage: string,
    /** The name of the peer that answered. */
    readonly peer: string,
    readonly requestType: string,
  ) {
    super(`peer ${peer} failed request '${requestType}' with ${code}: ${remoteMessage}`);
    this.name = 'MirrorRemoteError';
  }

  /** The peer answered, so the outcome is known (what a failed handler left behind is its business). */
  get outcomeUnknown(): boolean {
    return false;
  }
}

/** Code sent in an error reply when the handler's error has no string `code`. */
export const HANDLER_ERROR_CODE: Code = 'MLINK_HANDLER_ERROR';

/** A command a mirrored copy refuses in its state (e.g. MIR_FORCE_NOT_NEEDED); the management API answers 409 with the code. */
export class MirrorRefusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'MirrorRefusal';
  }
}
