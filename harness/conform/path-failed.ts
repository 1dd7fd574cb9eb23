// How a check stops a path: it throws PathFailed with the failure and its evidence; the runner
// catches it, records the failure, and still closes the system.

import type { PathFailure } from './types.js';

/** Thrown by a check that found a violation: the path stops here. */
export class PathFailed extends Error {
  constructor(readonly failure: PathFailure) {
    super(`${failure.rule}: ${failure.message}`);
    this.name = 'PathFailed';
  }
}

/** Thrown when the run is interrupted: the path stops, its system is closed, and it is not reported. */
export class PathAborted extends Error {
  readonly code = 'SANSPEC_INTERRUPTED';
  constructor() {
    super('the run was interrupted');
    this.name = 'PathAborted';
  }
}

/** The text of an error, with its stable code when it has one. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
