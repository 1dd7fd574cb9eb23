// docs/cli.md ends with the `--help` of every command and command family, verbatim (at 100
// columns, the width when stdout is not a terminal), so the reference a reader sees is the real
// one. This test fails when that section differs from the command line, and rewrites it when run
// with SANSPEC_UPDATE_DOCS=1:
//   SANSPEC_UPDATE_DOCS=1 npx vitest run test/integration/cli/cli-help-doc.test.ts

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sanspecApp } from '../../../bin/app.js';
import { commandNames } from '../../../contracts/cli.js';
import { runSanspec } from '../../helpers/run-cli.js';

const doc = 'docs/cli.md';
const begin = '<!-- help:begin -->';
const end = '<!-- help:end -->';
const hint = 'SANSPEC_UPDATE_DOCS=1 npx vitest run test/integration/cli/cli-help-doc.test.ts';

/** The commands whose --help the section shows: the root, then each command after its family. */
function helpCommands(): string[] {
  const list: string[] = [''];
  for (const name of commandNames(sanspecApp)) {
    const family = name.split(' ')[0]!;
    if (name.includes(' ') && !list.includes(family)) list.push(family);
    list.push(name);
  }
  return list;
}

async function helpSection(): Promise<string> {
  const parts: string[] = [];
  for (const command of helpCommands()) {
    const r = await runSanspec(...(command ? command.split(' ') : []), '--help');
    if (r.code !== 0) throw new Error(`sanspec ${command} --help exited ${r.code}: ${r.stderr}`);
    const title = command ? `sanspec ${command} --help` : 'sanspec --help';
    parts.push(`#### \`${title}\`\n\n\`\`\`text\n${r.stdout.trimEnd()}\n\`\`\``);
  }
  return parts.join('\n\n');
}

describe('docs/cli.md: every --help verbatim', () => {
  it('holds the --help of every command and command family, as the command line prints it', async () => {
    const expected = await helpSection();
    const text = readFileSync(doc, 'utf8');
    const a = text.indexOf(begin);
    const b = text.indexOf(end);
    expect(a, `${doc} has no ${begin} ... ${end} section`).toBeGreaterThan(0);
    expect(b).toBeGreaterThan(a);
    const body = text.slice(a + begin.length, b).trim();
    if (process.env.SANSPEC_UPDATE_DOCS === '1' && body !== expected) {
      writeFileSync(doc, `${text.slice(0, a + begin.length)}\n\n${expected}\n\n${text.slice(b)}`);
    } else {
      expect(body, `${doc} is out of date with the command line: ${hint}`).toBe(expected);
    }
  });
});
