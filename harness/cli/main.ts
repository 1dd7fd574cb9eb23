import { commandHelp, parseCommand, UsageError, type CommandSpec } from './args.js';
import { checkCommand } from './check-command.js';

const commands: CommandSpec[] = [checkCommand];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: sanspec <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary.split('. ')[0]}`),
    '',
    'sanspec <command> --help shows the options of a command.',
  ].join('\n');
}

/** Runs the sanspec command line; resolves to the exit code (0 ok, 1 check failed, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}\n\n${help()}`);
    const { values, positionals } = parseCommand(command, rest);
    if (values.help) {
      process.stdout.write(`${commandHelp(command)}\n`);
      return 0;
    }
    return await command.run(values, positionals);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`sanspec: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
