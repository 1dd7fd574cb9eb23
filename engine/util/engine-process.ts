// How the engine starts its own processes: the supervisor (started by `group up`) and the storage
// servers (started by the supervisor at power-on). The one place that knows how an entry point
// is run, so that running compiled JavaScript instead of TypeScript is a change here alone.
import { fileURLToPath } from 'node:url';

/** The engine's process entry points. */
export type EngineEntry = 'supervisor' | 'server';

const entryFiles: Record<EngineEntry, string> = {
  supervisor: '../supervisor/main.ts',
  server: '../server/main.ts',
};

/**
 * Arguments for `node` (process.execPath) that run `entry` with `args`: TypeScript through tsx's
 * loader, with TypeBox from its CommonJS build (typebox-from-cjs.mjs says why).
 */
export function engineProcessArgs(entry: EngineEntry, args: readonly string[]): string[] {
  return [
    '--import',
    import.meta.resolve('tsx'),
    '--import',
    new URL('./typebox-from-cjs.mjs', import.meta.url).href,
    fileURLToPath(new URL(entryFiles[entry], import.meta.url)),
    ...args,
  ];
}
