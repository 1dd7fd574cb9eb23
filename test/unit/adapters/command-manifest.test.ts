// Command manifests: templates and their quoting, and the checks a manifest passes before any
// command runs (tooling: no SPEC behaviour).
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { manifestEventTypes } from '../../../adapters/command/index.js';
import { capabilityFeatures } from '../../../adapters/types.js';
import { checkManifest, shellQuote } from '../../../adapters/command/index.js';
import { placeholdersOf, renderTemplate, variablesOf } from '../../../adapters/command/template.js';

const example = (name: string) => JSON.parse(readFileSync(new URL(`../../../examples/${name}/manifest.json`, import.meta.url), 'utf8'));

interface Manifest {
  [key: string]: unknown;
  events: Record<string, string>;
  capabilities: Record<string, unknown> & { reasons: Record<string, string> };
}

/** A minimal valid manifest, changed by `patch`. */
const manifest = (patch: (m: Manifest) => void = () => {}) => {
  const m: Manifest = {
    name: 'test',
    open: './open {dir} {topology}',
    close: './close {dir}',
    status: './status {dir}',
    events: { stop: './stop {dir} {server}' },
    capabilities: {
      hostIo: false,
      mirroredDisks: false,
      copyReader: false,
      cacheProbe: false,
      holdsRecovery: false,
      reasons: Object.fromEntries(
        [...capabilityFeatures, ...manifestEventTypes.filter((e) => !['stop', 'recoveryComplete'].includes(e))].map((k) => [
          k,
          'not in this test',
        ]),
      ),
    },
  };
  patch(m);
  return m;
};

const problemsOf = (input: unknown): string[] => {
  try {
    checkManifest(input, 'test.json');
  } catch (error) {
    expect(error).toMatchObject({ code: 'SANSPEC_BAD_ADAPTER_CONFIG' });
    return (error as { details: { problems: string[] } }).details.problems;
  }
  return [];
};

describe('command templates', () => {
  it('quotes every value for sh, whatever it holds', () => {
    for (const value of ["it's", 'a b', '$(rm -rf /)', '`x`', '"q"', '\\', '', 'line\nbreak', '{dir}']) {
      const echoed = execFileSync('sh', ['-c', `printf %s ${shellQuote(value)}`], { encoding: 'utf8' });
      expect(echoed).toBe(value);
    }
  });

  it('replaces placeholders, leaves other braces alone, and reads {{ as a literal brace', () => {
    const values = { dir: '/tmp/a b', server: 's1' };
    const home = '$' + '{HOME}';
    expect(renderTemplate(`jq '{a: .b}' {dir}/x ${home} {{server} {server} {Upper}`, values, { quote: true })).toBe(
      `jq '{a: .b}' '/tmp/a b'/x ${home} {server} 's1' {Upper}`,
    );
    expect(renderTemplate('nbd+unix:///v1?socket={dir}/s.sock', values, { quote: false })).toBe('nbd+unix:///v1?socket=/tmp/a b/s.sock');
    expect(placeholdersOf('{a} {b.c} {a} {{d} {e_F} {G}')).toEqual(['a', 'b.c', 'e_F']);
  });

  it('names a placeholder without a value, and the ones that have one', () => {
    expect(() => renderTemplate('./stop {srever}', { server: 's1', dir: '/d' }, { quote: true })).toThrow(
      /\{srever\}, which has no value here; known: \{dir\}, \{server\}/,
    );
  });

  it("flattens open's JSON into variables", () => {
    expect(variablesOf({ port: 10809, servers: { s1: { url: 'http://x' } }, uris: ['a', 'b'], none: null })).toEqual({
      port: '10809',
      'servers.s1.url': 'http://x',
      'uris.0': 'a',
      'uris.1': 'b',
    });
  });
});

describe('manifest checks', () => {
  it('accepts both examples', () => {
    expect(problemsOf(example('nbdkit-group'))).toEqual([]);
    expect(problemsOf(example('engine-cli'))).toEqual([]);
    expect(problemsOf(manifest())).toEqual([]);
  });

  it('reports schema problems with where they are', () => {
    expect(problemsOf(manifest((m) => delete m.status))).toEqual(expect.arrayContaining(['/status: Expected required property']));
    expect(problemsOf(manifest((m) => (m.events.write = './w')))).toEqual(expect.arrayContaining([expect.stringMatching(/^\/events/)]));
  });

  it('demands a reason for every event without a command and every feature left out', () => {
    const problems = problemsOf(
      manifest((m) => {
        delete m.capabilities.reasons.crash;
        delete m.capabilities.reasons.copyReader;
      }),
    );
    expect(problems).toEqual([
      '/capabilities/reasons/copyReader: say why copyReader is false (for the report)',
      '/capabilities/reasons/crash: say why crash has no command (for the report), or add /events/crash',
    ]);
  });

  it('demands what a declared feature needs', () => {
    expect(problemsOf(manifest((m) => (m.capabilities.hostIo = true)))).toEqual([
      '/capabilities/hostIo: true needs /devices/nbdUri (how hosts reach disks)',
    ]);
    expect(problemsOf(manifest((m) => (m.capabilities.cacheProbe = true)))).toEqual([
      '/capabilities/cacheProbe: true needs copyReader (the probe reads the backend)',
    ]);
  });

  it('refuses a built-in placeholder where it has no value', () => {
    expect(problemsOf(manifest((m) => (m.events.stop = './stop {dir} {vdisk}')))).toEqual([
      '/events/stop: {vdisk} has no value here (this template has {dir}, {topology}, {server})',
    ]);
  });
});
