// The command line runs from a bundle of its sources (bin/cli-bundle.ts): used while none of the
// files it was built from changed, never after one did, and bypassed on request. On a copy of the
// repository's sources with a cache of its own, so that nothing here touches the real ones.
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '../../../engine/build/engine-bundle.js';

const work = mkdtempSync(join(tmpdir(), 'sanspec-cli-bundle-'));
const root = join(work, 'repo');
const cache = join(work, 'cache');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `sanspec ARGS` of the copy: its output. */
async function sanspec(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(root, 'bin', 'sanspec.mjs'), ...args], {
    env: { ...process.env, SANSPEC_CACHE_DIR: cache, ...env },
  });
  return stdout;
}

const bundles = () => readdirSync(cache).filter((e) => e.startsWith('cli-'));
const current = () =>
  join(cache, (JSON.parse(readFileSync(join(cache, 'cli.json'), 'utf8')) as { dir: string }).dir.split('/').at(-1)!, 'cli.mjs');

describe('the command line from its bundle', () => {
  beforeAll(() => {
    for (const dir of ['bin', 'contracts', 'models', 'harness', 'adapters', 'engine'])
      cpSync(join(repositoryRoot(), dir), join(root, dir), { recursive: true });
    cpSync(join(repositoryRoot(), 'package.json'), join(root, 'package.json'));
    symlinkSync(join(repositoryRoot(), 'node_modules'), join(root, 'node_modules'));
  });

  it('is built at the first start, used while its sources are unchanged, and rebuilt when one changes', async () => {
    expect((await sanspec(['--version'])).trim()).toBe('0.1.0');
    expect(bundles()).toHaveLength(1);
    // Marked, the bundle shows whether a start runs it.
    const bundle = current();
    writeFileSync(bundle, `process.stdout.write('from the bundle\\n');\n${readFileSync(bundle, 'utf8')}`);
    expect(await sanspec(['--version'])).toBe('from the bundle\n0.1.0\n');
    // A changed source: the marked bundle is not used, a new one is built from the change.
    appendFileSync(join(root, 'bin', 'cli-main.ts'), "\nprocess.stdout.write('changed source\\n');\n");
    expect(await sanspec(['--version'])).toBe('changed source\n0.1.0\n');
    expect(bundles()).toHaveLength(2);
    expect(readFileSync(current(), 'utf8')).toContain('changed source');
    // SANSPEC_CLI_FROM_SOURCES=1 runs the TypeScript sources: same command line, no bundle.
    writeFileSync(current(), `process.stdout.write('from the bundle\\n');\n${readFileSync(current(), 'utf8')}`);
    expect(await sanspec(['--version'], { SANSPEC_CLI_FROM_SOURCES: '1' })).toBe('changed source\n0.1.0\n');
  }, 60_000);
});
