// The identity of the engine's sources: one hash over every file the engine's process bundles can
// be built from, so that a bundle built from other sources is never used. It covers the source
// roots (engine/, contracts/), the lockfile that pins the packages they import (package-lock.json),
// the bundler's version and the build settings; a bundle whose inputs lie outside these roots and
// node_modules is refused when it is built (engine-bundle.ts), so nothing escapes it.
// Synchronous: process starts ask for it where they cannot wait (engine/util/engine-process.ts),
// and reading some hundred small files takes a few milliseconds.

import { createHash } from 'node:crypto';
import { type Dirent, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Directories (relative to the repository root) whose files the engine's bundles are built from. */
export const SOURCE_ROOTS = ['engine', 'contracts'] as const;

/** Files whose bytes pin the installed packages the bundles include from node_modules. */
export const LOCK_FILES = ['package-lock.json'] as const;

/** Whether a bundle input (relative to the root) is covered by the hash. */
export const isHashedInput = (input: string, roots: readonly string[] = SOURCE_ROOTS): boolean =>
  /(^|\/)node_modules\//.test(input) || roots.some((r) => input.startsWith(`${r}/`));

/** Every file under `dir`, recursively, as absolute paths in a stable order. */
function filesUnder(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .flatMap((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return filesUnder(path);
      return e.isFile() ? [path] : [];
    })
    .sort();
}

/**
 * A hex hash of the sources under `roots` (default SOURCE_ROOTS) of `root` and of its `LOCK_FILES` (each file's
 * relative path and bytes) and of `salt` (the bundler version and build settings).
 */
export function sourceHash(root: string, salt: string, roots: readonly string[] = SOURCE_ROOTS): string {
  const hash = createHash('sha256').update(salt).update('\0');
  const locks = LOCK_FILES.map((f) => join(root, f)).filter((f) => existsSync(f));
  for (const file of [...roots.flatMap((r) => filesUnder(join(root, r))), ...locks])
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}
