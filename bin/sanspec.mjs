#!/usr/bin/env node
// The sanspec command line. Sources are TypeScript, run through tsx's loader.
import { register } from 'tsx/esm/api';

register();
// `sanspec check | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import(new URL('../harness/cli/main.ts', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
