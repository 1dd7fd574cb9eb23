// The sanspec command line's process entry: what bin/sanspec.mjs runs, from the CLI's bundle
// (bin/cli-bundle.ts) or, when there is none, from the sources through tsx.
import { runCli } from '../contracts/cli.js';
import { sanspecApp } from './app.js';

/** Runs the command line of this process and sets its exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // `sanspec check | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await runCli(sanspecApp, argv);
}
