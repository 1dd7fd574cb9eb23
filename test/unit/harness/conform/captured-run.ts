// `sanspec run` as a function with its output captured, for the runner's tests: no signal
// handlers, replay files and work directories under the test's directory, short settles.
import { runCommand, type RunCommandEnvironment, type RunCommandOptions } from '../../../../harness/conform/run-command.js';

/** What one `sanspec run` printed and returned. */
export interface CapturedRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `sanspec run` with `options`; `dir` holds replay files and work directories; `env` overrides the rest. */
export async function capturedRun(options: RunCommandOptions, dir: string, env: RunCommandEnvironment = {}): Promise<CapturedRun> {
  let out = '';
  let err = '';
  const code = await runCommand(options, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    handleSignals: false,
    replayDir: dir,
    ...env,
    run: { settleTimeoutMs: 300, workRoot: dir, ...env.run },
  });
  return { code, out, err };
}
