// Loads TypeBox from its CommonJS build in processes that run TypeScript through tsx (the command
// line, the supervisor, the servers). TypeBox's ES module build is some 270 files, and tsx's
// module hooks cost about half a second of CPU per process to pass them all; its CommonJS build
// is loaded by Node's own loader. Same code, same types (TypeScript still reads the .d.mts), and
// TypeBox keys its schemas by Symbol.for, so nothing depends on which build a process loads.
// Imported (`--import` or `import`), it registers itself as a resolve hook.
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

/** Resolves `@sinclair/typebox` and its subpaths with the `require` condition: the CommonJS build. */
export async function resolve(specifier, context, next) {
  if (specifier === '@sinclair/typebox' || specifier.startsWith('@sinclair/typebox/')) {
    return next(specifier, { ...context, conditions: ['require', 'node'] });
  }
  return next(specifier, context);
}

// Module hooks run on a thread of their own, which loads this file again: register from the main thread only.
if (isMainThread) register(import.meta.url);
