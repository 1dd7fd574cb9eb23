#!/usr/bin/env node
// The sanspec command line. Sources are TypeScript, run through tsx's loader.
import { register } from 'tsx/esm/api';

register();
// `sanspec check | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
// Engine commands (the storage server group) and toolkit commands (model, harness) live apart:
// the engine imports nothing from the toolkit.
const engineCommands = new Set(['group', 'server', 'status', 'link', 'site', 'mirror']);
const args = process.argv.slice(2);
const entry = engineCommands.has(args[0]) ? '../engine/cli/main.ts' : '../harness/cli/main.ts';
const { main } = await import(new URL(entry, import.meta.url).href);
process.exitCode = await main(args);
