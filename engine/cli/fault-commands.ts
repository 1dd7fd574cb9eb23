// `sanspec link|site|mirror ...`: the fault switches of a group and the operator's last resort.
import { defineCommand } from '../../contracts/cli.js';
import { ForceRecoveryOutputSchema, LinkOutputSchema, SiteCrashOutputSchema } from '../../contracts/cli-output.js';
import { loadGroupApi } from './options.js';
import { dirOption } from './options.js';

const linkArguments = [
  { name: 'server-a', description: 'a server at one end of the mirror link' },
  { name: 'server-b', description: 'the server at the other end' },
] as const;

export const linkCommands = (['cut', 'restore'] as const).map((action) =>
  defineCommand({
    name: `link ${action}`,
    summary:
      action === 'cut'
        ? 'cut the mirror link between two servers; both keep running (MIR-13)'
        : 'restore the mirror link between two servers; their copies recover (MIR-13)',
    arguments: linkArguments,
    options: [dirOption],
    examples: [{ command: `sanspec link ${action} s1 s2`, description: `${action} the mirror link between s1 and s2` }],
    output: LinkOutputSchema,
    async action({ args, options }, io) {
      const { callSupervisor } = await loadGroupApi();
      const a = args['server-a'];
      const b = args['server-b'];
      await callSupervisor(options.dir, 'POST', `/links/${encodeURIComponent(a)}/${encodeURIComponent(b)}/${action}`, {});
      io.result({ command: `link ${action}`, servers: [a, b] }, `mirror link ${a}-${b}: ${action === 'cut' ? 'cut' : 'restored'}`);
      return 0;
    },
  }),
);

export const siteCrashCommand = defineCommand({
  name: 'site crash',
  summary: 'power failure of the whole site: every powered-on server is killed at the same instant (MIR-11)',
  options: [dirOption],
  examples: [{ command: 'sanspec site crash', description: 'kill every server of the group in ./.sanspec at once' }],
  output: SiteCrashOutputSchema,
  async action({ options }, io) {
    const { callSupervisor } = await loadGroupApi();
    await callSupervisor(options.dir, 'POST', '/site/crash', {});
    io.result({ command: 'site crash' }, 'site crash: every powered-on server killed');
    return 0;
  },
});

export const forceRecoveryCommand = defineCommand({
  name: 'mirror force-recovery',
  summary: 'bring one copy of a mirrored disk online when no copy is known to be up to date (MIR-11)',
  description:
    'Force Mirror Recovery: brings the copy of VDISK on the server --copy online; the other copy gets a full recovery from it. ' +
    'Refused while hosts have access through an up-to-date copy. The decision is recorded in the server’s log.',
  arguments: [{ name: 'vdisk', description: 'the mirrored virtual disk, e.g. m1' }],
  options: [{ name: 'copy', value: 'server', required: true, description: 'the server whose copy comes online' }, dirOption],
  examples: [{ command: 'sanspec mirror force-recovery m1 --copy s2', description: 'm1 comes online from its copy on s2' }],
  output: ForceRecoveryOutputSchema,
  async action({ args, options }, io) {
    const { callSupervisor } = await loadGroupApi();
    await callSupervisor(options.dir, 'POST', `/mirror/${encodeURIComponent(args.vdisk)}/force`, { copy: options.copy });
    io.result(
      { command: 'mirror force-recovery', vdisk: args.vdisk, copy: options.copy },
      `${args.vdisk}: the copy on ${options.copy} is online; the other copy gets full recovery from it (decision recorded in the server log)`,
    );
    return 0;
  },
});
