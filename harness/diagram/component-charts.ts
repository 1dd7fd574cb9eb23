// The charts of the group's component machines, read from the machines the composed model uses
// (`defaultMachines` of models/group.ts) with SPEC IDs from their source files in models/. A
// machine added to the group appears here, and in every diagram and report, without changes.

import { join } from 'node:path';
import { repositoryRoot as rootOfRepository } from '../../engine/build/engine-bundle.js';
import { defaultMachines } from '../../models/group.js';
import type { KindChart } from './group-overview.js';
import { machineChart } from './machine-chart.js';
import { readMachineSources } from './machine-source.js';

/** The repository root (paths in generated headers are relative to it). */
export const repositoryRoot = rootOfRepository();

let cached: KindChart[] | null = null;

/** Every component kind of the group with its machine's chart, in the group's order. */
export function componentCharts(): KindChart[] {
  if (!cached) {
    const sources = readMachineSources(join(repositoryRoot, 'models'), repositoryRoot);
    cached = Object.entries(defaultMachines).map(([kind, machine]) => ({ kind, chart: machineChart(machine, sources.get(machine.id)) }));
  }
  return cached;
}
