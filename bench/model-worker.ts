// One measurement in a fresh process, so that peak memory and JIT warm-up belong to it alone.
// Usage: tsx bench/model-worker.ts <ours-explore|ours-check|xstate-graph> <topology>
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
const started = performance.now();
if (mode === 'ours-explore') {
  const x = explore(createGroupModel(topology));
  states = x.states.length;
  transitions = x.transitions;
} else if (mode === 'ours-check') {
  const r = checkModel(createGroupModel(topology));
  if (r.violations.length > 0) throw new Error(`violations: ${r.violations.map((v) => v.invariant).join(', ')}`);
  states = r.states;
  transitions = r.transitions;
} else if (mode === 'xstate-graph') {
  const { machine, model } = createGroupMachine(topology);
  const paths = getShortestPaths(machine, { events: model.alphabet as GroupEvent[] });
  states = paths.length;
} else {
  throw new Error(`unknown mode ${mode}`);
}
const ms = performance.now() - started;
process.stdout.write(`${JSON.stringify({ states, transitions, ms, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
