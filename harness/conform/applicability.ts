// Whether a path can run on an adapter: every event it uses must be one the adapter performs
// (`write` and `flush` need host I/O; `recoveryComplete` is waited for unless the adapter holds
// recoveries), and a topology with mirrored disks needs mirrored-disk support. A path that needs
// more is reported not applicable, with the adapter's own reason. Missing copy readers or cache
// probes only skip those probes (DS-6, SRV-6): the rest of the path still runs.

import type { Capabilities, CapabilityFeature } from '../../adapters/types.js';
import type { GroupEventType, Topology } from '../../models/types.js';
import type { PlanPath } from '../plan/types.js';

/** Why `path` cannot run with these capabilities, or null when it can. */
export function notApplicable(path: PlanPath, topology: Topology, caps: Capabilities): string | null {
  const reason = (what: GroupEventType | CapabilityFeature, fallback: string) => {
    const why = caps.reasons?.[what];
    return why ? `${fallback}: ${why}` : fallback;
  };
  if (!caps.mirroredDisks && topology.virtualDisks.some((v) => v.kind === 'mirrored')) {
    return reason('mirroredDisks', `the topology has mirrored virtual disks, which the adapter does not support`);
  }
  const events = new Set(caps.events);
  for (const step of path.steps) {
    const type = step.event.type;
    if (type === 'write' || type === 'flush') {
      if (!caps.hostIo) return reason('hostIo', `step "${type}" needs host I/O, which the adapter does not offer`);
      continue;
    }
    if (type === 'recoveryComplete' && !caps.holdsRecovery) continue;
    if (!events.has(type)) return reason(type, `the adapter cannot perform event "${type}"`);
  }
  if (path.steps.some((s) => s.overlapIo) && !caps.hostIo) {
    return reason('hostIo', 'the path overlaps host I/O with an action, and the adapter offers no host I/O');
  }
  return null;
}
