// The sanspec command line as one app: the toolkit's commands (harness/cli/commands.ts) and the
// engine's (engine/cli/commands.ts) on the plumbing of contracts/cli.ts. Only this file sees both
// sides; the engine imports nothing from the toolkit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliApp } from '../contracts/cli.js';
import { repositoryRoot } from '../engine/build/engine-bundle.js';
import { engineCommands } from '../engine/cli/commands.js';
import { toolkitCommands } from '../harness/cli/commands.js';

const { version } = JSON.parse(readFileSync(join(repositoryRoot(), 'package.json'), 'utf8')) as { version: string };

export const sanspecApp: CliApp = {
  name: 'sanspec',
  version,
  description:
    'Formal specification and conformance suite for the stop/start/crash behaviour of synchronously mirrored storage server groups.',
  sections: [toolkitCommands, engineCommands],
  epilog: [
    'Every command takes --json: stdout then holds one JSON document, its result or {"error": {"code", "message"}}.',
    'Exit codes: 0 done, 1 refused or failed (sanspec: CODE: message on stderr), 2 bad usage.',
    'sanspec COMMAND --help shows a command’s options and examples; docs/cli.md describes them all.',
  ].join('\n'),
};
