// One measurement in a fresh process, so that peak memory and JIT warm-up belong to it alone.
// Usage: node <bundle of this file> <ours-explore|ours-check|ours-check-full|xstate-graph> <topology>
// (model-section.ts bundles it with esbuild, as `sanspec check` runs the checker: see
// harness/check/check-in-workers.ts; both sides of every comparison run from the same bundle).
import { getShortestPaths } from 'xstate/graph';
import { checkModel } from '../harness/check/check-model.js';
import { explore } from '../harness/explore/explore.js';
import { createGroupMachine } from '../models/group-machine.js';
import { createGroupModel } from '../models/group.js';
import { namedTopologies } from '../models/topology.js';
import type { GroupEvent } from '../models/types.js';

const [mode, name] = process.argv.slice(2);
const topology = namedTopologies[name ?? '']?.();
if (!topology) throw new Error(`unknown topology ${name}`);

let states = 0;
let transitions = 0;
let explored = 0;
const started = performance.now();
if (mode === 'ours-explore') {
  const x = explore(createGroupModel(topology));
  states = x.states.length;
  transitions = x.transitions;
} else if (mode === 'ours-check' || mode === 'ours-check-full') {
  // ours-check-full: without symmetry reduction, to compare with it side by side.
  const r = checkModel(createGroupModel(topology), { symmetry: mode === 'ours-check', maxStates: 5_000_000 });
  if (r.violations.length > 0) throw new Error(`violations: ${r.violations.map((v) => v.invariant).join(', ')}`);
  states = r.states;
  transitions = r.transitions;
  explored = r.exploredStates;
} else if (mode === 'xstate-graph') {
  const { machine, model } = createGroupMachine(topology);
  const paths = getShortestPaths(machine, { events: model.alphabet as GroupEvent[] });
  states = paths.length;
} else {
  throw new Error(`unknown mode ${mode}`);
}
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ states, explored, transitions, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
