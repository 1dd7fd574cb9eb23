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
    expect(topologyProblems({ ...t, servers: [t.servers[0]!] })).toContainEqual({
      field: 'servers',
      problem: 'needs at least 2 item(s) (got 1)',
    });
  });

  it('a topology read from JSON is checked for its structure first: every bad field named, with the value found', () => {
    const t = {
      name: 'from-file',
      servers: [
        { name: 's1', ports: [{ name: 'fe1', roles: ['frontEnd', 'disk'] }], autoRestartAttempts: 9, ups: 'yes' },
        { name: 's2', ports: 'fe1', autoRestartAttempts: 0, ups: false },
      ],
      hosts: ['H1'],
      virtualDisks: [{ name: 'm1', kind: 'mirrored', copies: ['s1', 's3'], size: 1 }],
      exclude: ['teleport'],
    };
    expect(topologyProblems(t)).toEqual([
      { field: 'servers[0].ports[0].roles[1]', problem: 'must be one of frontEnd, mirror, backEnd (got "disk")' },
      { field: 'servers[0].autoRestartAttempts', problem: 'must be an integer from 0 to 3 (got 9)' },
      { field: 'servers[0].ups', problem: 'must be true or false (got "yes")' },
      { field: 'servers[1].ports', problem: 'must be a list of ports (got "fe1")' },
      {
        field: 'hosts[0]',
        problem: 'must be a lowercase name of letters, digits and "-", starting with a letter, at most 32 characters (got "H1")',
      },
      { field: 'virtualDisks[0].size', problem: 'unknown field (known: name, kind, server, copies)' },
      { field: 'exclude[0]', problem: expect.stringMatching(/^must be one of stop, start, .* \(got "teleport"\)$/) },
      { field: 'virtualDisks[0].copies[1]', problem: 'no server named "s3"' },
    ]);
    expect(topologyProblems('not a topology')).toEqual([{ field: '(root)', problem: 'must be an object (got "not a topology")' }]);
  });
});
