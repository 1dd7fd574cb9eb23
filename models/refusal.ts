import type { RefusalCode } from '../contracts/codes.js';

/**
 * Emitted by a model when a command does not apply in the current state (SRV-12): the
 * snapshot stays as it was and the group reports this refusal to the caller.
 */
export interface Refusal {
  type: 'refused';
  /** Stable refusal code of the catalogue (contracts/codes.ts), e.g. `SRV_ALREADY_RUNNING`. */
  code: RefusalCode;
  /** What was wrong and what to do. */
  message: string;
}

/** Parameters of the `refuse` action. */
export interface RefusalParams {
  code: RefusalCode;
  message: string;
}

/** A transition action that refuses the event with a stable code (SRV-12). */
export function refuse(code: RefusalCode, message: string) {
  return { type: 'refuse', params: { code, message } } as const;
}
