// `depth:K`: every sequence of K events of the alphabet from the initial state, refused events
// included (they test SRV-12: refused, nothing changes), each its own path with a heal suffix.
// Sequences are enumerated in alphabet order, so the plan is the same on every run.

import type { HealRoutes } from './heal.js';
import { PathWalker, type RawPath } from './path-walker.js';
import { PlanError } from './plan-error.js';
import type { StateGraph } from './state-graph.js';

/** Most paths a depth plan may have; the sequences grow as the alphabet size to the power K. */
export const MAX_DEPTH_PATHS = 250_000;

/** Throws USAGE_BAD_ARGUMENT when depth:k over an alphabet of `a` events would plan too many paths. */
export function checkDepth(a: number, k: number): void {
  const total = a ** k;
  if (total > MAX_DEPTH_PATHS) {
    throw new PlanError(
      'USAGE_BAD_ARGUMENT',
      `depth:${k} would plan ${total} paths (${a} events to the power ${k}), more than ${MAX_DEPTH_PATHS}: choose a smaller K`,
      { k, alphabet: a, paths: total },
    );
  }
}

/** Every event sequence of length k, as paths. */
export function depthPaths(graph: StateGraph, heals: HealRoutes, k: number): RawPath[] {
  const a = graph.model.alphabet.length;
  const total = a ** k;
  checkDepth(a, k);
  const paths: RawPath[] = [];
  const sequence = new Array<number>(k).fill(0);
  for (let n = 0; n < total; n++) {
    for (let i = k - 1, x = n; i >= 0; i--, x = Math.floor(x / a)) sequence[i] = x % a;
    const walker = new PathWalker(graph, null, heals);
    walker.note(`sequence ${n + 1} of ${total}`);
    for (const e of sequence) walker.event(e, 'sequence');
    walker.heal();
    paths.push(walker.finish());
  }
  return paths;
}
