import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../harness/explore/explore.js';
import { createGroupModel } from '../../../models/group.js';
import { groupStatus } from '../../../models/status.js';
import { groupStatusSchema } from '../../../models/status-schema.js';
import { defaultTopology } from '../../../models/topology.js';

describe('observable status shape (CF-2)', () => {
  const validate = new Ajv2020({ allErrors: true }).compile(groupStatusSchema);

  it('CF-2 every reachable state of the default topology projects to a status that the published JSON Schema accepts', () => {
    const model = createGroupModel(defaultTopology());
    const x = explore(model);
    for (const state of x.states) {
      const status = groupStatus(model, state);
      if (!validate(status)) throw new Error(`${JSON.stringify(validate.errors)} in ${JSON.stringify(status)}`);
    }
    expect(x.states.length).toBeGreaterThan(10_000);
  });

  it('CF-2 the schema rejects a status outside the vocabulary, naming the field', () => {
    const model = createGroupModel(defaultTopology());
    const status = structuredClone(groupStatus(model, model.initial));
    (status.virtualDisks[0]!.copies[0] as { dataStatus: string }).dataStatus = 'mostlyFine';
    expect(validate(status)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('/virtualDisks/0/copies/0/dataStatus');
  });

  it('CF-2 the default topology reports servers, ports, paths (host-major), virtual disks and mirror links', () => {
    const model = createGroupModel(defaultTopology());
    const s = groupStatus(model, model.initial);
    expect(s.servers.map((x) => x.name)).toEqual(['s1', 's2']);
    expect(s.ports.map((p) => `${p.server}/${p.name}`)).toEqual(['s1/fe1', 's1/mr1', 's1/be1', 's2/fe1', 's2/mr1', 's2/be1']);
    expect(s.paths.map((p) => `${p.host}->${p.server}/${p.port}`)).toEqual(['h1->s1/fe1', 'h1->s2/fe1', 'h2->s1/fe1', 'h2->s2/fe1']);
    expect(s.paths[0]!.alua).toEqual({ m1: 'activeOptimized', v1: 'activeOptimized' });
    expect(s.virtualDisks.map((v) => `${v.name}:${v.kind}:${v.status}`)).toEqual([
      'm1:mirrored:online',
      'v1:single:online',
      'v2:single:online',
    ]);
    expect(s.mirrorLinks).toEqual([{ servers: ['s1', 's2'], up: true }]);
  });
});
