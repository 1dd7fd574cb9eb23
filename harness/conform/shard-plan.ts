// Sharding a plan read from a file (`sanspec run --plan FILE --shard I/N`), the way the planner
// shards the plans it makes: paths dealt round-robin by position.

import type { Plan } from '../plan/types.js';

/** Shard `index` (1-based) of `count` of a plan. A plan already sharded is sharded again among its own paths. */
export function shardPlan(plan: Plan, shard: { index: number; count: number }): Plan {
  return { ...plan, shard, paths: plan.paths.filter((_, i) => i % shard.count === shard.index - 1) };
}
