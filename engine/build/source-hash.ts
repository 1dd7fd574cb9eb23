// The identity of the engine's sources: one hash over every file the engine's process bundles can
// be built from, so that a bundle built from other sources is never used. It covers the source
// roots (engine/, contracts/), the bundler's version and the build settings; a bundle whose inputs
// lie outside these roots is refused when it is built (engine-bundle.ts), so nothing escapes it.

import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Directories (relative to the repository root) whose files the engine's bundles are built from. */
export const SOURCE_ROOTS = ['engine', 'contracts'] as const;

/** Every file under `dir`, recursively, as absolute paths in a stable order. */
async function filesUnder(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const nested = await Promise.all(
    entries.map((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return filesUnder(path);
      return Promise.resolve(e.isFile() ? [path] : []);
    }),
  );
  return nested.flat().sort();
}

/**
 * A hex hash of the sources under `SOURCE_ROOTS` of `root` (each file's relative path and bytes)
 * and of `salt` (the bundler version and build settings).
 */
export async function sourceHash(root: string, salt: string): Promise<string> {
  const files = (await Promise.all(SOURCE_ROOTS.map((r) => filesUnder(join(root, r))))).flat();
  const contents = await Promise.all(files.map((f) => readFile(f)));
  const hash = createHash('sha256').update(salt).update('\0');
  files.forEach((f, i) => {
    hash.update(relative(root, f)).update('\0').update(contents[i]!).update('\0');
  });
  return hash.digest('hex');
}
