// The command line's plumbing, shared by the engine's commands (engine/cli/) and the toolkit's
// (harness/cli/): a command is declared as typed data (name, summary, arguments, options,
// examples, the schema of its JSON result, an action returning an exit code) and registered on
// one commander program. The plumbing gives every command the same behaviour:
//
//   - `sanspec --help` lists every command, grouped by section; `sanspec CMD --help` shows its
//     usage, arguments, options and examples, and exits 0;
//   - exit 0 on success, 1 when the command was refused or failed, 2 on bad usage (unknown
//     command or option, missing argument, bad value: a USAGE_* code) or an invalid input file
//     named on the command line (see exitCodeFor);
//   - `--json` on every command: stdout then holds exactly one JSON document, the command's
//     result (contracts/cli-output.ts) or the error shape of contracts/error.ts;
//   - without `--json`, errors go to stderr as `sanspec: CODE: message`.
//
// It lives in contracts/ because both sides use it and neither may import the other.

import type { TSchema } from '@sinclair/typebox';
import { Argument, Command, type CommanderError, Help, InvalidArgumentError, Option } from 'commander';
import { type Code, codes, isCode } from './codes.js';
import { errorBody } from './error.js';

// ---------------------------------------------------------------------------------------------
// Commands as data

/** A positional argument. */
export interface ArgumentSpec {
  /** Its name in help and in the action's `args`, e.g. `name`, `server-a`. */
  readonly name: string;
  readonly description: string;
  /** May be left out (only the last arguments). */
  readonly optional?: boolean;
  /** The values it accepts; anything else is a usage error. */
  readonly choices?: readonly string[];
}

/** An option: `--NAME` (a flag), or `--NAME VALUE` when it has a `value` placeholder. */
export interface OptionSpec {
  /** Its long name without dashes, e.g. `size-mib`; also its key in the action's `options`. */
  readonly name: string;
  /** Placeholder of its value in help, e.g. `dir`; without one the option is a boolean flag. */
  readonly value?: string;
  readonly description: string;
  /** The values it accepts; anything else is a usage error. */
  readonly choices?: readonly string[];
  /** Value when not given. */
  readonly default?: string;
  /** May be given more than once; the action gets every value, in order. */
  readonly repeatable?: boolean;
  /** Must be given. */
  readonly required?: boolean;
  /** Turns the text into the value; throws (any Error) for a bad value: a usage error naming the option. */
  readonly parse?: (raw: string) => unknown;
}

/** An example in a command's help. */
export interface Example {
  /** The command line, starting with `sanspec`. */
  readonly command: string;
  /** What it does. */
  readonly description: string;
}

type ArgumentValues<A extends readonly ArgumentSpec[]> = {
  [S in A[number] as S['name']]: S extends { optional: true } ? string | undefined : string;
};

type Given<S extends OptionSpec, T> = S extends { required: true } | { default: string } ? T : T | undefined;
type OptionValue<S extends OptionSpec> = S extends { parse: (raw: string) => infer T }
  ? S extends { repeatable: true }
    ? T[]
    : Given<S, T>
  : S extends { repeatable: true }
    ? string[]
    : S extends { value: string }
      ? Given<S, string>
      : boolean;

/** What the action gets: arguments and options by their declared names (`--json` included). */
export interface CommandInput<A extends readonly ArgumentSpec[], O extends readonly OptionSpec[]> {
  readonly args: ArgumentValues<A>;
  readonly options: { readonly [S in O[number] as S['name']]: OptionValue<S> } & { readonly json: boolean };
}

/** How an action talks to the person or program that ran it. */
export interface CommandIO {
  /** `--json` was given: stdout holds only the result, printed by the plumbing. */
  readonly json: boolean;
  /** A line for people on stdout; dropped with `--json`. */
  say(line: string): void;
  /** A line for people on stderr (notes, warnings); kept with `--json`. */
  note(line: string): void;
  /** A progress line on stderr, redrawn in place; only on a terminal and without `--json`. `''` clears it. */
  progress(line: string): void;
  /**
   * The command's result: with `--json` it is printed as the one JSON document when the action
   * returns (it must match the command's `output` schema); without, `text` (if any) is printed.
   */
  result(value: unknown, text?: string): void;
  /** Aborted at SIGINT or SIGTERM, for commands declared `interruptible`; never aborted otherwise. */
  readonly signal: AbortSignal;
}

/** A command, declared as data. */
export interface CommandSpec<A extends readonly ArgumentSpec[], O extends readonly OptionSpec[]> {
  /** The words that name it, e.g. `check`, `server stop`. */
  readonly name: string;
  /** One line for `sanspec --help`. */
  readonly summary: string;
  /** More, for its own `--help` (default: the summary). */
  readonly description?: string;
  readonly arguments?: A;
  readonly options?: O;
  /** At least one, shown in its `--help`. */
  readonly examples: readonly [Example, ...Example[]];
  /** The schema of the result it prints with `--json` (contracts/cli-output.ts). */
  readonly output: TSchema;
  /** SIGINT and SIGTERM abort `io.signal` instead of ending the process; the action must then clean up and throw. */
  readonly interruptible?: boolean;
  /** Does it: resolves to the exit code (0 done, 1 failed), or throws a coded error (see `CliError`). */
  action(input: CommandInput<A, O>, io: CommandIO): Promise<number>;
}

/** A command of any arguments and options, as the registry holds it. */
export interface AnyCommand extends Omit<CommandSpec<readonly ArgumentSpec[], readonly OptionSpec[]>, 'action'> {
  action(input: { args: Record<string, string | undefined>; options: Record<string, unknown> }, io: CommandIO): Promise<number>;
}

/** Declares a command; its action's `args` and `options` are typed from the declared arguments and options. */
export function defineCommand<const A extends readonly ArgumentSpec[] = [], const O extends readonly OptionSpec[] = []>(
  spec: CommandSpec<A, O>,
): AnyCommand {
  return spec as unknown as AnyCommand;
}

/** A command word that only groups others (`server` in `server stop`). */
export interface CommandFamily {
  readonly name: string;
  readonly summary: string;
}

/** Commands listed together in `sanspec --help` under one heading. */
export interface CommandSection {
  /** e.g. `Engine commands`. */
  readonly heading: string;
  /** The words that group its commands, e.g. `server`, `link`. */
  readonly families?: readonly CommandFamily[];
  readonly commands: readonly AnyCommand[];
}

/** The whole command line. */
export interface CliApp {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly sections: readonly CommandSection[];
  /** Text after the command list in `sanspec --help`. */
  readonly epilog?: string;
}

// ---------------------------------------------------------------------------------------------
// Errors and exit codes

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A refusal or failure of a command with its stable code; `details` is evidence for `--json`. */
export class CliError extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** A bad value on the command line (exit 2). */
export function usageError(message: string, details?: unknown): CliError {
  return new CliError('USAGE_BAD_ARGUMENT', message, details);
}

/** Codes of an invalid input file named on the command line: exit 2, like bad usage. */
const inputCodes: ReadonlySet<Code> = new Set<Code>([
  'ENGINE_BAD_CONFIG',
  'SANSPEC_BAD_TOPOLOGY',
  'SANSPEC_BAD_EVENT',
  'SANSPEC_BAD_PLAN',
  'SANSPEC_BAD_ADAPTER_CONFIG',
]);

/** The exit code for an error code: 2 for usage codes and invalid input files, 1 for the rest. */
export function exitCodeFor(code: Code): 1 | 2 {
  return codes[code].kind === 'usage' || inputCodes.has(code) ? EXIT.usage : EXIT.failed;
}

/** The stable code, message and details of anything an action threw. */
function describeError(error: unknown): { code: Code; message: string; details?: unknown } {
  const e = error as { code?: unknown; message?: unknown; details?: unknown; problems?: unknown; stack?: unknown };
  if (typeof e?.code === 'string' && isCode(e.code) && typeof e.message === 'string') {
    const details = e.details ?? (e.problems === undefined ? undefined : { problems: e.problems });
    return { code: e.code, message: e.message, details };
  }
  return { code: 'SANSPEC_INTERNAL', message: String(e?.stack ?? e?.message ?? error) };
}

/** Usage codes for commander's errors. */
function usageCode(commanderCode: string): Code {
  switch (commanderCode) {
    case 'commander.unknownCommand':
    case 'commander.help':
      return 'USAGE_UNKNOWN_COMMAND';
    case 'commander.unknownOption':
    case 'commander.optionMissingArgument':
    case 'commander.missingMandatoryOptionValue':
    case 'commander.conflictingOption':
      return 'USAGE_BAD_OPTION';
    default:
      return 'USAGE_BAD_ARGUMENT';
  }
}

// ---------------------------------------------------------------------------------------------
// The program

/** Where the command line writes, and how it learns of SIGINT/SIGTERM. Tests pass their own. */
export interface ProcessIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly stderrIsTTY: boolean;
  /** Width of help text (default 100). */
  readonly helpWidth?: number;
  /**
   * Calls `handler` at the first SIGINT or SIGTERM, until the returned function is called; a second
   * signal ends the process as if nobody listened.
   */
  onInterrupt(handler: (signal: string) => void): () => void;
}

/** The real process: stdout, stderr, signals. */
export function processIO(): ProcessIO {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    helpWidth: process.stdout.isTTY ? process.stdout.columns : undefined,
    onInterrupt(handler) {
      let signals = 0;
      const off = () => {
        process.off('SIGINT', listener);
        process.off('SIGTERM', listener);
      };
      function listener(signal: NodeJS.Signals) {
        if (++signals === 1) return handler(signal);
        off();
        process.kill(process.pid, signal);
      }
      process.on('SIGINT', listener);
      process.on('SIGTERM', listener);
      return off;
    },
  };
}

/** A parse failure of commander, with the command it happened in (for the `--help` hint). */
class ParseFailure extends Error {
  constructor(
    readonly failure: CommanderError,
    readonly command: Command,
  ) {
    super(failure.message);
  }
}

/** `sanspec server stop`: the words from the root to a command. */
function commandPath(cmd: Command): string {
  const words: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

/** The commands without subcommands, depth first in declaration order. */
function leaves(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => (c.commands.length === 0 ? [c] : leaves(c)));
}

function examplesText(spec: AnyCommand): string {
  const width = Math.max(...spec.examples.map((e) => e.command.length));
  const lines = spec.examples.map((e) => `  $ ${e.command.padEnd(width)}  # ${e.description}`);
  return `\nExamples:\n${lines.join('\n')}\n`;
}

/** The state of one run of the command line. */
interface Run {
  exitCode: number;
}

function registerCommand(parent: Command, spec: AnyCommand, leafName: string, heading: string, io: ProcessIO, run: Run): Command {
  const cmd = parent
    .command(leafName)
    .summary(spec.summary)
    .description(spec.description ?? spec.summary)
    .helpGroup(`${heading}:`);
  cmd.exitOverride((error) => {
    throw new ParseFailure(error, cmd);
  });
  for (const a of spec.arguments ?? []) {
    const argument = new Argument(a.optional ? `[${a.name}]` : `<${a.name}>`, a.description);
    if (a.choices) argument.choices(a.choices);
    cmd.addArgument(argument);
  }
  const options = (spec.options ?? []).map((o) => {
    const option = new Option(o.value ? `--${o.name} <${o.value}>` : `--${o.name}`, o.description);
    if (o.choices) option.choices(o.choices);
    if (o.default !== undefined) option.default(o.default);
    if (o.required) option.makeOptionMandatory();
    if (o.parse || o.repeatable) {
      const parse = o.parse ?? ((raw: string) => raw);
      option.argParser((raw: string, previous: unknown) => {
        let value: unknown;
        try {
          value = parse(raw);
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
        return o.repeatable ? [...((previous as unknown[] | undefined) ?? []), value] : value;
      });
    }
    cmd.addOption(option);
    return { spec: o, key: option.attributeName() };
  });
  cmd.option('--json', 'print the result, or the error, as one JSON document on stdout (docs/cli.md)');
  cmd.addHelpText('after', examplesText(spec));

  cmd.action(async () => {
    const given = cmd.optsWithGlobals();
    const args = Object.fromEntries((spec.arguments ?? []).map((a, i) => [a.name, cmd.processedArgs[i] as string | undefined]));
    const values: Record<string, unknown> = { json: Boolean(given.json) };
    for (const { spec: o, key } of options) {
      values[o.name] = given[key] ?? (o.repeatable ? [] : o.value ? undefined : false);
    }
    run.exitCode = await runAction(spec, { args, options: values }, Boolean(given.json), io, `see: ${commandPath(cmd)} --help`);
  });
  return cmd;
}

async function runAction(
  spec: AnyCommand,
  input: { args: Record<string, string | undefined>; options: Record<string, unknown> },
  json: boolean,
  io: ProcessIO,
  /** Printed after a usage error. */
  hint: string,
): Promise<number> {
  const controller = new AbortController();
  let result: { value: unknown; text?: string } | undefined;
  let progressShown = false;
  const commandIO: CommandIO = {
    json,
    say: (line) => {
      if (!json) io.stdout(`${line}\n`);
    },
    note: (line) => io.stderr(`${line}\n`),
    progress: (line) => {
      if (json || !io.stderrIsTTY || (line === '' && !progressShown)) return;
      progressShown = line !== '';
      io.stderr(`\r${line}\x1b[K`);
    },
    result: (value, text) => {
      result = { value, text };
    },
    signal: controller.signal,
  };
  const stopListening = spec.interruptible
    ? io.onInterrupt((signal) => {
        io.stderr(`\n${signal}: interrupting ${spec.name}, cleaning up (send it again to leave things as they are)\n`);
        controller.abort(new Error(`interrupted by ${signal}`));
      })
    : () => {};
  try {
    const exitCode = await spec.action(input, commandIO);
    commandIO.progress('');
    if (json) {
      if (result === undefined) throw new Error(`${spec.name} returned without a result for --json`);
      io.stdout(`${JSON.stringify(result.value, null, 2)}\n`);
    } else if (result?.text !== undefined) {
      io.stdout(`${result.text}\n`);
    }
    return exitCode;
  } catch (error) {
    commandIO.progress('');
    const { code, message, details } = describeError(error);
    printError(io, json, code, message, details, codes[code].kind === 'usage' ? hint : undefined);
    return exitCodeFor(code);
  } finally {
    stopListening();
  }
}

function printError(io: ProcessIO, json: boolean, code: Code, message: string, details?: unknown, hint?: string): void {
  if (json) io.stdout(`${JSON.stringify(errorBody(code, message, details), null, 2)}\n`);
  else io.stderr(`sanspec: ${code}: ${message}\n${hint ? `${hint}\n` : ''}`);
}

/** Builds the one program of every section's commands; `run.exitCode` is set by the command that runs. */
function buildProgram(app: CliApp, io: ProcessIO, run: Run): Command {
  const program = new Command(app.name)
    .description(app.description)
    .version(app.version, '-V, --version', 'print the version')
    .configureOutput({
      writeOut: io.stdout,
      writeErr: io.stderr,
      outputError: () => {},
      getOutHelpWidth: () => io.helpWidth ?? 100,
      getErrHelpWidth: () => io.helpWidth ?? 100,
    })
    .configureHelp({
      // The root lists every command, by its full name, grouped by section; others list their own.
      visibleCommands: (cmd) => (cmd.parent ? Help.prototype.visibleCommands.call(new Help(), cmd) : leaves(cmd)),
      subcommandTerm: (cmd) => {
        const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)).join(' ');
        return `${commandPath(cmd).split(' ').slice(1).join(' ')}${args ? ` ${args}` : ''}`;
      },
    })
    .helpCommand(false)
    .enablePositionalOptions()
    .option('--json', 'print errors as one JSON document on stdout (docs/cli.md)')
    .showSuggestionAfterError(true);
  program.exitOverride((error) => {
    throw new ParseFailure(error, program);
  });
  for (const section of app.sections) {
    const families = new Map<string, Command>();
    for (const spec of section.commands) {
      const words = spec.name.split(' ');
      let parent = program;
      for (const word of words.slice(0, -1)) {
        let family = families.get(word) ?? parent.commands.find((c) => c.name() === word);
        if (!family) {
          const declared = section.families?.find((f) => f.name === word);
          if (!declared) throw new Error(`command ${spec.name}: declare its family ${JSON.stringify(word)} in section ${section.heading}`);
          family = parent
            .command(word)
            .summary(declared.summary)
            .description(declared.summary)
            .helpGroup(`${section.heading}:`)
            .helpCommand(false)
            .option('--json', 'print errors as one JSON document on stdout (docs/cli.md)');
          const declaredFamily = family;
          family.exitOverride((error) => {
            throw new ParseFailure(error, declaredFamily);
          });
          families.set(word, family);
        }
        parent = family;
      }
      registerCommand(parent, spec, words.at(-1)!, section.heading, io, run);
    }
  }
  if (app.epilog) program.addHelpText('after', `\n${app.epilog}`);
  return program;
}

/**
 * Runs the command line `argv` (without `node` and the script); resolves to the exit code. Never
 * exits the process and never throws: every outcome is an exit code and what was printed.
 */
export async function runCli(app: CliApp, argv: readonly string[], io: ProcessIO = processIO()): Promise<number> {
  const run: Run = { exitCode: EXIT.ok };
  const program = buildProgram(app, io, run);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return run.exitCode;
  } catch (error) {
    if (!(error instanceof ParseFailure)) {
      const { code, message, details } = describeError(error);
      printError(io, argv.includes('--json'), code, message, details);
      return exitCodeFor(code);
    }
    const { failure: cause, command } = error;
    if (cause.code === 'commander.helpDisplayed' || cause.code === 'commander.version') return EXIT.ok;
    const path = commandPath(command);
    const message =
      cause.code === 'commander.help'
        ? `${path} needs a command: ${command.commands.map((c) => c.name()).join(', ')}`
        : cause.message.replace(/^error: /, '').trim();
    printError(io, argv.includes('--json'), usageCode(cause.code), message, undefined, `see: ${path} --help`);
    return EXIT.usage;
  }
}

/** Every command of an app by its full name, for tests and docs. */
export function commandNames(app: CliApp): string[] {
  return app.sections.flatMap((s) => s.commands.map((c) => c.name));
}
