import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultTopology } from '../../../models/topology.js';
import type { CheckReport } from '../../../harness/types.js';

const run = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/sanspec.mjs', ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};
const dir = mkdtempSync(join(tmpdir(), 'sanspec-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sanspec check', () => {
  it('explores the default topology and prints states, transitions, properties, violations and time', async () => {
    const r = await run('check', '--topology', 'default');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/topology default\n\s+reachable states\s+\d+/);
    expect(r.stdout).toMatch(/transitions\s+\d+/);
    expect(r.stdout).toMatch(/violations\s+0/);
    expect(r.stdout).toMatch(/elapsed\s+\d+ ms/);
  });

  it('--json prints one report per topology', async () => {
    const r = await run('check', '--topology', 'default', '--topology', 'ups', '--json');
    expect(r.code).toBe(0);
    const reports = JSON.parse(r.stdout) as CheckReport[];
    expect(reports.map((x) => x.topology)).toEqual(['default', 'ups']);
    expect(reports[0]!.complete).toBe(true);
    expect(reports[0]!.invariants.length).toBeGreaterThan(10);
  });

  it('checks a topology given as a JSON file', async () => {
    const t = { ...defaultTopology(), name: 'from-file', virtualDisks: [{ name: 'm1', kind: 'mirrored', copies: ['s2', 's1'] }] };
    const file = join(dir, 'topology.json');
    writeFileSync(file, JSON.stringify(t));
    const r = await run('check', '--topology', file, '--json');
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as CheckReport[])[0]!.topology).toBe('from-file');
  });

  it('bad arguments give a clear error and exit code 2', async () => {
    const unknown = await run('check', '--topology', 'five-servers');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown topology "five-servers": use one of default, three-servers, four-servers, ups/);
    const option = await run('check', '--fast');
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^sanspec: USAGE_BAD_OPTION: unknown option '--fast'\nsee: sanspec check --help/);
    const command = await run('chekc');
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/^sanspec: USAGE_UNKNOWN_COMMAND: unknown command 'chekc'\n\(Did you mean check\?\)/);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...defaultTopology(), hosts: [] }));
    const invalid = await run('check', '--topology', file);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^sanspec: SANSPEC_BAD_TOPOLOGY: invalid topology:\s+hosts: needs at least 1 item\(s\) \(got 0\)/);
  });
});
