// Plan files: JSON under the published schema (plan-schema.ts). Loading checks, in order, the
// shape (naming the offending field), the topology (models/topology.ts), the criterion, unique
// path IDs, and that every step's event is in the topology's alphabet (naming the path, the step
// and what is wrong). Saving writes one step per line, so that a diff of two plans reads well,
// and replaces the file atomically.

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { createGroupModel } from '../../models/group.js';
import { TopologyError, topologyProblems } from '../../models/topology.js';
import type { Topology } from '../../models/types.js';
import { parseCriterion } from './criterion.js';
import { PlanError } from './plan-error.js';
import { PlanSchema } from './plan-schema.js';
import { canonicalEventKey } from './state-graph.js';
import type { Plan } from './types.js';

/** Problems listed in an error, at most. */
const MAX_PROBLEMS = 10;

/** Reads and checks a plan file; throws SANSPEC_BAD_PLAN naming the file and what is wrong. */
export function loadPlan(file: string): Plan {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new PlanError('SANSPEC_BAD_PLAN', `cannot read plan file ${file}: ${code}`, { file });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PlanError('SANSPEC_BAD_PLAN', `plan file ${file} is not valid JSON: ${(error as Error).message}`, { file });
  }
  return checkPlan(value, file);
}

/** Checks a parsed plan; `source` names it in errors. */
export function checkPlan(value: unknown, source = 'plan'): Plan {
  const bad = (problems: Array<{ field: string; problem: string }>) =>
    new PlanError(
      'SANSPEC_BAD_PLAN',
      `${source} is not a valid plan:\n${problems
        .slice(0, MAX_PROBLEMS)
        .map((p) => `  ${p.field}: ${p.problem}`)
        .join('\n')}${problems.length > MAX_PROBLEMS ? `\n  ... and ${problems.length - MAX_PROBLEMS} more` : ''}`,
      { source, problems: problems.slice(0, MAX_PROBLEMS) },
    );

  const shape = [...Value.Errors(PlanSchema, value)].map((e) => ({ field: fieldOf(e.path), problem: e.message }));
  if (shape.length > 0) throw bad(dedupe(shape));
  const plan = value as Plan;

  const topology = plan.topology as Topology;
  const topo = topologyProblems(topology).map((p) => ({ field: `topology.${p.field}`, problem: p.problem }));
  if (topo.length > 0) throw bad(topo);

  try {
    parseCriterion(plan.criterion);
  } catch (error) {
    throw bad([{ field: 'criterion', problem: (error as Error).message }]);
  }
  if (plan.shard && plan.shard.index > plan.shard.count) {
    throw bad([{ field: 'shard.index', problem: `shard ${plan.shard.index} of ${plan.shard.count} does not exist` }]);
  }

  const problems: Array<{ field: string; problem: string }> = [];
  const seen = new Map<string, number>();
  plan.paths.forEach((p, i) => {
    const first = seen.get(p.id);
    if (first !== undefined) problems.push({ field: `paths[${i}].id`, problem: `path ID ${p.id} is used twice (also paths[${first}])` });
    else seen.set(p.id, i);
  });
  if (problems.length > 0) throw bad(problems);

  let alphabet: ReturnType<typeof createGroupModel>['alphabet'];
  try {
    alphabet = createGroupModel(topology).alphabet;
  } catch (error) {
    if (error instanceof TopologyError) throw bad(error.problems.map((p) => ({ field: `topology.${p.field}`, problem: p.problem })));
    throw error;
  }
  const keys = new Set(alphabet.map(canonicalEventKey));
  const types = new Set(alphabet.map((e) => e.type));
  plan.paths.forEach((p, i) => {
    p.steps.forEach((s, j) => {
      if (keys.has(canonicalEventKey(s.event))) return;
      const what = JSON.stringify(s.event);
      const problem = types.has(s.event.type)
        ? `${what} is not an event of topology ${topology.name}: it names a server, virtual disk, copy or link the topology does not have`
        : `${what}: event type ${JSON.stringify(s.event.type)} is not in the alphabet of topology ${topology.name}`;
      problems.push({ field: `paths[${i}].steps[${j}].event (path ${p.id}, step ${j + 1})`, problem });
    });
  });
  if (problems.length > 0) throw bad(problems);
  return plan;
}

/** `/paths/3/steps/0/overlapIo` -> `paths[3].steps[0].overlapIo`. */
function fieldOf(pointer: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (parts.length === 0) return '(the plan)';
  return parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** TypeBox reports a failed union once per member; keep one message per field. */
function dedupe(problems: Array<{ field: string; problem: string }>): Array<{ field: string; problem: string }> {
  const byField = new Map<string, string>();
  for (const p of problems) if (!byField.has(p.field)) byField.set(p.field, p.problem);
  return [...byField].map(([field, problem]) => ({ field, problem }));
}

/** Writes a plan file (atomically: a temporary file renamed over it). */
export function savePlan(file: string, plan: Plan): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, serializePlan(plan));
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** A plan as the text of its file: JSON, one step and one covered item per line. */
export function serializePlan(plan: Plan): string {
  const j = (v: unknown) => JSON.stringify(v);
  const list = (items: readonly unknown[], indent: string) =>
    items.length === 0 ? '[]' : `[\n${items.map((x) => `${indent}  ${j(x)}`).join(',\n')}\n${indent}]`;
  const paths = plan.paths.map((p) =>
    [
      '    {',
      `      "id": ${j(p.id)},`,
      `      "spec": ${j(p.spec)},`,
      `      "covers": ${list(p.covers, '      ')},`,
      `      "steps": ${list(p.steps, '      ')}`,
      '    }',
    ].join('\n'),
  );
  const head = JSON.stringify({ ...plan, paths: '\u0000' }, null, 2);
  return `${head.replace('"\\u0000"', paths.length === 0 ? '[]' : `[\n${paths.join(',\n')}\n  ]`)}\n`;
}
