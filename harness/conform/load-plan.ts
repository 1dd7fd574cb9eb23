// A plan file (`sanspec run --plan FILE`): JSON as `sanspec plan --out` writes it, checked before
// anything runs: its format version, its topology, and every step's event, which must be one of
// the topology's events. A bad file is SANSPEC_BAD_PLAN, naming what is wrong and where.

import { readFileSync } from 'node:fs';
import { createGroupModel } from '../../models/group.js';
import { topologyProblems } from '../../models/topology.js';
import type { Plan } from '../plan/types.js';
import { canonicalJson } from './status-diff.js';

/** A plan file that cannot run. */
export class PlanFileError extends Error {
  readonly code = 'SANSPEC_BAD_PLAN';
  constructor(message: string) {
    super(message);
    this.name = 'PlanFileError';
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Checks a parsed plan; throws PlanFileError naming the first problems found. */
export function checkPlan(plan: unknown, source = 'the plan'): Plan {
  const bad = (what: string) => new PlanFileError(`${source}: ${what}`);
  if (!isObject(plan)) throw bad('not a JSON object');
  if (plan.version !== 1)
    throw bad(`format version ${JSON.stringify(plan.version)}; this sanspec reads version 1 (make the plan again with sanspec plan)`);
  if (!isObject(plan.topology)) throw bad('no topology');
  const problems = topologyProblems(plan.topology as never);
  if (problems.length > 0) throw bad(`invalid topology: ${problems.map((p) => `${p.field}: ${p.problem}`).join('; ')}`);
  if (!Array.isArray(plan.paths)) throw bad('no paths array');
  const model = createGroupModel(plan.topology as never);
  const alphabet = new Set(model.alphabet.map((e) => canonicalJson(e)));
  const ids = new Set<string>();
  plan.paths.forEach((p: unknown, i) => {
    if (!isObject(p) || typeof p.id !== 'string' || !Array.isArray(p.spec) || !Array.isArray(p.steps) || !Array.isArray(p.covers)) {
      throw bad(`paths[${i}] needs id, spec, steps and covers`);
    }
    if (ids.has(p.id)) throw bad(`path id ${p.id} is used twice`);
    ids.add(p.id);
    p.steps.forEach((s: unknown, j) => {
      if (!isObject(s) || !isObject(s.event) || !alphabet.has(canonicalJson(s.event))) {
        throw bad(
          `paths[${i}] (${p.id}) step ${j + 1}: ${JSON.stringify(isObject(s) ? s.event : s)} is not an event of topology ${(plan.topology as { name?: string }).name}`,
        );
      }
    });
  });
  if (typeof plan.seed !== 'number' || typeof plan.criterion !== 'string') throw bad('needs a numeric seed and a criterion');
  return {
    shard: null,
    coverage: { unit: 'paths', goal: plan.paths.length, covered: plan.paths.length, uncovered: [] },
    ...plan,
  } as unknown as Plan;
}

/** Reads and checks a plan file. */
export function loadPlanFile(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PlanFileError(`cannot read plan file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PlanFileError(`plan file ${file} is not valid JSON: ${(error as Error).message}`);
  }
  return checkPlan(parsed, `plan file ${file}`);
}

/** Shard `index` (1-based) of `count` of a plan: its paths dealt round-robin by position. */
export function shardPlan(plan: Plan, shard: { index: number; count: number }): Plan {
  return { ...plan, shard, paths: plan.paths.filter((_, i) => i % shard.count === shard.index - 1) };
}
