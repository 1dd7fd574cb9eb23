// How the engine starts its own processes: the supervisor (started by `group up`) and the storage
// servers (started by the supervisor at power-on). The one place that knows how an entry point is
// run:
//
//   - Inside a bundle (a supervisor started from one): the sibling bundle of the same build.
//   - From sources: the bundle of the current sources (engine/build/engine-bundle.ts), plain
//     JavaScript that starts in tens of milliseconds; built on demand, once per source change.
//   - SANSPEC_ENGINE_FROM_SOURCES=1: the TypeScript sources through tsx's loader, as before
//     bundles existed (a second or two per process; stack traces point into the sources). The
//     variable is inherited, so a supervisor started this way starts its servers the same way.

import { fileURLToPath } from 'node:url';
import { engineBundle, type EngineEntry } from '../build/engine-bundle.js';

export type { EngineEntry } from '../build/engine-bundle.js';

/** Replaced by `true` in bundles (esbuild `define`); undeclared when running from sources. */
declare const SANSPEC_ENGINE_BUNDLED: boolean;

const entryFiles: Record<EngineEntry, string> = {
  supervisor: '../supervisor/main.ts',
  server: '../server/main.ts',
};

/** Whether this code runs from a bundle. */
export const runningFromBundle = (): boolean => typeof SANSPEC_ENGINE_BUNDLED !== 'undefined' && SANSPEC_ENGINE_BUNDLED;

/** Whether processes are to start from the TypeScript sources (SANSPEC_ENGINE_FROM_SOURCES=1). */
export const fromSourcesRequested = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.SANSPEC_ENGINE_FROM_SOURCES === '1' || env.SANSPEC_ENGINE_FROM_SOURCES === 'true';

/** Arguments for `node` (process.execPath) that run `entry` with `args`; `env` is the environment the process gets. */
export function engineProcessArgs(entry: EngineEntry, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  // SANSPEC_CPU_PROF=DIR: the supervisor and the servers write V8 CPU profiles there when they exit cleanly (diagnosis).
  const profile = env.SANSPEC_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${env.SANSPEC_CPU_PROF}`] : [];
  return [...profile, ...scriptArgs(entry, args, env)];
}

function scriptArgs(entry: EngineEntry, args: readonly string[], env: NodeJS.ProcessEnv): string[] {
  if (runningFromBundle()) return [fileURLToPath(new URL(`./${entry}.mjs`, import.meta.url)), ...args];
  if (fromSourcesRequested(env))
    return [
      '--import',
      import.meta.resolve('tsx'),
      // TypeBox from its CommonJS build: half a second less CPU per process through tsx (typebox-from-cjs.mjs says why).
      '--import',
      new URL('./typebox-from-cjs.mjs', import.meta.url).href,
      fileURLToPath(new URL(entryFiles[entry], import.meta.url)),
      ...args,
    ];
  return [engineBundle().entries[entry], ...args];
}
