// Stable path IDs: the criterion's prefix and 8 hex digits of a SHA-256 of the topology name and
// the steps' labels, so that the same path gets the same ID in every plan that contains it
// (`components-3f9a0c12`). Distinct paths whose hashes collide, and repeated paths (random walks
// may repeat), get `-2`, `-3` ... in plan order, which is deterministic too.

import { createHash } from 'node:crypto';
import { eventLabel } from '../check/format.js';
import type { PlanStep } from './types.js';

/** A step's label in the hash: the event as an operator types it, and ` +io` for writes in flight. */
export function stepLabel(s: PlanStep): string {
  return `${eventLabel(s.event)}${s.overlapIo ? ' +io' : ''}`;
}

/** The ID of a path, before any collision suffix. */
export function pathId(prefix: string, topologyName: string, steps: readonly PlanStep[]): string {
  const hash = createHash('sha256').update(topologyName);
  for (const s of steps) hash.update(`\n${stepLabel(s)}`);
  return `${prefix}-${hash.digest('hex').slice(0, 8)}`;
}

/** IDs of a plan's paths, unique: the second path with an ID gets `-2`, and so on. */
export function uniquePathIds(prefix: string, topologyName: string, paths: ReadonlyArray<readonly PlanStep[]>): string[] {
  const used = new Map<string, number>();
  return paths.map((steps) => {
    const id = pathId(prefix, topologyName, steps);
    const n = (used.get(id) ?? 0) + 1;
    used.set(id, n);
    return n === 1 ? id : `${id}-${n}`;
  });
}
