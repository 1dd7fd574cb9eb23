// `sanspec group up` and `sanspec group down`: thin shells over engine/group.
import { readFile } from 'node:fs/promises';
import { defineCommand, usageError } from '../../contracts/cli.js';
import { GroupDownOutputSchema, GroupUpOutputSchema } from '../../contracts/cli-output.js';
import { loadGroupApi } from './options.js';
import { dirOption } from './options.js';

export const groupUpCommand = defineCommand({
  name: 'group up',
  summary: 'start a group of storage servers in the background and print how to reach its disks',
  description:
    'Starts the supervisor of a group of storage server processes in the background; it powers on every server. ' +
    'Returns when hosts can use the group, printing each server’s management URL and each virtual disk’s NBD URIs ' +
    '(usable by nbdinfo, qemu-io, nbdcopy, fio). Ctrl-C while it starts ends everything it started.',
  options: [
    {
      name: 'config',
      value: 'file',
      description: 'the group configuration, JSON (docs/engine.md; default: the default topology of docs/spec.md)',
    },
    dirOption,
    {
      name: 'backend',
      value: 'kind',
      choices: ['file', 'loop'],
      description: 'backing storage of every server: files, or loop devices over them (root)',
    },
  ],
  examples: [
    { command: 'sanspec group up', description: 'the default topology (s1, s2; m1 mirrored, v1, v2) in ./.sanspec' },
    { command: 'sanspec group up --config group.json --dir /tmp/g --json', description: 'a group of your own; the result as JSON' },
    { command: 'sanspec group up --backend loop', description: 'on Linux loop devices (needs root)' },
  ],
  output: GroupUpOutputSchema,
  interruptible: true,
  async action({ options }, io) {
    const { upGroup } = await loadGroupApi();
    let config: unknown;
    if (options.config !== undefined) {
      try {
        config = JSON.parse(await readFile(options.config, 'utf8'));
      } catch (error) {
        throw usageError(`cannot read the configuration ${options.config}: ${(error as Error).message}`);
      }
    }
    const up = await upGroup({
      dir: options.dir,
      config,
      configSource: options.config === undefined ? undefined : `configuration ${options.config}`,
      backend: options.backend as 'file' | 'loop' | undefined,
      signal: io.signal,
      onProgress: (line) => io.progress(line),
    });
    const lines = [`group up in ${up.dir}`];
    for (const [name, s] of Object.entries(up.servers)) lines.push(`  server ${name}  management ${s.managementUrl}`);
    for (const [name, uris] of Object.entries(up.virtualDisks)) lines.push(`  disk ${name}  ${uris.join('  ')}`);
    io.result(up, lines.join('\n'));
    return 0;
  },
});

export const groupDownCommand = defineCommand({
  name: 'group down',
  summary: 'end every process of a group, detach its loop devices and release its ports',
  description:
    'Ends the group: the supervisor shuts every server down gracefully; server processes left running by a supervisor ' +
    'that was killed are killed; the group’s loop devices are detached and its ports released. Safe to run at any time.',
  options: [dirOption],
  examples: [
    { command: 'sanspec group down', description: 'the group in ./.sanspec' },
    { command: 'sanspec group down --dir /tmp/g --json', description: 'and print what was ended as JSON' },
  ],
  output: GroupDownOutputSchema,
  async action({ options }, io) {
    const { downGroup } = await loadGroupApi();
    const down = await downGroup(options.dir);
    const lines = [`group in ${down.dir} is down`];
    if (down.supervisor === 'killed') lines.push('  the supervisor did not end in time and was killed');
    for (const s of down.killedServers) lines.push(`  killed server ${s.server} (pid ${s.pid}), left running without a supervisor`);
    if (down.detachedLoopDevices.length > 0) lines.push(`  detached ${down.detachedLoopDevices.join(', ')}`);
    io.result(down, lines.join('\n'));
    return 0;
  },
});
