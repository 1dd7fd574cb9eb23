// `sanspec plan`: the CLI declaration over harness/plan's planCommand.
import { Type } from '@sinclair/typebox';
import { defineCommand } from '../../contracts/cli.js';
import { namedTopologies } from '../../models/topology.js';
import { capturedOutput } from './captured-output.js';

export const planCommand = defineCommand({
  name: 'plan',
  summary: 'plan test paths through the model: each from a fresh group, ending healed (JSON for sanspec run --plan)',
  description:
    'Plans test paths through the composed model of a server group for a coverage criterion. Each path starts from a fresh ' +
    'group, takes its steps and ends healed, so that every block can be read back. Prints a summary (paths, steps, coverage, ' +
    'paths per SPEC ID), or writes the plan as JSON for `sanspec run --plan FILE`. Path IDs are stable for the same criterion, ' +
    'topology and seed. Criteria: components (default: every status transition of every component, the seed page cases), ' +
    'states, transitions, transition-pairs, depth:K, random:N.',
  options: [
    { name: 'criterion', value: 'c', description: 'what to cover: components, states, transitions, transition-pairs, depth:K, random:N' },
    {
      name: 'topology',
      value: 'name-or-file',
      description: `${Object.keys(namedTopologies).join(', ')}, or a JSON file (default conformance)`,
    },
    { name: 'shard', value: 'i/n', description: 'keep shard I of N: paths dealt round-robin (coverage figures stay the whole plan’s)' },
    { name: 'seed', value: 's', description: 'seed of random walks and tie-breaking (default 1)' },
    { name: 'max-path-length', value: 'n', description: 'steps before the heal suffix a path aims not to exceed (default 25)' },
    { name: 'out', value: 'file', description: 'write the plan to FILE and print the summary' },
  ],
  examples: [
    { command: 'sanspec plan', description: 'the default plan: components of the conformance topology' },
    { command: 'sanspec plan --out plan.json', description: 'write it for `sanspec run --plan plan.json`' },
    {
      command: 'sanspec plan --criterion transitions --topology default --shard 3/8 --out shard-3.json',
      description: 'shard 3 of 8 of every composed transition (a nightly CI matrix)',
    },
    { command: 'sanspec plan --criterion random:50 --seed 7 --json', description: '50 random walks from seed 7, printed as JSON' },
  ],
  output: Type.Unknown({ description: 'the plan (harness/plan/plan-schema.ts), or with --out the summary' }),
  async action({ options }, io) {
    const { planCommand: plan } = await import('../plan/plan-command.js');
    const out = capturedOutput(io);
    const code = await plan.run(
      {
        criterion: options.criterion,
        topology: options.topology,
        shard: options.shard,
        seed: options.seed,
        maxPathLength: options['max-path-length'],
        out: options.out,
        json: io.json,
      },
      out.stdout,
    );
    out.finish();
    return code;
  },
});
