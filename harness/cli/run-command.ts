// `sanspec run`: the CLI declaration over harness/conform's runCommand.
import { Type } from '@sinclair/typebox';
import { defineCommand } from '../../contracts/cli.js';
import { capturedOutput } from './captured-output.js';

export const runCommand = defineCommand({
  name: 'run',
  summary: 'run a plan against a system under test and check every reported state and every byte (the conformance suite)',
  description:
    'Plans paths through the model (or reads a plan file) and plays each against a fresh system under test through an adapter: ' +
    'after every step the reported status must equal the model’s prediction (CF-1), refusals must carry the model’s code, ' +
    'hosts read and write every accessible disk, probes check what the status claims, and at the end the data-safety checker ' +
    'judges every block (DS-1..8). A failing path is minimized (shortest failing prefix, then delta debugging on fresh systems), ' +
    're-run to tell a deterministic failure from a timing-dependent one, and saved with the command that replays it. ' +
    'Exit 1 on any violation, 2 on bad usage, 130 when interrupted (everything started is released).',
  options: [
    { name: 'adapter', value: 'name', description: 'engine (default), command (with --adapter-config MANIFEST) or model' },
    { name: 'adapter-config', value: 'file', description: 'the adapter’s configuration: a command manifest, model adapter settings' },
    {
      name: 'backend',
      value: 'kind',
      choices: ['file', 'loop'],
      description: 'the engine’s backing storage: file (default) or loop devices',
    },
    { name: 'criterion', value: 'c', description: 'plan criterion (default components; see sanspec plan --help)' },
    { name: 'topology', value: 'name-or-file', description: 'named topology or JSON file (default conformance)' },
    { name: 'plan', value: 'file', description: 'run this plan file (from sanspec plan --out) instead of planning' },
    {
      name: 'replay',
      value: 'file',
      description: 'replay a failing path saved by a run (failures/<id>.replay.json), as it is, without minimizing',
    },
    { name: 'path', value: 'id', description: 'run only the path with this ID (e.g. one random walk of --criterion random:N --seed S)' },
    {
      name: 'no-minimize',
      description: 'report failing paths as found: no shortest prefix, no delta debugging, no re-runs',
    },
    {
      name: 'reproduce',
      value: 'n',
      description: 're-runs of a minimized path that tell a deterministic failure from a timing-dependent one (default 3)',
    },
    { name: 'minimize-budget', value: 's', description: 'seconds each failing path may spend minimizing (default 120)' },
    { name: 'shard', value: 'i/n', description: 'run shard I of N of the plan' },
    { name: 'jobs', value: 'n', description: 'paths run at once, each on its own system (default: the number of cores)' },
    { name: 'seed', value: 's', description: 'seed of planning (default 1)' },
    { name: 'report', value: 'dir', description: 'write report.json (with its schema), junit.xml, report.html and one file per failure' },
  ],
  examples: [
    { command: 'sanspec run', description: 'the default plan against the engine on temporary files (what npm start runs)' },
    { command: 'sanspec run --backend loop --report out', description: 'on loop devices, with the reports in ./out' },
    {
      command:
        'sanspec run --adapter command --adapter-config examples/nbdkit-group/manifest.json --topology examples/nbdkit-group/topology.json',
      description: 'a product driven by shell commands (docs/adapters.md)',
    },
    {
      command: 'sanspec run --replay out/failures/components-3f9a0c12.replay.json --adapter engine',
      description: 'replay the minimized path a failing run saved',
    },
    {
      command: 'sanspec run --criterion random:200 --seed 7 --path random-5d1e22a0',
      description: 'replay one seeded random walk by its ID',
    },
    {
      command: 'sanspec run --criterion transitions --shard 2/8 --jobs 2',
      description: 'one shard of the nightly composed-transitions plan',
    },
  ],
  output: Type.Unknown({ description: 'the run report (harness/conform/report-schema.ts)' }),
  interruptible: true,
  async action({ options }, io) {
    const { runCommand: run } = await import('../conform/run-command.js');
    const out = capturedOutput(io);
    const code = await run(
      {
        adapter: options.adapter,
        adapterConfig: options['adapter-config'],
        backend: options.backend,
        criterion: options.criterion,
        topology: options.topology,
        plan: options.plan,
        replay: options.replay,
        path: options.path,
        // commander's negatable flag: the key holds whether to minimize (true unless --no-minimize).
        minimize: options['no-minimize'],
        reproduce: options.reproduce,
        minimizeBudget: options['minimize-budget'],
        shard: options.shard,
        jobs: options.jobs,
        seed: options.seed,
        report: options.report,
        json: io.json,
      },
      { stdout: out.stdout, stderr: process.stderr, signal: io.signal, handleSignals: false, rethrowUsage: true },
    );
    if (code === 130)
      throw Object.assign(new Error('the run was interrupted; every system it opened was closed'), { code: 'SANSPEC_INTERRUPTED' });
    out.finish();
    return code;
  },
});
