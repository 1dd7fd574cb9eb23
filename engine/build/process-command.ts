// How the engine starts its own processes (a server at power-on, the supervisor at `group up`):
// the Node arguments that run an entry point.
//
//   - Inside a bundle (a supervisor started from one): the sibling bundle of the same build.
//   - From sources: the bundle of the current sources (engine-bundle.ts), built on demand.
//   - SANSPEC_ENGINE_FROM_SOURCES=1: the TypeScript sources through the tsx loader, as before
//     bundles existed (slower to start; for debugging, stack traces point into the sources). The
//     variable is inherited, so a supervisor started this way starts its servers the same way.

import { fileURLToPath } from 'node:url';
import { engineBundle, type EngineEntry } from './engine-bundle.js';

/** Replaced by `true` in bundles (esbuild `define`); undeclared when running from sources. */
declare const SANSPEC_ENGINE_BUNDLED: boolean;

const SOURCES: Record<EngineEntry, string> = { server: '../server/main.ts', supervisor: '../supervisor/main.ts' };

/** Whether this code runs from a bundle. */
export const runningFromBundle = (): boolean => typeof SANSPEC_ENGINE_BUNDLED !== 'undefined' && SANSPEC_ENGINE_BUNDLED;

/** Whether processes are to start from the TypeScript sources (SANSPEC_ENGINE_FROM_SOURCES=1). */
export const fromSourcesRequested = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.SANSPEC_ENGINE_FROM_SOURCES === '1' || env.SANSPEC_ENGINE_FROM_SOURCES === 'true';

/** Node arguments that run `entry` (its own arguments follow them); `env` is the one the process gets. */
export async function engineProcessArgs(entry: EngineEntry, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  if (runningFromBundle()) return [fileURLToPath(new URL(`./${entry}.mjs`, import.meta.url))];
  if (fromSourcesRequested(env)) return ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL(SOURCES[entry], import.meta.url))];
  return [(await engineBundle()).entries[entry]];
}
