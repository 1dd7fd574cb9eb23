#!/usr/bin/env node
// The sanspec command line (bin/app.ts). It runs from a bundle of its sources when one matches
// them (bin/cli-bundle.ts says how it is found), else it finds or builds that bundle through tsx,
// and runs from the TypeScript sources when asked to (SANSPEC_CLI_FROM_SOURCES=1: stack traces
// then point into the sources) or when no bundle can be built.
import { readFileSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/** The bundle whose inputs are all as they were when it was built, or null. */
function currentBundle() {
  // The cache directories engine/build/engine-bundle.ts (cacheRoot) may have chosen, in its order.
  const caches = process.env.SANSPEC_CACHE_DIR
    ? [process.env.SANSPEC_CACHE_DIR]
    : [join(root, 'node_modules', '.cache', 'sanspec'), join(tmpdir(), `sanspec-cache-${userInfo().uid}`)];
  for (const cache of caches) {
    try {
      const { dir } = JSON.parse(readFileSync(join(cache, 'cli.json'), 'utf8'));
      const inputs = JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8'));
      const unchanged = ([path, size, mtimeMs]) => {
        const st = statSync(join(root, path));
        return st.size === size && st.mtimeMs === mtimeMs;
      };
      return inputs.every(unchanged) ? join(dir, 'cli.mjs') : null;
    } catch {
      // no pointer here, or a bundle that is gone or refers to files that are gone
    }
  }
  return null;
}

const fromSources = ['1', 'true'].includes(process.env.SANSPEC_CLI_FROM_SOURCES ?? '');
let entry = fromSources ? null : currentBundle();
if (entry === null) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../engine/util/typebox-from-cjs.mjs');
  if (!fromSources) {
    try {
      const { cliBundle } = await import(new URL('./cli-bundle.ts', import.meta.url).href);
      entry = cliBundle();
    } catch (error) {
      process.stderr.write(`sanspec: running from the TypeScript sources: no bundle of the command line (${error.message})\n`);
    }
  }
}
const { main } = await import(entry === null ? new URL('./cli-main.ts', import.meta.url).href : pathToFileURL(entry).href);
await main();
