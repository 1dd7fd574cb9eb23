// The default plan (`components` on the conformance topology, what `npm start` runs) against the
// engine on sparse files: one test per path, each on a fresh engine group (test/helpers/conformance-suite.ts).
import { engineAdapter } from '../../adapters/engine/index.js';
import { createPlan } from '../../harness/plan/index.js';
import { conformanceTopology } from '../../models/topology.js';
import { conformanceSuite } from '../helpers/conformance-suite.js';

conformanceSuite({
  name: 'conformance: the engine on files, the default plan',
  plan: createPlan(conformanceTopology(), 'components', { seed: 1 }),
  adapter: engineAdapter({ backend: 'file' }),
});
