#!/usr/bin/env node
// The sanspec command line (bin/app.ts). Sources are TypeScript, run through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../engine/util/typebox-from-cjs.mjs');
// `sanspec check | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const [{ runCli }, { sanspecApp }] = await Promise.all([
  import(new URL('../contracts/cli.ts', import.meta.url).href),
  import(new URL('./app.ts', import.meta.url).href),
]);
process.exitCode = await runCli(sanspecApp, process.argv.slice(2));
