// Runs a command whose programmatic form prints its own output (harness/plan, harness/conform,
// harness/diagram) under the CLI plumbing of contracts/cli.ts: text goes to the plumbing's say and
// note; with --json, the one document printed becomes the command's result (an error body too).
import type { CommandIO } from '../../contracts/cli.js';

/** Where a programmatic command writes. */
export interface CapturedStreams {
  readonly stdout: { write(text: string): boolean; readonly isTTY?: boolean };
  readonly stderr: { write(text: string): boolean; readonly isTTY?: boolean };
}

/** Streams that forward to `io`, and `finish()` to hand a --json document to the plumbing. */
export function capturedOutput(io: CommandIO): CapturedStreams & { finish(): void } {
  let json = '';
  const forward = (to: (line: string) => void) => (text: string) => {
    for (const line of text.replace(/\n$/, '').split('\n')) to(line);
    return true;
  };
  return {
    stdout: {
      write: (text) => {
        if (io.json) json += text;
        else forward((l) => io.say(l))(text);
        return true;
      },
    },
    stderr: { write: forward((l) => io.note(l)), isTTY: process.stderr.isTTY && !io.json },
    finish() {
      if (io.json) io.result(json.trim() === '' ? null : JSON.parse(json));
    },
  };
}
