import { parseArgs, type ParseArgsConfig } from 'node:util';

/** An option of a command, declared as data (the help text is generated from it). */
export interface OptionSpec {
  type: 'string' | 'boolean';
  /** May be given more than once. */
  multiple?: boolean;
  /** Placeholder for the value in help, e.g. `NAME|FILE`. */
  value?: string;
  /** One line of help. */
  description: string;
}

/** A command: its options and what it does. */
export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  run(values: Record<string, unknown>, positionals: string[]): Promise<number>;
}

/** A command line that cannot be run as given: exit code 2 with this message. */
export class UsageError extends Error {
  readonly code = 'SANSPEC_USAGE';
}

/** Parses argv for a command; unknown options and missing values are usage errors. */
export function parseCommand(spec: CommandSpec, argv: string[]): { values: Record<string, unknown>; positionals: string[] } {
  const options: ParseArgsConfig['options'] = Object.fromEntries(
    Object.entries(spec.options).map(([name, o]) => [name, { type: o.type, multiple: o.multiple ?? false }]),
  );
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values: values as Record<string, unknown>, positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${commandHelp(spec)}`);
  }
}

/** Help text of a command. */
export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, o]) => [`--${name}${o.value ? ` ${o.value}` : ''}`, o.description] as const);
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return [`usage: ${spec.usage}`, '', spec.summary, '', ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)].join('\n');
}
