// The engine's process entry points (the storage server and the supervisor) bundled to plain
// JavaScript, so that a process starts in tens of milliseconds instead of the second or two the
// TypeScript loader takes to compile its sources at every start.
//
// Bundles are built on demand with esbuild into a cache directory named after a hash of the
// sources (source-hash.ts): `node_modules/.cache/sanspec/engine-<hash>/{server,supervisor}.mjs`.
// Changed sources hash differently, so they get a fresh bundle and a stale one is never used.
// Several processes may build at once: each builds into its own temporary directory and renames
// it into place; rename is atomic, so a bundle directory that exists is complete, and whoever
// renames second throws its own copy away. Synchronous (esbuild's buildSync), because processes
// are started where nothing can wait (engine/util/engine-process.ts); a build happens once per
// change of the sources and takes about a second, a look-up in the cache a few milliseconds.

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isHashedInput, SOURCE_ROOTS, sourceHash } from './source-hash.js';

/** The entry points, by bundle name. */
const ENTRIES = { server: 'engine/server/main.ts', supervisor: 'engine/supervisor/main.ts' } as const;

/** A process of the engine that is started from a bundle. */
export type EngineEntry = keyof typeof ENTRIES;

/** Bumped whenever the build settings below change, so that bundles built with older ones are not used. */
const BUILD_VERSION = 1;

/** Bundles of other sources are removed once they are this old (a group started from one may still be up). */
const STALE_MS = 24 * 3600_000;

/** Where the bundles of the current sources are. */
export interface EngineBundle {
  /** The cache directory of this source hash. */
  readonly dir: string;
  /** The bundle of each entry point. */
  readonly entries: Readonly<Record<EngineEntry, string>>;
  /** Whether this call built it (false: it was in the cache). */
  readonly built: boolean;
}

/** The bundles could not be built. */
export class EngineBuildError extends Error {
  readonly code = 'ENGINE_BUILD_FAILED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineBuildError';
  }
}

/** Replaced by the repository root's path in bundles (esbuild `define`); undeclared when running from sources. */
declare const SANSPEC_REPOSITORY_ROOT: string;

/**
 * The repository root: from this file's place in it (engine/build/), or, inside a bundle (which
 * lives in the cache, not next to its sources), the root it was built from.
 */
export const repositoryRoot = (): string =>
  typeof SANSPEC_REPOSITORY_ROOT === 'string' ? SANSPEC_REPOSITORY_ROOT : fileURLToPath(new URL('../../', import.meta.url));

/** `require` from the repository root: its packages, found from bundles in a cache directory anywhere. */
export const repositoryRequire = (): NodeJS.Require => createRequire(join(repositoryRoot(), 'package.json'));

/**
 * The cache directory: SANSPEC_CACHE_DIR, else node_modules/.cache/sanspec in the repository, else
 * (when that is not writable, e.g. an installation owned by another user) one in the temp dir.
 */
export function cacheRoot(root: string): string {
  if (process.env.SANSPEC_CACHE_DIR) return process.env.SANSPEC_CACHE_DIR;
  const inRepo = join(root, 'node_modules', '.cache', 'sanspec');
  try {
    mkdirSync(inRepo, { recursive: true });
    return inRepo;
  } catch {
    return join(tmpdir(), `sanspec-cache-${userInfo().uid}`);
  }
}

const exists = (path: string) => {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
};

let memo: EngineBundle | null = null;

/**
 * The bundles of the engine's current sources: from the cache, or built now. Memoized per
 * process (sources do not change under a running process in any way that matters to it).
 */
export function engineBundle(): EngineBundle {
  if (memo === null) {
    const root = repositoryRoot();
    memo = findOrBuildEngineBundle(root, cacheRoot(root));
  }
  return memo;
}

/** esbuild, loaded when a bundle is looked up or built: never by a process started from a bundle. */
const loadEsbuild = (): typeof import('esbuild') => repositoryRequire()('esbuild');

/** The bundles of the sources in `root`, from the cache directory `cache` or built into it now (not memoized). */
export function findOrBuildEngineBundle(root: string, cache: string): EngineBundle {
  return findOrBuildBundle(root, cache, {
    name: 'engine',
    entries: ENTRIES,
    roots: SOURCE_ROOTS,
    version: BUILD_VERSION,
    // engine/util/engine-process.ts starts sibling bundles when it runs inside one.
    define: { SANSPEC_ENGINE_BUNDLED: 'true' },
  });
}

/** What to bundle: entry points (by bundle name) and the source roots they may be built from. */
export interface BundleSpec<E extends string> {
  /** Prefix of the cache directory, e.g. `engine`. */
  readonly name: string;
  /** Entry points relative to the root, by bundle name. */
  readonly entries: Readonly<Record<E, string>>;
  /** Directories whose files the bundles may include (besides node_modules); hashed. */
  readonly roots: readonly string[];
  /** Bumped when these settings change. */
  readonly version: number;
  /** Compile-time constants. */
  readonly define?: Record<string, string>;
  /** Code put before the bundle, e.g. a `require` for CommonJS packages that load Node's modules. */
  readonly banner?: string;
}

/** Bundles of some sources, found or built like the engine's (see the top of this file). */
export interface Bundle<E extends string> {
  readonly dir: string;
  readonly entries: Readonly<Record<E, string>>;
  readonly built: boolean;
}

/** The bundles of `spec` from the sources in `root`, from the cache directory `cache` or built into it now (not memoized). */
export function findOrBuildBundle<E extends string>(root: string, cache: string, spec: BundleSpec<E>): Bundle<E> {
  const esbuild = loadEsbuild();
  // The root is part of the identity: bundles find the repository's files (package.json, models/
  // for diagrams, node_modules) by the path they were built from.
  const hash = sourceHash(root, `esbuild ${esbuild.version}; build ${spec.name} ${spec.version}; root ${root}`, spec.roots).slice(0, 20);
  const dir = join(cache, `${spec.name}-${hash}`);
  const entries = Object.fromEntries(Object.keys(spec.entries).map((e) => [e, join(dir, `${e}.mjs`)])) as Record<E, string>;
  if (exists(dir)) return { dir, entries, built: false };

  mkdirSync(cache, { recursive: true });
  const tmp = join(cache, `.tmp-${spec.name}-${hash}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    let result: import('esbuild').BuildResult<{ metafile: true }>;
    try {
      result = esbuild.buildSync({
        absWorkingDir: root,
        entryPoints: spec.entries,
        outdir: tmp,
        outExtension: { '.js': '.mjs' },
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node20',
        banner: { js: spec.banner ?? '' },
        define: { SANSPEC_REPOSITORY_ROOT: JSON.stringify(root), ...spec.define },
        // A bundle never builds bundles; the builder stays out of them.
        external: ['esbuild'],
        sourcemap: 'linked',
        metafile: true,
        logLevel: 'silent',
      });
    } catch (error) {
      throw new EngineBuildError(`esbuild could not bundle the ${spec.name}: ${(error as Error).message}`, { cause: error });
    }
    const outside = Object.keys(result.metafile.inputs).filter((input) => !isHashedInput(input, spec.roots));
    if (outside.length > 0) {
      throw new EngineBuildError(
        `the ${spec.name}'s bundles include files outside the hashed source roots (${spec.roots.join(', ')}, node_modules): ${outside.slice(0, 5).join(', ')}${outside.length > 5 ? ` and ${outside.length - 5} more` : ''}; ` +
          'add their directory to the roots of the bundle so that a change to them rebuilds the bundles',
      );
    }
    writeStamps(root, tmp, Object.keys(result.metafile.inputs));
    try {
      renameSync(tmp, dir);
    } catch (error) {
      // Another process renamed its build into place first: use that one.
      if (!exists(dir)) throw error;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  pruneStale(cache, dir, spec.name);
  return { dir, entries, built: true };
}

/** The file in a bundle directory that lists its inputs with their size and modification time (bundle-stamp.mjs). */
export const INPUTS_FILE = 'inputs.json';

/**
 * Writes the bundle directory's INPUTS_FILE: `[path relative to root, size, mtime in ms]` of each
 * of its inputs (default: the ones it lists now), what bin/sanspec.mjs checks before it runs a
 * bundle. Rewriting it after the source hash has matched again keeps a touched but unchanged
 * source from sending every later start through the sources.
 */
export function writeStamps(root: string, dir: string, inputs?: readonly string[]): void {
  const file = join(dir, INPUTS_FILE);
  const paths = inputs ?? (JSON.parse(readFileSync(file, 'utf8')) as Array<[string]>).map(([path]) => path);
  const stamps = paths
    .filter((input) => !input.includes(':')) // esbuild's virtual inputs (none today), not files
    .map((input) => {
      const st = statSync(join(root, input));
      return [input, st.size, st.mtimeMs];
    });
  // Whole or not at all: a command may be reading it.
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(stamps)}\n`);
  renameSync(tmp, file);
}

/** Removes bundles of other sources older than STALE_MS, and leftovers of interrupted builds. */
function pruneStale(cache: string, keep: string, name: string): void {
  const now = Date.now();
  for (const entry of readdirSync(cache)) {
    const path = join(cache, entry);
    if (path === keep || !(entry.startsWith(`${name}-`) || entry.startsWith(`.tmp-${name}-`))) continue;
    try {
      const age = now - statSync(path).mtimeMs;
      if (age > (entry.startsWith('.tmp-') ? 3600_000 : STALE_MS)) rmSync(path, { recursive: true, force: true });
    } catch {
      // removed by another process meanwhile
    }
  }
}
