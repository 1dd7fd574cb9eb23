import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every test file under a directory, recursively. */
function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : [],
  );
}

describe('SPEC catalogue coverage', () => {
  const ids = [...readFileSync('docs/spec.md', 'utf8').matchAll(/^- ([A-Z]+-\d+) /gm)].map((m) => m[1]!);
  const names = testFiles('test/unit/models').flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/\bit\(\s*(['"`])((?:(?!\1).)*)\1/g)].map((m) => m[2]!),
  );

  it('every SRV, PRT, PTH, VD and MIR behaviour is cited by the name of a model test', () => {
    const wanted = ids.filter((id) => /^(SRV|PRT|PTH|VD|MIR)-/.test(id));
    expect(wanted.length).toBeGreaterThanOrEqual(34);
    const cited = (id: string) => names.some((n) => new RegExp(`\\b${id}\\b`).test(n));
    expect(wanted.filter((id) => !cited(id))).toEqual([]);
  });
});
