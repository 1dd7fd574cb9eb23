import { commandAdapterFromFile } from '../../adapters/command/index.js';
import { createPlan } from '../../harness/plan/index.js';
import { conformanceTopology } from '../../models/topology.js';
import { conformanceSuite } from '../helpers/conformance-suite.js';
import { hasTool } from '../helpers/debian-tools.js';

const manifest = new URL('../../examples/engine-cli/manifest.json', import.meta.url).pathname;
const jq = hasTool('jq');
const plan = createPlan(conformanceTopology(), 'components', { seed: 1 });
const wanted = /seed: (s1 stopped alone|s1 then s2 stopped, started s2 then s1|s1 crashed|every server crashed)/;
const seeds = plan.paths.filter((p) => p.covers.some((c) => wanted.test(c)));
if (seeds.length !== 4) throw new Error(`expected 4 seed cases for the engine CLI suite, the plan has ${seeds.length}`);

conformanceSuite({
  name: 'conformance: the engine CLI through the command adapter, the seed cases',
  plan: { ...plan, paths: seeds },
  adapter: jq ? await commandAdapterFromFile(manifest) : { unavailable: 'jq is not installed' },
  timeoutMs: 300_000,
});
