// Debian tools used by NBD integration tests (nbdkit, nbdinfo, nbdcopy, qemu-io, fio): detection
// for skipIf, and a bounded runner.

import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { runProcess } from '../../adapters/command/run-command.js';

const found = new Map<string, boolean>();

/** True when `tool` is on PATH. */
export function hasTool(tool: string): boolean {
  let ok = found.get(tool);
  if (ok === undefined) {
    ok = spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
    found.set(tool, ok);
  }
  return ok;
}

/** The tools from `tools` that are missing; warns once with the reason when some are. */
export function missingTools(suite: string, ...tools: string[]): string[] {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length > 0) {
    console.warn(`skipping ${suite}: ${missing.join(', ')} not installed (apt-get install nbdkit libnbd-bin qemu-utils fio)`);
  }
  return missing;
}

/** What a process run by a test produced (a tool, `sanspec` as a child or in this process). */
export interface ToolResult {
  /** Exit code; null when it was killed (it ran out of time). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a tool (in `cwd` when given) with a timeout, through the toolkit's one subprocess runner;
 * never rejects for a non-zero exit (the caller asserts on it), only when it cannot start.
 */
export async function runTool(
  tool: string,
  args: readonly string[],
  options: number | { cwd?: string; timeoutMs?: number } = {},
): Promise<ToolResult> {
  const { cwd, timeoutMs = 60_000 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const result = await runProcess(tool, args, { cwd, timeoutMs }).catch((error: unknown) => {
    throw new Error(`${tool} could not run: ${(error as Error).message}`);
  });
  return { code: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** Formats a tool result for an assertion message. */
export function describeRun(tool: string, args: readonly string[], result: ToolResult): string {
  return `${tool} ${args.join(' ')} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

/** Runs a tool that must succeed (asserting it, with the whole run as the message); returns stdout and stderr together. */
export async function mustRun(tool: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const result = await runTool(tool, args, timeoutMs);
  expect(result.code, describeRun(tool, args, result)).toBe(0);
  return result.stdout + result.stderr;
}
