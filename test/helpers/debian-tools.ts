// Debian tools used by NBD integration tests (nbdkit, nbdinfo, nbdcopy, qemu-io, fio): detection
// for skipIf, and a bounded runner.

import { execFile, spawnSync } from 'node:child_process';

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

/** What a tool run produced. */
export interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool with a timeout; never rejects for a non-zero exit (the caller asserts on it). */
export function runTool(tool: string, args: readonly string[], timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number' && !err.killed) {
        reject(new Error(`${tool} could not run: ${err.message}`));
        return;
      }
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

/** Formats a tool result for an assertion message. */
export function describeRun(tool: string, args: readonly string[], result: ToolResult): string {
  return `${tool} ${args.join(' ')} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}
