// The command adapter on a product nobody here wrote: examples/nbdkit-group (`nbdkit file`
// servers driven by shell scripts, single disks only), its whole default plan. Paths it cannot
// run (mirrored disks, caches it does not have) pass as not applicable, with the reason printed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { commandAdapterFromFile } from '../../adapters/command/index.js';
import { createPlan } from '../../harness/plan/index.js';
import type { Topology } from '../../models/types.js';
import { conformanceSuite } from '../helpers/conformance-suite.js';

const example = new URL('../../examples/nbdkit-group/', import.meta.url).pathname;
const topology = JSON.parse(readFileSync(`${example}topology.json`, 'utf8')) as Topology;
const missing = ['nbdkit', 'jq', 'bash'].filter((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`]);
    return false;
  } catch {
    return true;
  }
});

conformanceSuite({
  name: 'conformance: the nbdkit group through the command adapter, its default plan',
  plan: createPlan(topology, 'components', { seed: 1 }),
  adapter:
    missing.length > 0 ? { unavailable: `${missing.join(', ')} not installed` } : await commandAdapterFromFile(`${example}manifest.json`),
});
