import type { Code } from '../../contracts/codes.js';

/**
 * A group operation (up, down, a command for the supervisor) that was refused or failed, with the
 * stable code, what to do in the message, and evidence in `details`.
 */
export class GroupError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
