// The layout's one direction of dependency (STYLE.md), checked on the import statements: the
// engine imports nothing from the toolkit, and contracts/ (which both sides import) imports only
// npm libraries and itself. Only bin/ sees both sides.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative import of each source file under dir, as a path from the repository root. */
function relativeImports(dir: string): Array<{ file: string; target: string }> {
  return sources(dir).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => ({
      file,
      target: relative('.', resolve(dirname(file), m[1]!)),
    })),
  );
}

describe('the direction of dependencies', () => {
  it('the engine imports nothing from models/, harness/ or adapters/', () => {
    const imports = relativeImports('engine');
    expect(imports.length).toBeGreaterThan(100);
    expect(imports.filter((i) => /^(models|harness|adapters)\//.test(i.target))).toEqual([]);
  });

  it('contracts/ imports only npm libraries and itself', () => {
    expect(relativeImports('contracts').filter((i) => !i.target.startsWith('contracts/'))).toEqual([]);
  });
});
