// The default plan against the engine on loop devices (needs root and losetup; skipped with the
// reason printed where they are missing): one test per path, each on a fresh engine group.
import { engineAdapter } from '../../adapters/engine/index.js';
import { createPlan } from '../../harness/plan/index.js';
import { conformanceTopology } from '../../models/topology.js';
import { conformanceSuite } from '../helpers/conformance-suite.js';
import { loopUnavailable } from '../helpers/engine-group.js';

const unavailable = await loopUnavailable();
conformanceSuite({
  name: 'conformance: the engine on loop devices, the default plan',
  plan: createPlan(conformanceTopology(), 'components', { seed: 1 }),
  adapter: unavailable ? { unavailable } : engineAdapter({ backend: 'loop' }),
});
