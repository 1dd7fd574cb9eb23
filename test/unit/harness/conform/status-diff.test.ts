// Status differences named by what they are about, not by array positions (CF-1 evidence).

import { describe, expect, it } from 'vitest';
import { formatDiff, statusDiff } from '../../../../harness/conform/status-diff.js';
import { createGroupModel } from '../../../../models/group.js';
import { groupStatus } from '../../../../models/status.js';
import { conformanceTopology } from '../../../../models/topology.js';
import type { GroupStatus } from '../../../../models/types.js';

const model = createGroupModel(conformanceTopology());
const initial = groupStatus(model, model.initial);
const clone = (s: GroupStatus): GroupStatus => structuredClone(s);

describe('statusDiff', () => {
  it('CF-1 equal statuses have no difference, whatever the key order', () => {
    const reordered = JSON.parse(
      JSON.stringify(
        initial,
        Object.keys(initial)
          .reverse()
          .concat(...collectKeys(initial)),
      ),
    );
    expect(statusDiff(initial, initial)).toEqual([]);
    expect(statusDiff(initial, reordered)).toEqual([]);
  });

  it('CF-1 names copies, paths, ports, servers and links by name', () => {
    const observed = clone(initial);
    observed.virtualDisks.find((v) => v.name === 'm1')!.copies[1]!.dataStatus = 'inLogRecovery';
    observed.paths.find((p) => p.host === 'h2' && p.server === 's1')!.alua.m1 = 'unavailable';
    observed.ports.find((p) => p.server === 's2' && p.name === 'fe1')!.enabled = false;
    observed.servers[1]!.cache.effective = 'writeThrough';
    observed.mirrorLinks[0]!.up = false;
    expect(formatDiff(statusDiff(initial, observed))).toEqual([
      'servers[s2].cache.effective: expected writeBack, observed writeThrough',
      'ports[s2/fe1].enabled: expected true, observed false',
      'paths[h2->s1].alua[m1]: expected activeOptimized, observed unavailable',
      'virtualDisks[m1].copies[s2].dataStatus: expected upToDate, observed inLogRecovery',
      'mirrorLinks[s1-s2].up: expected true, observed false',
    ]);
  });

  it('CF-2 a missing or extra element is named; the same elements in another order are one difference', () => {
    const observed = clone(initial);
    observed.virtualDisks = observed.virtualDisks.filter((v) => v.name !== 'v2');
    observed.servers.reverse();
    const diff = formatDiff(statusDiff(initial, observed));
    expect(diff).toContain('servers (order): expected ["s1","s2"], observed ["s2","s1"]');
    expect(diff.some((d) => d.startsWith('virtualDisks[v2]: expected {"name":"v2"'))).toBe(true);
    expect(diff.some((d) => d.endsWith('observed (missing)'))).toBe(true);
  });
});

/** Every key used anywhere in a value (so JSON.stringify keeps them all in the replacer's order). */
function collectKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(collectKeys);
  if (typeof value === 'object' && value !== null) return [...Object.keys(value), ...Object.values(value).flatMap(collectKeys)];
  return [];
}
