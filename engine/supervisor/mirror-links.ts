import type { GroupConfig } from '../config/types.js';

/** The pairs of servers that share mirrored virtual disks, in configuration order (one link each). */
export function mirrorLinkPairs(config: GroupConfig): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const v of config.virtualDisks) {
    if (v.kind !== 'mirrored') continue;
    const [a, b] = v.copies;
    if (!pairs.some(([x, y]) => (x === a && y === b) || (x === b && y === a))) pairs.push([a, b]);
  }
  return pairs;
}
