// `sanspec server ...`: the machine and server commands of one server (SRV-*).
import { defineCommand, usageError } from '../../contracts/cli.js';
import {
  ServerActionOutputSchema,
  ServerCacheOutputSchema,
  ServerUpsOutputSchema,
  type ServerActionOutput,
} from '../../contracts/cli-output.js';
import { loadGroupApi } from './options.js';
import { MAX_CACHE_MIB } from '../server/api-bodies.js';
import { dirOption } from './options.js';

const nameArgument = { name: 'name', description: 'the server, e.g. s1' } as const;

/** The lifecycle commands: each one call to the supervisor, which refuses what does not apply (SRV-12). */
const lifecycle: ReadonlyArray<{ action: string; summary: string; done: string }> = [
  {
    action: 'stop',
    summary: 'stop virtualization: flush the write cache, then take ports, paths and disks offline (SRV-1..5)',
    done: 'stopped',
  },
  { action: 'start', summary: 'start virtualization: ports, paths and disks come back (SRV-7)', done: 'started' },
  { action: 'shutdown', summary: 'shut the machine down gracefully: stop, then power off (SRV-8)', done: 'shut down' },
  { action: 'restart', summary: 'restart the machine gracefully; it comes back in its last state (SRV-8, SRV-9)', done: 'restarted' },
  { action: 'crash', summary: 'power failure of the machine: its process is killed, its cache lost (SRV-10, SRV-11)', done: 'crashed' },
  { action: 'power-on', summary: 'power the machine on (SRV-9, SRV-10)', done: 'powered on' },
];

export const serverLifecycleCommands = lifecycle.map(({ action, summary, done }) =>
  defineCommand({
    name: `server ${action}`,
    summary,
    arguments: [nameArgument],
    options: [dirOption],
    examples: [
      { command: `sanspec server ${action} s1`, description: `${action} s1 of the group in ./.sanspec` },
      {
        command: `sanspec server ${action} s2 --dir /tmp/g --json`,
        description: 'on another group; a refusal as {"error": {"code": ...}}',
      },
    ],
    output: ServerActionOutputSchema,
    async action({ args, options }, io) {
      const { callSupervisor } = await loadGroupApi();
      await callSupervisor(options.dir, 'POST', `/servers/${encodeURIComponent(args.name)}/${action}`, {});
      const result: ServerActionOutput = { command: `server ${action}` as ServerActionOutput['command'], server: args.name };
      io.result(result, `${args.name}: ${done}`);
      return 0;
    },
  }),
);

function positiveMiB(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_CACHE_MIB) throw new Error(`must be an integer from 1 to ${MAX_CACHE_MIB} (got ${raw})`);
  return n;
}

export const serverCacheCommand = defineCommand({
  name: 'server cache',
  summary: 'change the write cache settings of a server; they apply at its next start (SRV-6)',
  arguments: [nameArgument],
  options: [
    { name: 'mode', value: 'mode', choices: ['writeBack', 'writeThrough'], description: 'the caching mode' },
    { name: 'size-mib', value: 'mib', parse: positiveMiB, description: `the cache size in MiB (1 to ${MAX_CACHE_MIB})` },
    dirOption,
  ],
  examples: [
    { command: 'sanspec server cache s1 --mode writeThrough', description: 's1 writes through from its next start' },
    { command: 'sanspec server cache s2 --size-mib 256', description: 'a larger cache for s2 from its next start' },
  ],
  output: ServerCacheOutputSchema,
  async action({ args, options }, io) {
    const mode = options.mode as 'writeBack' | 'writeThrough' | undefined;
    const sizeMiB = options['size-mib'] as number | undefined;
    if (mode === undefined && sizeMiB === undefined) throw usageError('give --mode, --size-mib or both');
    const { callSupervisor } = await loadGroupApi();
    await callSupervisor(options.dir, 'POST', `/servers/${encodeURIComponent(args.name)}/cache`, { mode, sizeMiB });
    io.result(
      { command: 'server cache', server: args.name, ...(mode && { mode }), ...(sizeMiB && { sizeMiB }) },
      `${args.name}: cache settings set; they apply at its next start`,
    );
    return 0;
  },
});

export const serverUpsCommand = defineCommand({
  name: 'server ups',
  summary: 'an event of the server’s UPS: on battery, mains restored, battery low (SRV-13)',
  arguments: [nameArgument, { name: 'event', description: 'battery, mains or low', choices: ['battery', 'mains', 'low'] }],
  options: [dirOption],
  examples: [
    { command: 'sanspec server ups s1 battery', description: 's1 runs on battery: its cache writes through' },
    { command: 'sanspec server ups s1 low', description: 'battery low: s1 stops gracefully' },
  ],
  output: ServerUpsOutputSchema,
  async action({ args, options }, io) {
    const { callSupervisor } = await loadGroupApi();
    await callSupervisor(options.dir, 'POST', `/servers/${encodeURIComponent(args.name)}/ups`, { event: args.event });
    io.result(
      { command: 'server ups', server: args.name, event: args.event as 'battery' | 'mains' | 'low' },
      `${args.name}: UPS ${args.event} done`,
    );
    return 0;
  },
});
