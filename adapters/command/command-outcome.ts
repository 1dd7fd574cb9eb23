// What a finished command means. Exit 0: accepted. A non-zero exit with the error shape
// `{"error": {"code", "message"}}` (contracts/error.ts) on stdout or stderr, whose code is a
// refusal code of the catalogue: refused (SRV-12). Anything else: the adapter failed, and the
// evidence is the whole command result.

import { isRefusalCode } from '../../contracts/codes.js';
import { AdapterError, type ApplyResult } from '../types.js';
import type { CommandResult } from './run-command.js';

/** The error body a command printed, if any: the whole output, or its last line that is one. */
export function errorBodyIn(result: CommandResult): { code: string; message: string } | null {
  for (const text of [result.stdout, result.stderr]) {
    const candidates = [text.trim(), ...text.trim().split('\n').reverse()];
    for (const candidate of candidates) {
      if (!candidate.startsWith('{')) continue;
      try {
        const e = (JSON.parse(candidate) as { error?: { code?: unknown; message?: unknown } }).error;
        if (typeof e?.code === 'string') return { code: e.code, message: typeof e.message === 'string' ? e.message : '' };
      } catch {
        // not JSON: try the next candidate
      }
    }
  }
  return null;
}

/** The evidence of a command, for an AdapterError. */
export function evidenceOf(result: CommandResult): Record<string, unknown> {
  return {
    command: result.command,
    exitCode: result.exitCode,
    killed: result.killed,
    durationMs: Math.round(result.durationMs),
    stdout: result.stdout.slice(-4000),
    stderr: result.stderr.slice(-4000),
  };
}

/** Why a command failed, in one line. */
function failure(what: string, result: CommandResult): string {
  if (result.killed === 'timeout') return `${what} timed out and was killed: ${result.command}`;
  if (result.killed === 'aborted') return `${what} was aborted: ${result.command}`;
  const error = errorBodyIn(result);
  const said = error ? ` (${error.code}: ${error.message})` : (result.stderr.trim().split('\n').at(-1) ?? '');
  return `${what} failed with exit code ${result.exitCode}${said ? `: ${said.trim()}` : ''}; command: ${result.command}`;
}

/** The outcome of an event's command. */
export function applyResultOf(what: string, result: CommandResult): ApplyResult {
  if (result.killed === null && result.exitCode === 0) return { outcome: 'accepted' };
  const error = errorBodyIn(result);
  if (result.killed === null && error && isRefusalCode(error.code)) return { outcome: 'refused', code: error.code, message: error.message };
  throw new AdapterError(failure(what, result), evidenceOf(result));
}

/** Throws unless the command succeeded (open, close, status, value commands). */
export function requireSuccess(what: string, result: CommandResult): void {
  if (result.killed === null && result.exitCode === 0) return;
  throw new AdapterError(failure(what, result), evidenceOf(result));
}
