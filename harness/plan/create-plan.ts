// The planner: turns the composed model of a topology into the paths of a test plan.
//
// Model of time and state. A path is played from a fresh system in the model's initial state
// (every server powered on and running, every copy up to date). Each step is one event; the
// model's step function gives the next state, or refuses the event and keeps the state (SRV-12).
// Asynchronous behaviour is made explicit: a recovery runs until a `recoveryComplete` step, and
// host I/O happens only at `write` and `flush` steps, or in flight during a step marked
// `overlapIo`. Every path ends with a heal suffix (heal.ts), so the runner can read every block
// back at the end.
//
// The planner explores the whole composed state space once (state-graph.ts), then:
// - `components`: plays the seed page's cases (seed-cases.ts), then covers every component
//   status transition and every refusal code they missed with greedy walks (greedy-cover.ts,
//   component-goal.ts);
// - `states`, `transitions`, `transition-pairs`: greedy walks over those items (cover-goal.ts);
// - `depth:K`: every event sequence of length K (depth-paths.ts);
// - `random:N`: N seeded walks (random-walks.ts).
// Every path's SPEC IDs come from what its steps do (spec-ids.ts); its ID from its steps (path-id.ts).
// The same topology, criterion, seed and length bound give the same plan.

import { match } from 'ts-pattern';
import { createGroupModel } from '../../models/group.js';
import type { Topology } from '../../models/types.js';
import { statusLine } from '../check/format.js';
import { componentsGoal, componentTransitions, stateRefusals } from './component-goal.js';
import { type CoverGoal, statesGoal, transitionPairsGoal, transitionsGoal } from './cover-goal.js';
import { criterionPrefix, formatCriterion, parseCriterion } from './criterion.js';
import { checkDepth, depthPaths } from './depth-paths.js';
import { coverGreedily } from './greedy-cover.js';
import { computeHealRoutes, type HealRoutes } from './heal.js';
import { uniquePathIds } from './path-id.js';
import { PathWalker, type RawPath } from './path-walker.js';
import { PlanError } from './plan-error.js';
import { randomWalks } from './random-walks.js';
import { missingEvents, playSeedCase, seedCases } from './seed-cases.js';
import { pathSpecIds } from './spec-ids.js';
import { buildStateGraph, reorderEdges, seededPermutation, type StateGraph } from './state-graph.js';
import type { Criterion, Plan, PlanCoverage, PlanPath, PlanStep } from './types.js';

/** Seed of plans when none is given. */
export const DEFAULT_SEED = 1;
/** Steps before the heal suffix a path aims not to exceed, when not given. */
export const DEFAULT_MAX_PATH_LENGTH = 25;
/** Uncovered items listed in a plan's coverage, at most. */
const UNCOVERED_SAMPLE = 30;

export interface PlanOptions {
  /** Seed of random walks and of tie-breaking between equally good steps (default 1). */
  readonly seed?: number;
  /** Keep only shard `index` (1-based) of `count`; coverage figures stay the whole plan's. */
  readonly shard?: { readonly index: number; readonly count: number } | null;
  /** Steps before the heal suffix a path aims not to exceed (default 25); random walks' longest length. */
  readonly maxPathLength?: number;
  /** Give up exploring past this many states (default: the explorer's). */
  readonly maxStates?: number;
}

/** Plans paths through the composed model of a topology. */
export function createPlan(topology: Topology, criterion: Criterion | string, options: PlanOptions = {}): Plan {
  const c = typeof criterion === 'string' ? parseCriterion(criterion) : criterion;
  const seed = options.seed ?? DEFAULT_SEED;
  const maxPathLength = options.maxPathLength ?? DEFAULT_MAX_PATH_LENGTH;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new PlanError('USAGE_BAD_ARGUMENT', `seed must be an integer from 0 to 4294967295 (got ${seed})`, { seed });
  }
  if (!Number.isInteger(maxPathLength) || maxPathLength < 1) {
    throw new PlanError('USAGE_BAD_ARGUMENT', `the longest path must be a positive integer of steps (got ${maxPathLength})`, {
      maxPathLength,
    });
  }
  const shard = options.shard ?? null;
  if (
    shard &&
    !(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 1 && shard.index <= shard.count)
  ) {
    throw new PlanError('USAGE_BAD_ARGUMENT', `shard ${shard.index}/${shard.count} does not exist: use I/N with 1 <= I <= N`, { shard });
  }
  if (c.kind === 'replay') {
    throw new PlanError(
      'USAGE_BAD_ARGUMENT',
      'replay plans are written by hand or by a minimizer, not planned: give the file to `sanspec run --replay`',
    );
  }

  const model = createGroupModel(topology);
  if (c.kind === 'depth') checkDepth(model.alphabet.length, c.k);
  const explored = buildStateGraph(model, { maxStates: options.maxStates });
  const graph = reorderEdges(explored, seededPermutation(model.alphabet.length, seed));
  const heals = computeHealRoutes(graph, statusLine);

  const { raw, coverage, overlap } = match(c)
    .with({ kind: 'components' }, () => componentsPlan(graph, heals, maxPathLength))
    .with({ kind: 'states' }, () => greedyPlan(graph, heals, statesGoal(graph), maxPathLength))
    .with({ kind: 'transitions' }, () => greedyPlan(graph, heals, transitionsGoal(graph), maxPathLength))
    .with({ kind: 'transition-pairs' }, () => greedyPlan(graph, heals, transitionPairsGoal(graph), maxPathLength))
    .with({ kind: 'depth' }, ({ k }) => {
      const total = model.alphabet.length ** k;
      const paths = depthPaths(graph, heals, k);
      return {
        raw: paths,
        overlap: false,
        coverage: { unit: `event sequences of length ${k}`, goal: total, covered: paths.length, uncovered: [] },
      };
    })
    .with({ kind: 'random' }, ({ n }) => {
      const goal = transitionsGoal(graph);
      const raw = randomWalks(graph, goal, heals, seed, n, maxPathLength);
      return { raw, overlap: true, coverage: coverageOf(goal, `not taken by the ${n} random walks`) };
    })
    .exhaustive();

  if (overlap) planOverlappingIo(graph, raw);
  const all = toPlanPaths(graph, topology.name, criterionPrefix(c), raw);
  const paths = shard ? all.filter((_, i) => i % shard.count === shard.index - 1) : all;
  return {
    version: 1,
    topology,
    criterion: formatCriterion(c),
    seed,
    shard: shard ? { index: shard.index, count: shard.count } : null,
    maxPathLength,
    coverage,
    paths,
  };
}

interface Planned {
  raw: RawPath[];
  coverage: PlanCoverage;
  /** Mark some stops and crashes with host writes in flight. */
  overlap: boolean;
}

/** Seed cases first, then greedy walks over the component transitions they left. */
function componentsPlan(graph: StateGraph, heals: HealRoutes, maxPathLength: number): Planned {
  const goal = componentsGoal(componentTransitions(graph), stateRefusals(graph));
  const raw: RawPath[] = [];
  const skipped: string[] = [];
  for (const c of seedCases(graph.model.topology)) {
    const missing = missingEvents(graph, c);
    if (missing) {
      skipped.push(missing);
      continue;
    }
    const walker = new PathWalker(graph, goal, heals);
    playSeedCase(graph, walker, c);
    walker.heal();
    raw.push(walker.finish());
  }
  const greedy = coverGreedily(graph, goal, heals, { maxPathLength, prefix: writeEveryDisk(graph) });
  const coverage = coverageOf(goal, 'not reached by the greedy walks');
  return { raw: [...raw, ...greedy], coverage: skipped.length > 0 ? { ...coverage, skipped } : coverage, overlap: true };
}

function greedyPlan(graph: StateGraph, heals: HealRoutes, goal: CoverGoal, maxPathLength: number): Planned {
  const raw = coverGreedily(graph, goal, heals, { maxPathLength, prefix: writeEveryDisk(graph) });
  return { raw, coverage: coverageOf(goal, 'not reached by the greedy walks'), overlap: true };
}

/** Every path starts by writing every disk that accepts a write, so that the final read-back has data to check. */
function writeEveryDisk(graph: StateGraph): (w: PathWalker) => void {
  const writes = graph.model.alphabet.flatMap((e, i) => (e.type === 'write' ? [i] : []));
  return (w) => {
    for (const e of writes) if (w.accepts(e)) w.event(e, 'data: written now, read back at the end');
  };
}

function coverageOf(goal: CoverGoal, why: string): PlanCoverage {
  const uncovered: string[] = [];
  for (let i = 0; i < goal.size && uncovered.length < UNCOVERED_SAMPLE; i++) {
    if (!goal.isCovered(i)) uncovered.push(`${goal.describe(i)}: ${why}`);
  }
  return { unit: goal.unit, goal: goal.size, covered: goal.covered, uncovered };
}

/**
 * Plans writes in flight on every other stop, restart or crash of a running server that holds a disk
 * hosts can write, across the plan: half the takedowns test a stop or crash under I/O (SRV-3,
 * MIR-2, DS-8), the other half stay easy to read. Seed cases set their own.
 */
function planOverlappingIo(graph: StateGraph, raw: RawPath[]): void {
  let eligible = 0;
  for (const p of raw) {
    if (p.covers[0]?.startsWith('seed: ')) continue;
    for (const s of p.steps) {
      if (s.edge < 0 || s.heal || s.overlapIo !== undefined) continue;
      const before = graph.status(s.from);
      const after = graph.status(s.to);
      // A restart goes down and comes back within the step.
      const restart = graph.model.alphabet[s.event]!.type === 'restart';
      const downs = before.servers
        .filter((x, i) => x.state === 'running' && (restart || after.servers[i]!.state !== 'running'))
        .map((x) => x.name);
      const writable = before.virtualDisks.some((v) => v.hostAccess === 'readWrite' && v.copies.some((c) => downs.includes(c.server)));
      if (writable && eligible++ % 2 === 0) s.overlapIo = true;
    }
  }
}

/** Plan paths of raw paths: events, IDs and SPEC IDs. */
function toPlanPaths(graph: StateGraph, topologyName: string, prefix: string, raw: RawPath[]): PlanPath[] {
  const alphabet = graph.model.alphabet;
  const steps: PlanStep[][] = raw.map((p) =>
    p.steps.map((s) =>
      s.overlapIo ? { event: alphabet[s.event]!, overlapIo: true, note: s.note } : { event: alphabet[s.event]!, note: s.note },
    ),
  );
  const ids = uniquePathIds(prefix, topologyName, steps);
  return raw.map((p, i) => ({
    id: ids[i]!,
    spec: pathSpecIds(
      p.steps.map((s) => ({ event: alphabet[s.event]!, refused: s.edge < 0, before: graph.status(s.from), after: graph.status(s.to) })),
    ),
    steps: steps[i]!,
    covers: p.covers,
  }));
}
