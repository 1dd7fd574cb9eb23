// Errors the NBD server library raises to the code that embeds it (never to NBD clients).

import type { Code } from '../../contracts/codes.js';

/** Stable codes of NbdServerError (catalogue: contracts/codes.ts). */
export type NbdServerErrorCode = Extract<
  Code,
  | 'NBD_INVALID_OPTIONS' // createNbdServer got an option out of range
  | 'NBD_ALREADY_LISTENING' // listen() called twice
  | 'NBD_LISTEN_FAILED' // the address could not be bound
  | 'NBD_SERVER_CLOSED' // listen() after shutdown() or close()
>;

/** A misuse or failure of the server library; `code` is stable, the message says what to do. */
export class NbdServerError extends Error {
  constructor(
    /** What went wrong, as a stable code. */
    readonly code: NbdServerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NbdServerError';
  }
}
