// The toolkit's commands, as one section of the sanspec command line (bin/sanspec.mjs). A new
// command: declare it with defineCommand (contracts/cli.ts) and add it to the list below.
import type { CommandSection } from '../../contracts/cli.js';
import { checkCommand } from './check-command.js';
import { diagramsCommand } from './diagrams-command.js';
import { planCommand } from './plan-command.js';
import { runCommand } from './run-command.js';

export const toolkitCommands: CommandSection = {
  heading: 'Model and conformance commands',
  commands: [runCommand, planCommand, checkCommand, diagramsCommand],
};
