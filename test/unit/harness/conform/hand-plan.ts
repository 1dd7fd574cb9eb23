// Hand-built plans for the runner's tests: paths written as event labels (`stop s1`), a leading
// `~` marking a step whose action overlaps host writes.

import { parseEvent } from '../../../../harness/check/format.js';
import type { Plan, PlanPath } from '../../../../harness/plan/types.js';
import { conformanceTopology } from '../../../../models/topology.js';
import type { Topology } from '../../../../models/types.js';

/** A path by hand: its name (the id becomes `hand-NAME`), SPEC IDs and steps as labels. */
export interface HandPath {
  readonly name: string;
  readonly spec: readonly string[];
  readonly steps: readonly string[];
}

/** The path of a hand-written description. */
export function handPath(p: HandPath): PlanPath {
  return {
    id: `hand-${p.name}`,
    spec: p.spec,
    covers: [p.name],
    steps: p.steps.map((label) =>
      label.startsWith('~') ? { event: parseEvent(label.slice(1)), overlapIo: true } : { event: parseEvent(label) },
    ),
  };
}

/** A plan (criterion `replay`) of the given paths on `topology` (default: the conformance topology). */
export function planOfPaths(paths: readonly PlanPath[], topology: Topology = conformanceTopology(), unit = 'hand-written paths'): Plan {
  return {
    version: 1,
    topology,
    criterion: 'replay',
    seed: 1,
    shard: null,
    coverage: { unit, goal: paths.length, covered: paths.length, uncovered: [] },
    paths,
  };
}

/** A plan of hand-written paths on `topology` (default: the conformance topology). */
export function handPlan(paths: readonly HandPath[], topology: Topology = conformanceTopology()): Plan {
  return planOfPaths(paths.map(handPath), topology);
}

/** The seed page's cases on the conformance topology, by hand (until the planner's plans are used). */
export const seedCases: readonly HandPath[] = [
  {
    name: 'stop-s1-while-writing',
    spec: ['SRV-1', 'SRV-3', 'SRV-5', 'SRV-7', 'PTH-2', 'PTH-3', 'MIR-2', 'MIR-3', 'MIR-5', 'MIR-7', 'VD-1', 'DS-1', 'DS-6'],
    steps: ['~stop s1', 'write m1', 'flush m1', 'start s1', 'recoveryComplete m1'],
  },
  {
    name: 'stop-s2-while-writing',
    spec: ['SRV-1', 'SRV-7', 'PTH-3', 'MIR-2', 'MIR-5', 'MIR-7', 'VD-1', 'DS-1', 'DS-6'],
    steps: ['~stop s2', 'write m1', 'start s2', 'recoveryComplete m1'],
  },
  {
    name: 'both-stopped-s1-first-s2-started-first',
    spec: ['MIR-8', 'MIR-9', 'MIR-10', 'MIR-12', 'DS-1', 'DS-7'],
    steps: ['~stop s1', 'write m1', '~stop s2', 'write m1', 'start s2', 'start s1', 'recoveryComplete m1'],
  },
  {
    name: 'both-stopped-s2-first-s2-started-first',
    spec: ['MIR-8', 'MIR-9', 'MIR-10', 'MIR-12', 'DS-1'],
    steps: ['stop s2', 'write m1', 'stop s1', 'start s2', 'start s1', 'recoveryComplete m1'],
  },
  {
    name: 'crash-s1',
    spec: ['SRV-10', 'SRV-11', 'MIR-2', 'MIR-6', 'DS-2', 'DS-3', 'DS-6'],
    steps: ['~crash s1', 'powerOn s1', 'start s1', 'recoveryComplete m1'],
  },
  {
    name: 'crash-s2-alone-serving',
    spec: ['SRV-11', 'MIR-9', 'DS-3'],
    steps: ['stop s1', '~crash s2', 'powerOn s2', 'start s2', 'start s1', 'recoveryComplete m1'],
  },
  {
    name: 'site-crash-force',
    spec: ['MIR-11', 'SRV-10', 'DS-3', 'DS-4', 'DS-5'],
    steps: ['~siteCrash', 'powerOn s1', 'powerOn s2', 'start s1', 'start s2', 'forceMirrorRecovery m1 --copy s1', 'recoveryComplete m1'],
  },
  {
    name: 'force-older-copy',
    spec: ['MIR-11', 'DS-4', 'DS-5'],
    steps: ['stop s2', 'write m1', 'stop s1', 'start s2', 'forceMirrorRecovery m1 --copy s2', 'start s1', 'recoveryComplete m1'],
  },
  {
    name: 'ups',
    spec: ['SRV-13', 'MIR-2'],
    steps: ['onBattery s1', 'write m1', 'batteryLow s1', 'mainsRestored s1', 'start s1', 'recoveryComplete m1'],
  },
  {
    name: 'refusals',
    spec: ['SRV-12', 'VD-1', 'DS-7'],
    steps: ['start s1', 'powerOn s1', 'stop s1', 'stop s1', 'write v1', 'flush v1', 'start s1', 'recoveryComplete m1'],
  },
  {
    name: 'cache-restart',
    spec: ['SRV-6', 'SRV-8', 'SRV-9'],
    steps: ['setCache s2 writeThrough', 'restart s2', 'recoveryComplete m1', 'shutdown s1', 'powerOn s1', 'recoveryComplete m1'],
  },
  {
    name: 'link-down',
    spec: ['MIR-13'],
    steps: ['linkDown s1-s2', 'write m1', 'linkUp s1-s2', 'recoveryComplete m1'],
  },
];
