import type { Code } from '../../contracts/codes.js';

/**
 * An error of the planner, its plan files or its command, with a stable code of the catalogue:
 * `USAGE_*` for options that cannot run as given (exit code 2), `SANSPEC_BAD_PLAN` for a plan file
 * that is invalid or made for another topology. `details` carries the evidence (the offending
 * fields, the path ID and step number).
 */
export class PlanError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'PlanError';
  }
}
