import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateDiagrams } from '../../../../harness/diagram/generate-diagrams.js';
import { recordedHash, sourceHash } from '../../../../harness/diagram/render-diagrams.js';

const dir = 'docs/diagrams';
const regenerate = 'docs/diagrams is out of date with models/: regenerate it with `npx sanspec diagrams --out docs/diagrams`';

describe('docs/diagrams', () => {
  const diagrams = generateDiagrams();
  const files = readdirSync(dir).sort();

  it('holds exactly the sources generated from the current models', () => {
    expect(
      files.filter((f) => f.endsWith('.mmd')),
      regenerate,
    ).toEqual(diagrams.map((d) => `${d.name}.mmd`).sort());
    for (const d of diagrams) expect(readFileSync(`${dir}/${d.name}.mmd`, 'utf8'), `${d.name}.mmd: ${regenerate}`).toBe(d.source);
  });

  it('holds an SVG for each source, rendered from that very source', () => {
    expect(
      files.filter((f) => f.endsWith('.svg')),
      regenerate,
    ).toEqual(diagrams.map((d) => `${d.name}.svg`).sort());
    for (const d of diagrams) {
      const svg = readFileSync(`${dir}/${d.name}.svg`, 'utf8');
      expect(recordedHash(svg), `${d.name}.svg was rendered from another source: ${regenerate}`).toBe(sourceHash(d.source));
      expect(svg).toContain('<svg');
    }
  });

  it('docs/model.md and README.md show every generated diagram', () => {
    const model = readFileSync('docs/model.md', 'utf8');
    const readme = readFileSync('README.md', 'utf8');
    for (const d of diagrams) {
      expect(model, `docs/model.md shows ${d.name}.svg`).toContain(`](diagrams/${d.name}.svg)`);
      expect(readme, `README.md links ${d.name}.svg`).toContain(`](docs/diagrams/${d.name}.svg)`);
    }
  });
});
