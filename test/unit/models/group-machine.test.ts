import { createActor } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import { describe, expect, it } from 'vitest';
import { explore } from '../../../harness/explore/explore.js';
import { createGroupMachine } from '../../../models/group-machine.js';
import type { GroupEvent, Topology } from '../../../models/types.js';

/** Two servers, one host, one mirrored disk: small enough for xstate/graph in a unit test. */
const mini: Topology = {
  name: 'mini',
  servers: ['s1', 's2'].map((name) => ({ name, ports: [{ name: 'fe1', roles: ['frontEnd'] }], autoRestartAttempts: 0, ups: false })),
  hosts: ['h1'],
  virtualDisks: [{ name: 'm1', kind: 'mirrored', copies: ['s1', 's2'] }],
  exclude: ['setCache'],
};

describe('the group as one XState machine', () => {
  it('xstate/graph reaches exactly the states the purpose-built explorer reaches (cross-check of MIR and SRV composition)', () => {
    const withSingle: Topology = {
      ...mini,
      name: 'mini-single',
      virtualDisks: [...mini.virtualDisks, { name: 'v1', kind: 'single', server: 's2' }],
    };
    const withAutoRestart: Topology = {
      ...mini,
      name: 'mini-auto-restart',
      servers: [mini.servers[0]!, { ...mini.servers[1]!, autoRestartAttempts: 1 }],
    };
    for (const topology of [mini, withSingle, withAutoRestart]) {
      const { machine, model } = createGroupMachine(topology);
      const ours = explore(model).states.length;
      const paths = getShortestPaths(machine, { events: model.alphabet as GroupEvent[] });
      expect(paths.length, topology.name).toBe(ours);
      expect(ours).toBeGreaterThan(100);
    }
  }, 60_000);

  it('SRV-1 and MIR-2 run as an actor: stop s1 and the mirror fails over', () => {
    const { machine } = createGroupMachine(mini);
    const actor = createActor(machine).start();
    actor.send({ type: 'stop', server: 's1' });
    actor.send({ type: 'stop', server: 's1' }); // SRV-12: refused, nothing changes
    const parts = actor.getSnapshot().context.parts;
    expect(parts[0]!.value).toMatchObject({ power: { on: 'stopped' } });
    const mirror = parts.at(-1)!.context as { copies: Array<{ up: boolean; data: string }> };
    expect(mirror.copies.map((c) => c.up)).toEqual([false, true]);
    actor.stop();
  });
});
