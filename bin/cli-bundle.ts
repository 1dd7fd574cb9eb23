// The command line from an esbuild bundle of its sources. Through tsx, every start of the command
// line costs about 0.7 s of CPU (the loader's hooks pass each module); from a bundle it costs
// about a tenth of that, which matters to scripts and to the command adapter, which runs a
// command for every status it polls. The bundle is found or built like the engine's
// (engine/build/engine-bundle.ts: cached by a hash of its sources), and a pointer to it
// (POINTER_FILE in the cache directory) lets bin/sanspec.mjs find it without hashing the sources:
// it checks the size and modification time of every input the bundle was built from
// (INPUTS_FILE) and runs the bundle only when none changed, else it comes here, through tsx.

import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, findOrBuildBundle, repositoryRoot, writeStamps } from '../engine/build/engine-bundle.js';

/** The pointer to the current bundle, in the cache directory (read by bin/sanspec.mjs). */
export const POINTER_FILE = 'cli.json';

/** The CLI's bundle of the current sources (built now if the cache has none), with the pointer to it written. */
export function cliBundle(): string {
  const root = repositoryRoot();
  const cache = cacheRoot(root);
  const bundle = findOrBuildBundle(root, cache, {
    name: 'cli',
    entries: { cli: 'bin/cli-main.ts' },
    roots: ['bin', 'contracts', 'models', 'harness', 'adapters', 'engine'],
    version: 1,
    // commander is CommonJS and requires Node's modules: give the ES module bundle a `require`.
    banner: "import { createRequire as sanspecCreateRequire } from 'node:module'; const require = sanspecCreateRequire(import.meta.url);",
  });
  // Found by its hash, the bundle is current: sources that were only touched must not send the next start here again.
  if (!bundle.built) writeStamps(root, bundle.dir);
  // Written whole or not at all: another command may read it meanwhile.
  const tmp = join(cache, `.${POINTER_FILE}.${process.pid}`);
  writeFileSync(tmp, `${JSON.stringify({ dir: bundle.dir })}\n`);
  renameSync(tmp, join(cache, POINTER_FILE));
  return bundle.entries.cli;
}
