import { describe, expect, it } from 'vitest';
import { createGroupModel } from '../../../models/group.js';
import { defaultTopology, TopologyError, topologyProblems } from '../../../models/topology.js';
import type { Topology } from '../../../models/types.js';

describe('topologies', () => {
  it('the default topology is the one of SPEC.md: s1, s2, h1, h2, m1 preferring s1, v1 on s1, v2 on s2', () => {
    const t = defaultTopology();
    expect(topologyProblems(t)).toEqual([]);
    expect(t.servers.map((s) => `${s.name}:${s.ports.map((p) => p.name).join(',')}`)).toEqual(['s1:fe1,mr1,be1', 's2:fe1,mr1,be1']);
    expect(t.virtualDisks).toEqual([
      { name: 'm1', kind: 'mirrored', copies: ['s1', 's2'] },
      { name: 'v1', kind: 'single', server: 's1' },
      { name: 'v2', kind: 'single', server: 's2' },
    ]);
  });

  it('an invalid topology is refused with every problem named by its field', () => {
    const t: Topology = defaultTopology();
    t.servers[1]!.name = 's1';
    t.servers[0]!.ports = [{ name: 'be1', roles: ['backEnd'] }];
    t.virtualDisks.push({ name: 'm2', kind: 'mirrored', copies: ['s1', 's7'] });
    expect(() => createGroupModel(t)).toThrow(TopologyError);
    const fields = topologyProblems(t).map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['servers[1].name', 'servers[0].ports', 'virtualDisks[3].copies[1]']));
    expect(topologyProblems({ ...t, servers: [t.servers[0]!] }).map((p) => p.problem)).toContain('a group needs at least 2 servers');
  });
});
