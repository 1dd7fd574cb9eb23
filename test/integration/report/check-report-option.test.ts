import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultPorts } from '../../../models/topology.js';
import type { Topology } from '../../../models/types.js';
import { runSanspec } from '../../helpers/run-cli.js';

/** A small topology, quick to check: two servers, one host, one single disk. */
const small: Topology = {
  name: 'small',
  servers: ['s1', 's2'].map((name) => ({ name, ports: defaultPorts(), autoRestartAttempts: 0, ups: false })),
  hosts: ['h1'],
  virtualDisks: [{ name: 'v1', kind: 'single', server: 's1' }],
  exclude: ['setCache'],
};

describe('sanspec check --report DIR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sanspec-check-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes report.html beside the usual output', async () => {
    const out = join(dir, 'new');
    const topologyFile = join(dir, 'small.json');
    writeFileSync(topologyFile, JSON.stringify(small));
    const { code, stderr } = await runSanspec('check', '--topology', topologyFile, '--report', out);
    expect(code).toBe(0);
    const file = join(out, 'report.html');
    expect(existsSync(file)).toBe(true);
    const html = readFileSync(file, 'utf8');
    expect(html.includes('<span class="verdict pass">NO VIOLATIONS</span>')).toBe(true);
    expect(html.includes('<td><b>small</b></td>')).toBe(true);
    expect(stderr).toContain(`report written to ${file}`);
  }, 120_000);
});
