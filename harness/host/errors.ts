// Errors of the host NBD client. Each carries a stable `code` and an `outcome`: 'fail' when the
// operation certainly did not take effect, 'unknown' when it may or may not have happened
// (timeout, connection lost before the reply, a write failed with EIO). The harness records
// operations as ok / fail / unknown from exactly this.

import type { NbdErrno } from '../../contracts/nbd.js';

/** Stable codes of host NBD errors. */
export type NbdErrorCode =
  | 'NBD_CONNECTION_REFUSED'
  | 'NBD_CONNECT_FAILED'
  | 'NBD_HANDSHAKE_FAILED'
  | 'NBD_REQUEST_FAILED'
  | 'NBD_TIMEOUT'
  | 'NBD_CONNECTION_LOST'
  | 'NBD_NOT_CONNECTED'
  | 'NBD_INVALID_REQUEST'
  | 'NBD_INVALID_URI';

/** What is known about an operation that raised the error. */
export type NbdOutcome = 'fail' | 'unknown';

/** A request command, for messages. */
export type NbdCommandName = 'read' | 'write' | 'flush' | 'trim' | 'write-zeroes';

/** Base class of every error the host NBD client raises. */
export abstract class NbdError extends Error {
  /** Stable code. */
  abstract readonly code: NbdErrorCode;
  /** 'fail': did not take effect (or the server said it failed); 'unknown': may have happened. */
  abstract readonly outcome: NbdOutcome;
}

/** Nobody listens at the address (ECONNREFUSED, or no Unix socket file). Nothing was sent. */
export class NbdConnectionRefusedError extends NbdError {
  readonly code = 'NBD_CONNECTION_REFUSED';
  readonly outcome = 'fail';
  constructor(
    /** The address tried. */
    readonly address: string,
    /** The system error code (ECONNREFUSED, ENOENT). */
    readonly sysCode: string,
  ) {
    super(`connection to NBD server ${address} refused (${sysCode}); is the server running and listening there?`);
    this.name = 'NbdConnectionRefusedError';
  }
}

/** The connection could not be made for another reason (timeout, unreachable). Nothing was sent. */
export class NbdConnectError extends NbdError {
  readonly code = 'NBD_CONNECT_FAILED';
  readonly outcome = 'fail';
  constructor(
    readonly address: string,
    /** The system error code, or 'ETIMEDOUT' when the connect timeout ran out. */
    readonly sysCode: string,
    detail: string,
  ) {
    super(`cannot connect to NBD server ${address}: ${detail}`);
    this.name = 'NbdConnectError';
  }
}

/** Why a handshake failed. */
export type NbdHandshakeFailure =
  | 'unknown-export' // NBD_REP_ERR_UNKNOWN, or the server hung up on NBD_OPT_EXPORT_NAME
  | 'shutdown' // NBD_REP_ERR_SHUTDOWN
  | 'tls-required' // NBD_REP_ERR_TLS_REQD (this client has no TLS)
  | 'rejected' // another option error reply
  | 'unsupported-server' // oldstyle or non-fixed newstyle server
  | 'protocol' // the server sent something malformed
  | 'closed' // the connection closed during the handshake
  | 'timeout'; // no answer within the timeout

/** The server was reached but no export was opened. Nothing was read or written. */
export class NbdHandshakeError extends NbdError {
  readonly code = 'NBD_HANDSHAKE_FAILED';
  readonly outcome = 'fail';
  constructor(
    readonly reason: NbdHandshakeFailure,
    message: string,
  ) {
    super(message);
    this.name = 'NbdHandshakeError';
  }
}

/** What to do about each NBD error, for messages. */
const ERRNO_HINTS: Record<NbdErrno, string> = {
  EPERM: 'the export refuses this operation (read-only?)',
  EIO: 'the server hit an I/O error; check the server log',
  ENOMEM: 'the server ran out of memory',
  EINVAL: 'the request was invalid (range beyond the export, bad length or flags)',
  ENOSPC: 'no space: the range ends beyond the export, or the backing store is full',
  EOVERFLOW: 'the request was too large',
  ENOTSUP: 'the server does not support this operation',
  ESHUTDOWN: 'the server is shutting down or refuses access to this disk; reconnect once it serves it again',
};

/** Errors a server gives before touching any data: the request certainly did not take effect. */
const REJECTED: ReadonlySet<NbdErrno> = new Set(['EINVAL', 'EPERM', 'ENOSPC', 'EOVERFLOW', 'ENOTSUP', 'ESHUTDOWN']);

/**
 * The server answered the request with an error. A write, trim, zeroing or flush that failed with
 * EIO or ENOMEM may have been applied in part or whole before the failure (a mirrored disk can
 * hold a write locally when it fails to replicate it): its outcome is 'unknown'. Reads, and
 * errors that mean the request was refused before any effect, are 'fail'.
 */
export class NbdRequestError extends NbdError {
  readonly code = 'NBD_REQUEST_FAILED';
  readonly outcome: NbdOutcome;
  constructor(
    /** The NBD error name (unexpected values are reported as EINVAL, as proto.md says). */
    readonly errno: NbdErrno,
    /** The raw error value from the reply. */
    readonly errnoValue: number,
    readonly command: NbdCommandName,
    readonly offset: number,
    readonly length: number,
  ) {
    super(`NBD ${command} of ${length} bytes at offset ${offset} failed with ${errno} (${errnoValue}): ${ERRNO_HINTS[errno]}`);
    this.name = 'NbdRequestError';
    this.outcome = command === 'read' || REJECTED.has(errno) ? 'fail' : 'unknown';
  }
}

/** No reply within the timeout; the request may or may not have taken effect. */
export class NbdTimeoutError extends NbdError {
  readonly code = 'NBD_TIMEOUT';
  readonly outcome = 'unknown';
  constructor(
    readonly command: NbdCommandName,
    readonly offset: number,
    readonly length: number,
    readonly timeoutMs: number,
  ) {
    super(`NBD ${command} of ${length} bytes at offset ${offset} got no reply within ${timeoutMs} ms; its outcome is unknown`);
    this.name = 'NbdTimeoutError';
  }
}

/** The connection ended after the request was sent and before its reply; outcome unknown. */
export class NbdConnectionLostError extends NbdError {
  readonly code = 'NBD_CONNECTION_LOST';
  readonly outcome = 'unknown';
  constructor(
    readonly command: NbdCommandName,
    readonly offset: number,
    readonly length: number,
    /** Why the connection ended. */
    readonly detail: string,
  ) {
    super(`NBD ${command} of ${length} bytes at offset ${offset}: connection lost before the reply (${detail}); its outcome is unknown`);
    this.name = 'NbdConnectionLostError';
  }
}

/** The request was not sent: the connection is closed or closing. */
export class NbdNotConnectedError extends NbdError {
  readonly code = 'NBD_NOT_CONNECTED';
  readonly outcome = 'fail';
  constructor(
    readonly command: NbdCommandName,
    /** Why no request can be sent. */
    readonly detail: string,
  ) {
    super(`NBD ${command} not sent: ${detail}; connect again`);
    this.name = 'NbdNotConnectedError';
  }
}

/** The request was not sent: it breaks the export's constraints (range, size, flags). */
export class NbdInvalidRequestError extends NbdError {
  readonly code = 'NBD_INVALID_REQUEST';
  readonly outcome = 'fail';
  constructor(
    readonly command: NbdCommandName,
    detail: string,
  ) {
    super(`NBD ${command} not sent: ${detail}`);
    this.name = 'NbdInvalidRequestError';
  }
}

/** An NBD URI could not be understood. */
export class NbdUriError extends NbdError {
  readonly code = 'NBD_INVALID_URI';
  readonly outcome = 'fail';
  constructor(
    readonly uri: string,
    detail: string,
  ) {
    super(`invalid NBD URI '${uri}': ${detail}; use nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH`);
    this.name = 'NbdUriError';
  }
}

/**
 * How the harness records an operation that threw: 'fail' or 'unknown'. Errors that are not from
 * this library are 'unknown' (nothing proves the operation did not happen).
 */
export function outcomeOf(error: unknown): NbdOutcome {
  return error instanceof NbdError ? error.outcome : 'unknown';
}
