// Runs the sanspec command line in this process (runCli over bin/app.ts, as bin/sanspec.mjs runs
// it), capturing what it prints: fast enough to call many times in a test.
import { sanspecApp } from '../../bin/app.js';
import { type ProcessIO, runCli } from '../../contracts/cli.js';
import type { ToolResult } from './debian-tools.js';

/** What the command line did: exit code and output (the shape of every process a test runs). */
export type InProcessResult = ToolResult & { readonly code: number };

/** `sanspec ARGV...` in this process: the exit code and what it printed. */
export async function runSanspec(...argv: string[]): Promise<InProcessResult> {
  let stdout = '';
  let stderr = '';
  const io: ProcessIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    stderrIsTTY: false,
    helpWidth: 100,
    onInterrupt: () => () => {},
  };
  const code = await runCli(sanspecApp, argv, io);
  return { code, stdout, stderr };
}
