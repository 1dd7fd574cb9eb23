// docs/adapters.md lists the catalogue of stable codes (contracts/codes.ts) for vendors: the
// refusal codes an adapter must answer with, and the error codes it may meet. The tables between
// the `<!-- codes:... -->` markers are generated from the catalogue; this test fails when they
// differ from it, and rewrites them when run with SANSPEC_UPDATE_DOCS=1:
//   SANSPEC_UPDATE_DOCS=1 npx vitest run test/unit/docs/codes-table.test.ts

import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Code, type CodeInfo, codes } from '../../../contracts/codes.js';

const doc = 'docs/adapters.md';
const update = process.env.SANSPEC_UPDATE_DOCS === '1';

/** The markdown table of the catalogue's codes of these kinds, in catalogue order. */
function table(kinds: readonly CodeInfo['kind'][]): string {
  const rows = (Object.entries(codes) as [Code, CodeInfo][])
    .filter(([, info]) => kinds.includes(info.kind))
    .map(([code, info]) => `| \`${code}\` | ${info.kind} | ${info.summary.replaceAll('|', '\\|')} |`);
  return ['| code | kind | when |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The text between `<!-- codes:NAME:begin -->` and `<!-- codes:NAME:end -->` (without the blank lines around it). */
function section(text: string, name: string): { start: number; end: number; body: string } {
  const begin = `<!-- codes:${name}:begin -->`;
  const end = `<!-- codes:${name}:end -->`;
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${doc} has no ${begin} ... ${end} section`);
  const start = a + begin.length;
  return { start, end: b, body: text.slice(start, b).trim() };
}

function checkSection(name: string, expected: string): void {
  const text = readFileSync(doc, 'utf8');
  const { start, end, body } = section(text, name);
  if (update && body !== expected) writeFileSync(doc, `${text.slice(0, start)}\n${expected}\n${text.slice(end)}`);
  else
    expect(
      body,
      `${doc} (codes:${name}) differs from contracts/codes.ts: SANSPEC_UPDATE_DOCS=1 npx vitest run test/unit/docs/codes-table.test.ts`,
    ).toBe(expected);
}

describe('docs/adapters.md: the catalogue of codes', () => {
  it('lists every refusal code of contracts/codes.ts with its meaning, and nothing else', () => {
    checkSection('refusals', table(['refusal']));
  });

  it('lists every usage and error code of contracts/codes.ts with its meaning, and nothing else', () => {
    checkSection('errors', table(['usage', 'error']));
  });
});
