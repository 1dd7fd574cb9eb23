// Runs one command of a manifest: `sh -c COMMAND` in the manifest's directory, through tinyexec,
// in a process group of its own so that a timeout or an abort kills everything it started (a
// background process the command forgot would otherwise keep its output open and the run waiting).

import { x } from 'tinyexec';

/** What a command did. */
export interface CommandResult {
  /** The command as run. */
  readonly command: string;
  /** Exit code; null when it was killed. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** It ran out of time (or was aborted) and was killed. */
  readonly killed: 'timeout' | 'aborted' | null;
  readonly durationMs: number;
}

/** What a process did (runProcess); a command adds the command line (CommandResult). */
export type ProcessResult = Omit<CommandResult, 'command'>;

/** Options of `runCommand` and `runProcess`. */
export interface RunOptions {
  /** Working directory (the manifest's directory). */
  readonly cwd: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Runs `command` with `sh -c`; resolves whatever the outcome (never rejects for a failing command). */
export async function runCommand(command: string, options: RunOptions): Promise<CommandResult> {
  return { command, ...(await runProcess('sh', ['-c', command], options)) };
}

/**
 * Runs `file ARGS` without a shell, in a process group of its own; resolves whatever the outcome
 * (never rejects for a failing or killed process), rejects only when it cannot start (ENOENT).
 * The one subprocess runner of the toolkit and its tests (outside the engine, which has its own
 * processes to supervise).
 */
export async function runProcess(
  file: string,
  args: readonly string[],
  options: Omit<RunOptions, 'cwd'> & { cwd?: string },
): Promise<ProcessResult> {
  const started = performance.now();
  const proc = x(file, args, {
    nodeOptions: { cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    throwOnError: false,
  });
  let killed: CommandResult['killed'] = null;
  const killGroup = (why: 'timeout' | 'aborted') => {
    killed ??= why;
    const pid = proc.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const timer = setTimeout(() => killGroup('timeout'), options.timeoutMs);
  const onAbort = () => killGroup('aborted');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    const output = await proc;
    return {
      exitCode: killed === null ? (output.exitCode ?? null) : null,
      stdout: output.stdout,
      stderr: output.stderr,
      killed,
      durationMs: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
