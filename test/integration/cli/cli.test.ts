// The one command line: every command listed, documented with examples, exit codes and the JSON
// error shape on bad usage. In-process (runCli over bin/app.ts, as bin/sanspec.mjs runs it), plus
// one real process to show the executable is that app.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { sanspecApp } from '../../../bin/app.js';
import { commandNames } from '../../../contracts/cli.js';
import { FieldProblemsSchema } from '../../../contracts/cli-output.js';
import { ErrorBodySchema } from '../../../contracts/error.js';
import { sanspec } from '../../helpers/engine-group.js';
import { runSanspec } from '../../helpers/run-cli.js';

const run = runSanspec;

const names = commandNames(sanspecApp);

describe('sanspec: one command line', () => {
  it('lists every command in sanspec --help, model commands first, then engine commands', async () => {
    expect(names).toEqual(
      expect.arrayContaining([
        'run',
        'plan',
        'check',
        'diagrams',
        'group up',
        'group down',
        'status',
        'server stop',
        'server start',
        'server shutdown',
        'server restart',
        'server crash',
        'server power-on',
        'server cache',
        'server ups',
        'link cut',
        'link restore',
        'site crash',
        'mirror force-recovery',
      ]),
    );
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const model = r.stdout.indexOf('Model and conformance commands:');
    const engine = r.stdout.indexOf('Engine commands');
    expect(model).toBeGreaterThan(0);
    expect(engine).toBeGreaterThan(model);
    for (const name of names) {
      const at = r.stdout.search(new RegExp(`^ {2}${name}( <|\\s{2})`, 'm'));
      expect(at, `${name} in sanspec --help`).toBeGreaterThan(0);
      if (['run', 'plan', 'check', 'diagrams'].includes(name)) expect(at).toBeLessThan(engine);
      else expect(at).toBeGreaterThan(engine);
    }
  });

  it('every command has its own --help with usage, options, --json and at least one example, and exits 0', async () => {
    for (const name of names) {
      const r = await run(...name.split(' '), '--help');
      expect(r.code, name).toBe(0);
      expect(r.stdout).toContain(`Usage: sanspec ${name} [options]`);
      expect(r.stdout).toContain('--json');
      expect(r.stdout).toMatch(new RegExp(`Examples:\\n {2}\\$ sanspec ${name}\\b`));
    }
    // The words that group commands have theirs too.
    for (const family of ['group', 'server', 'link', 'site', 'mirror']) {
      const r = await run(family, '--help');
      expect(r.code, family).toBe(0);
      expect(r.stdout).toContain(`Usage: sanspec ${family} [options] [command]`);
    }
  });

  it('bad usage exits 2 with a USAGE_* code: as sanspec: CODE: message on stderr, or as the JSON error shape with --json', async () => {
    const cases: Array<[string[], string, RegExp]> = [
      [['chekc'], 'USAGE_UNKNOWN_COMMAND', /unknown command 'chekc'/],
      [['server', 'explode', 's1'], 'USAGE_UNKNOWN_COMMAND', /unknown command 'explode'/],
      [['server'], 'USAGE_UNKNOWN_COMMAND', /sanspec server needs a command: stop, start/],
      [['check', '--fast'], 'USAGE_BAD_OPTION', /unknown option '--fast'/],
      [['check', '--topology'], 'USAGE_BAD_OPTION', /option '--topology <name-or-file>' argument missing/],
      [['check', '--topology', 'five-servers'], 'USAGE_BAD_ARGUMENT', /unknown topology "five-servers"/],
      [['server', 'stop'], 'USAGE_BAD_ARGUMENT', /missing required argument 'name'/],
      [['status', 'now'], 'USAGE_BAD_ARGUMENT', /too many arguments/],
      [['group', 'up', '--backend', 'tape'], 'USAGE_BAD_ARGUMENT', /argument 'tape' is invalid. Allowed choices are file, loop/],
      [
        ['server', 'ups', 's1', 'flat'],
        'USAGE_BAD_ARGUMENT',
        /value 'flat' is invalid for argument 'event'. Allowed choices are battery, mains, low/,
      ],
      [['server', 'cache', 's1'], 'USAGE_BAD_ARGUMENT', /give --mode, --size-mib or both/],
      [['server', 'cache', 's1', '--size-mib', 'lots'], 'USAGE_BAD_ARGUMENT', /--size-mib <mib>' argument 'lots' is invalid/],
      [['mirror', 'force-recovery', 'm1'], 'USAGE_BAD_OPTION', /required option '--copy <server>' not specified/],
    ];
    for (const [argv, code, message] of cases) {
      const human = await run(...argv);
      expect(human.code, argv.join(' ')).toBe(2);
      expect(human.stdout, argv.join(' ')).toBe('');
      expect(human.stderr).toMatch(new RegExp(`^sanspec: ${code}: .*${message.source}`, 'm'));
      expect(human.stderr).toMatch(/^see: sanspec .*--help$/m);

      // --json right after the first word: at the end it would be the missing value of `check --topology`.
      const json = await run(argv[0]!, '--json', ...argv.slice(1));
      expect(json.code, `${argv.join(' ')} --json`).toBe(2);
      const body = JSON.parse(json.stdout) as unknown;
      expect(Value.Check(ErrorBodySchema, body), json.stdout).toBe(true);
      expect(body).toEqual({ error: { code, message: expect.stringMatching(message) } });
    }
  });

  it('an invalid input file exits 2 with its own code and every bad field as details; an unreadable one is bad usage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sanspec-cli-input-'));
    try {
      const config = join(dir, 'config.json');
      writeFileSync(
        config,
        JSON.stringify({ servers: [{ name: 's1', cache: { mode: 'fast' } }, { name: 's2' }], hosts: ['h1'], virtualDisks: [] }),
      );
      const badConfig = await run('group', 'up', '--config', config, '--dir', join(dir, 'g'), '--json');
      expect(badConfig.code).toBe(2);
      expect(JSON.parse(badConfig.stdout)).toEqual({
        error: {
          code: 'ENGINE_BAD_CONFIG',
          message: `invalid configuration ${config}:\n  servers[0].cache.mode: must be one of writeBack, writeThrough (got "fast")`,
          details: { problems: [{ field: 'servers[0].cache.mode', problem: 'must be one of writeBack, writeThrough (got "fast")' }] },
        },
      });
      expect(existsSync(join(dir, 'g'))).toBe(false); // nothing was started, nothing written

      const topology = join(dir, 'topology.json');
      writeFileSync(topology, JSON.stringify({ name: 't', servers: [], hosts: ['h1'], virtualDisks: [] }));
      const badTopology = await run('check', '--topology', topology, '--json');
      expect(badTopology.code).toBe(2);
      const body = JSON.parse(badTopology.stdout) as { error: { code: string; details: unknown } };
      expect(body.error.code).toBe('SANSPEC_BAD_TOPOLOGY');
      expect(Value.Check(FieldProblemsSchema, body.error.details)).toBe(true);
      expect(body.error.details).toEqual({ problems: [{ field: 'servers', problem: 'needs at least 2 item(s) (got 0)' }] });

      const unreadable = await run('group', 'up', '--config', join(dir, 'missing.json'), '--json');
      expect(unreadable.code).toBe(2);
      expect(JSON.parse(unreadable.stdout)).toMatchObject({
        error: { code: 'USAGE_BAD_ARGUMENT', message: expect.stringContaining('ENOENT') },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('docs/cli.md documents every command', () => {
    const doc = readFileSync('docs/cli.md', 'utf8');
    for (const name of names) expect(doc, name).toMatch(new RegExp(`^### \`sanspec ${name}\\b`, 'm'));
  });

  it('bin/sanspec.mjs is this command line: its --help lists every command; bad usage exits 2', async () => {
    const [help, bad] = await Promise.all([sanspec(['--help']), sanspec(['server', 'stop', '--json'])]);
    expect(help.code).toBe(0);
    for (const name of names) expect(help.stdout).toMatch(new RegExp(`^ {2}${name}\\b`, 'm'));
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: 'USAGE_BAD_ARGUMENT' } });
  }, 60_000);
});
