// The engine's process bundles (engine/build/): built once per source hash, safely when several
// builds race, rebuilt when a source changes, and used by the group's processes unless the
// escape hatch asks for the TypeScript sources.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { findOrBuildEngineBundle, repositoryRoot } from '../../../engine/build/engine-bundle.js';
import { engineProcessArgs } from '../../../engine/util/engine-process.js';
import { startGroup } from '../../helpers/engine-group.js';

const temps: string[] = [];
const temp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
};
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

/** Runs a bundle with no arguments: it must load completely and print its usage (exit 2). */
async function usageOf(bundle: string): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, [bundle]);
    return { code: 0, stderr: '' };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('engine process bundles', () => {
  it('builds racing into one cache make one complete bundle per entry point, and leave no temporary directory', async () => {
    const cache = temp('sanspec-bundle-cache-');
    // Two processes at once: builds in one process are synchronous.
    const build = `import { findOrBuildEngineBundle } from ${JSON.stringify(new URL('../../../engine/build/engine-bundle.ts', import.meta.url).href)};
      process.stdout.write(JSON.stringify(findOrBuildEngineBundle(${JSON.stringify(repositoryRoot())}, ${JSON.stringify(cache)})));`;
    const run = async () =>
      JSON.parse(
        (await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', build])).stdout,
      ) as ReturnType<typeof findOrBuildEngineBundle>;
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.dir).toBe(b.dir);
    expect([a.built, b.built]).toContain(true);
    expect(readdirSync(cache)).toEqual([a.dir.slice(cache.length + 1)]);
    expect(await usageOf(a.entries.server)).toMatchObject({ code: 2, stderr: expect.stringContaining('usage') });
    expect(await usageOf(a.entries.supervisor)).toMatchObject({ code: 2, stderr: expect.stringContaining('usage') });
    // Found, not rebuilt, the next time.
    expect(findOrBuildEngineBundle(repositoryRoot(), cache)).toMatchObject({ dir: a.dir, built: false });
  });

  it('a changed source gets a bundle of its own', async () => {
    const root = temp('sanspec-bundle-root-');
    for (const dir of ['engine', 'contracts']) cpSync(join(repositoryRoot(), dir), join(root, dir), { recursive: true });
    // The packages the engine imports (TypeBox) are resolved from the copy as from the repository.
    symlinkSync(join(repositoryRoot(), 'node_modules'), join(root, 'node_modules'));
    const cache = temp('sanspec-bundle-cache-');
    const before = findOrBuildEngineBundle(root, cache);
    const file = join(root, 'engine', 'server', 'main.ts');
    writeFileSync(file, `${readFileSync(file, 'utf8')}\nlog('changed');\n`);
    const after = findOrBuildEngineBundle(root, cache);
    expect(after.dir).not.toBe(before.dir);
    expect(after.built).toBe(true);
    expect(readFileSync(after.entries.server, 'utf8')).toContain('changed');
    expect(readFileSync(before.entries.server, 'utf8')).not.toContain("log('changed')");
  });

  it('SANSPEC_ENGINE_FROM_SOURCES=1 starts processes from the TypeScript sources through tsx', async () => {
    const fromSources = engineProcessArgs('server', ['--name', 's1'], { SANSPEC_ENGINE_FROM_SOURCES: '1' });
    expect(fromSources).toEqual([
      '--import',
      expect.stringMatching(/tsx/),
      '--import',
      expect.stringMatching(/typebox-from-cjs\.mjs$/),
      expect.stringMatching(/engine\/server\/main\.ts$/),
      '--name',
      's1',
    ]);
    expect(engineProcessArgs('server', ['--name', 's1'], {})).toEqual([
      expect.stringMatching(/engine-[0-9a-f]+\/server\.mjs$/),
      '--name',
      's1',
    ]);
  });

  it("`sanspec group up` starts the group's supervisor and servers from the bundles", async () => {
    const g = await startGroup({
      config: {
        servers: [{ name: 's1' }, { name: 's2' }],
        hosts: ['h1'],
        virtualDisks: [{ name: 'v1', kind: 'single', server: 's1', sizeMiB: 1 }],
      },
    });
    try {
      const entryOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1];
      expect(entryOf(JSON.parse(readFileSync(join(g.dir, 'supervisor.json'), 'utf8')).pid)).toMatch(/engine-[0-9a-f]+\/supervisor\.mjs$/);
      for (const s of ['s1', 's2']) {
        const pid = Number(readFileSync(join(g.dir, 'servers', s, 'pid'), 'utf8'));
        expect(entryOf(pid)).toMatch(/engine-[0-9a-f]+\/server\.mjs$/);
      }
    } finally {
      await g.down();
    }
  });
});
