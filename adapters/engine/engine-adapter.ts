// The engine adapter: every system under test is a fresh engine group in the run's work
// directory, configured from the topology (group-config.ts), its processes started from the
// engine's bundles so that a group is up in a fraction of a second.

import { assertTopology } from '../../models/topology.js';
import type { Adapter } from '../types.js';
import { engineCapabilities } from './capabilities.js';
import { upEngineGroup } from './engine-group.js';
import { EngineSystem } from './engine-system.js';
import { groupConfigFor } from './group-config.js';
import { type EngineAdapterOptions, engineDefaults } from './types.js';

/** An adapter opening engine groups with `options` (backend, disk size, destage delay, ...). */
export function engineAdapter(options: EngineAdapterOptions = {}): Adapter {
  const settings = { ...engineDefaults, ...options };
  return {
    name: `engine (${settings.backend}${settings.faults.length > 0 ? `, faults: ${settings.faults.join(', ')}` : ''})`,
    capabilities: () => engineCapabilities(),
    async open(topology, { workDir, signal, log }) {
      assertTopology(topology);
      const group = await upEngineGroup(workDir, groupConfigFor(topology, settings), { fromSources: settings.fromSources, signal });
      log?.(`engine: group up in ${workDir}, supervisor ${group.url}`);
      return new EngineSystem(group, topology, { signal, log });
    },
  };
}
