// CF-2: the engine reports its status in the one documented JSON shape, the one the model
// projects and the adapters will compare: checked against models/status-schema.ts in states
// a conformance run passes through.
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupStatusSchema } from '../../../models/status-schema.js';
import { startGroup, type EngineGroup } from '../../helpers/engine-group.js';
import { online, waitStatus } from '../../helpers/mirror-group.js';

describe('the engine status shape (CF-2)', () => {
  const validate = new Ajv2020({ allErrors: true }).compile(groupStatusSchema);
  let g: EngineGroup;
  beforeAll(async () => {
    g = await startGroup();
  });
  afterAll(async () => {
    await g?.down();
  });

  const valid = async (what: string) => {
    const s = await g.status();
    expect(validate(s), `${what}: ${JSON.stringify(validate.errors)}`).toBe(true);
    return s;
  };

  it('CF-2 validates against the published JSON Schema while running, stopped, crashed, with a cut link and with both servers down', async () => {
    const s = await valid('healthy group');
    expect(s.servers.map((x) => x.name)).toEqual(['s1', 's2']);
    expect(s.paths.map((p) => `${p.host}->${p.server}/${p.port}`)).toEqual(['h1->s1/fe1', 'h1->s2/fe1', 'h2->s1/fe1', 'h2->s2/fe1']);
    expect(s.virtualDisks.map((v) => `${v.name}:${v.kind}:${v.status}`)).toEqual([
      'm1:mirrored:online',
      'v1:single:online',
      'v2:single:online',
    ]);
    await g.server('stop', 's1');
    await valid('s1 stopped');
    await g.server('crash', 's2');
    await valid('s1 stopped, s2 crashed');
    await g.server('power-on', 's2');
    await g.server('start', 's2');
    await g.server('start', 's1');
    await waitStatus(g, online(), 'm1 back online');
    await g.cli('link', 'cut', 's1', 's2');
    expect((await valid('link cut')).mirrorLinks).toEqual([{ servers: ['s1', 's2'], up: false }]);
    await g.cli('link', 'restore', 's1', 's2');
    await g.server('shutdown', 's1');
    await g.server('shutdown', 's2');
    const down = await valid('both shut down');
    expect(down.servers.map((x) => `${x.power}/${x.seenAs}`)).toEqual(['off/Unavailable', 'off/Unavailable']);
  });
});
