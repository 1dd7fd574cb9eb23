// `random:N`: N walks over the enabled events, chosen by fast-check from the seed. Each walk is a
// list of choices drawn by `fc.sample` (lengths spread over 1 to the length bound); at every step the choice
// picks one of the events the model accepts in the current state. The same seed gives the same
// choices, so the same walks (`sanspec run --criterion random:N --seed S --path ID` replays one).
// A failing walk is shrunk by the runner (harness/conform/minimize.ts) rather than by fast-check's
// shrinker: shrinking a walk's choices would re-map every event after the first change, while the
// runner removes events themselves, checks each candidate against the model and plays it on a
// fresh system, as fc.asyncModelRun would with fc.commands.

import fc from 'fast-check';
import type { CoverGoal } from './cover-goal.js';
import type { HealRoutes } from './heal.js';
import { PathWalker, type RawPath } from './path-walker.js';
import type { StateGraph } from './state-graph.js';

/** The walks' choices: for each walk, one number per step. */
export function walkChoices(seed: number, n: number, maxLength: number): number[][] {
  return fc.sample(fc.array(fc.nat(), { minLength: 1, maxLength, size: 'max' }), { seed, numRuns: n });
}

/** N seeded random walks over enabled events, each ending with its heal suffix. */
export function randomWalks(graph: StateGraph, goal: CoverGoal, heals: HealRoutes, seed: number, n: number, maxLength: number): RawPath[] {
  return walkChoices(seed, n, maxLength).map((choices, i) => {
    const walker = new PathWalker(graph, goal, heals);
    walker.note(`random walk ${i + 1} of ${n}`);
    for (const c of choices) {
      const first = graph.edgeStart[walker.state]!;
      const count = graph.edgeStart[walker.state + 1]! - first;
      if (count === 0) break;
      walker.edge(first + (c % count));
    }
    walker.heal();
    return walker.finish();
  });
}
