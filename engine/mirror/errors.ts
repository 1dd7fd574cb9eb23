// Errors of the mirror link: stable codes, and for a request whether the peer may have applied it.

import type { MirrorDownReason } from './link-types.js';

/** Stable codes of MirrorLinkError. */
export type MirrorLinkErrorCode =
  | 'MIRROR_INVALID_OPTIONS' // createMirrorLink got an option out of range
  | 'MIRROR_LISTEN_FAILED' // the mirror (MR) port could not be bound
  | 'MIRROR_INVALID_REQUEST' // request() got a bad type, a header that is not JSON, or a bad payload
  | 'MIRROR_FRAME_TOO_LARGE' // a header or payload over the protocol caps (MAX_META_BYTES, MAX_PAYLOAD_BYTES)
  | 'MIRROR_LINK_DOWN' // not sent: the link is down (peer not connected, cut, or closed); certainly not applied
  | 'MIRROR_LINK_LOST' // sent, but the link went down before the reply: the peer may or may not have applied it
  | 'MIRROR_TIMEOUT' // sent, no reply in time: the peer may or may not have applied it
  | 'MIRROR_PROTOCOL_ERROR'; // the peer broke the wire protocol (ends that connection; never thrown to callers)

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
    return this.code === 'MIRROR_LINK_LOST' || this.code === 'MIRROR_TIMEOUT';
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
    super('MIRROR_LINK_DOWN', message);
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
    super('MIRROR_LINK_LOST', message);
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
    super('MIRROR_TIMEOUT', message);
    this.name = 'MirrorTimeoutError';
  }
}

/**
 * The peer's request handler failed and said so in an error reply. `code` is the code the handler
 * threw (e.g. 'EIO', or 'MIRROR_HANDLER_ERROR' when its error had none), so callers can match on it
 * as if the handler had run locally; `remoteMessage` is the handler's own message.
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
export const HANDLER_ERROR_CODE = 'MIRROR_HANDLER_ERROR';
