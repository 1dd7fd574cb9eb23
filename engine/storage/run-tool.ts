// Runs a util-linux tool (losetup, fallocate, blkdiscard) and returns its output.

import { execFile } from 'node:child_process';

/** Output of a finished tool, or why it failed. */
export type ToolResult =
  | { ok: true; stdout: string; stderr: string }
  | { ok: false; missing: boolean; exitCode: number | null; stdout: string; stderr: string; message: string };

/** sbin directories are searched too: util-linux tools live there and non-login PATHs miss them. */
const SEARCH_PATH = [process.env.PATH ?? '', '/usr/local/sbin', '/usr/sbin', '/sbin'].filter(Boolean).join(':');

/** Runs `program` with `args` (no shell), with a timeout; never throws. */
export function runTool(program: string, args: readonly string[], timeoutMs = 30_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(
      program,
      args,
      { env: { ...process.env, PATH: SEARCH_PATH, LC_ALL: 'C' }, timeout: timeoutMs, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ ok: true, stdout, stderr });
          return;
        }
        const code = (error as { code?: unknown }).code;
        resolve({
          ok: false,
          missing: code === 'ENOENT',
          exitCode: typeof code === 'number' ? code : null,
          stdout,
          stderr,
          message: stderr.trim() || error.message,
        });
      },
    );
  });
}
