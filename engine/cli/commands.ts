// The engine's commands, as one section of the sanspec command line (bin/sanspec.mjs). A new
// command: declare it with defineCommand (contracts/cli.ts) and add it to the list below.
import type { CommandSection } from '../../contracts/cli.js';
import { forceRecoveryCommand, linkCommands, siteCrashCommand } from './fault-commands.js';
import { groupDownCommand, groupUpCommand } from './group-commands.js';
import { serverCacheCommand, serverLifecycleCommands, serverUpsCommand } from './server-commands.js';
import { statusCommand } from './status-command.js';

export const engineCommands: CommandSection = {
  heading: 'Engine commands (a group of storage server processes; docs/engine.md)',
  families: [
    { name: 'group', summary: 'bring a group of storage servers up or down' },
    { name: 'server', summary: 'machine and virtualization commands for one server' },
    { name: 'link', summary: 'the fault switch of a mirror link' },
    { name: 'site', summary: 'faults of the whole site' },
    { name: 'mirror', summary: 'operator commands for mirrored virtual disks' },
  ],
  commands: [
    groupUpCommand,
    groupDownCommand,
    statusCommand,
    ...serverLifecycleCommands,
    serverCacheCommand,
    serverUpsCommand,
    ...linkCommands,
    siteCrashCommand,
    forceRecoveryCommand,
  ],
};
