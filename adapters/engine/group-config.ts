// The topology of a plan, as the engine's group configuration (engine/config, docs/engine.md).
// The two are close: servers with their ports, automatic restart attempts and UPS, hosts, and
// single or mirrored virtual disks with the preferred copy first. What the topology does not say
// comes from the adapter's settings: the backend, small disks (quick full recoveries), the cache
// size, a destage delay that makes write-back observable, quick mirror failure detection, and the
// test-only settings (power-loss mode, fault switches).
// `exclude` (events left out of exploration) means nothing to a running system and is dropped.

import type { Topology } from '../../models/types.js';
import type { EngineSettings } from './types.js';

/** The engine's configuration input for `topology` (validated by the engine when the group comes up). */
export function groupConfigFor(topology: Topology, settings: EngineSettings): Record<string, unknown> {
  return {
    name: groupName(topology.name),
    servers: topology.servers.map((s) => ({
      name: s.name,
      ports: s.ports.map((p) => ({ name: p.name, roles: [...p.roles], targetOnly: p.targetOnly === true, unixSocket: false })),
      autoRestartAttempts: s.autoRestartAttempts,
      ups: s.ups,
      cache: { mode: 'writeBack', sizeMiB: settings.cacheSizeMiB },
      pool: { backend: settings.backend },
    })),
    hosts: [...topology.hosts],
    virtualDisks: topology.virtualDisks.map((v) =>
      v.kind === 'single'
        ? { name: v.name, kind: 'single', server: v.server, sizeMiB: settings.diskSizeMiB }
        : { name: v.name, kind: 'mirrored', copies: [...v.copies], sizeMiB: settings.diskSizeMiB },
    ),
    mirror: { heartbeatMs: settings.heartbeatMs, deadAfterMs: settings.deadAfterMs },
    recoveryMiBPerSecond: settings.recoveryMiBPerSecond,
    tuning: { destageDelayMs: settings.destageDelayMs },
    testing: { faults: [...settings.faults], powerLoss: settings.powerLoss },
  };
}

/** The engine's group names are lowercase names of at most 32 characters; a topology's name may be anything. */
function groupName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 24)
    .replace(/-+$/, '');
  return cleaned === '' ? 'sanspec' : cleaned;
}
