// The hand-written Mermaid diagrams of the documentation (```mermaid blocks in README.md and
// docs/*.md, e.g. the engine's I/O chain and recovery protocol) render with mermaid-cli in
// Debian's Chromium, as GitHub renders them: a syntax error there shows the reader an error box.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderDiagrams, renderProblem } from '../../../harness/diagram/render-diagrams.js';

const problem = renderProblem();
if (problem) console.log(`skipping the rendering of the documentation's Mermaid blocks: ${problem}`);

/** Every ```mermaid block of a markdown file. */
function mermaidBlocks(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

const files = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];
const diagrams = files.flatMap((file) =>
  mermaidBlocks(file).map((source, i) => ({ name: `${file.replace(/[/.]/g, '-')}-${i + 1}`, title: file, source, edges: [] })),
);

describe.skipIf(problem !== null)("the documentation's Mermaid diagrams", () => {
  const dir = mkdtempSync(join(tmpdir(), 'sanspec-docs-mermaid-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('docs/engine.md has its I/O chain flowchart and its recovery sequence diagram', () => {
    const engine = mermaidBlocks('docs/engine.md');
    expect(engine.some((s) => s.startsWith('flowchart'))).toBe(true);
    expect(engine.some((s) => s.startsWith('sequenceDiagram'))).toBe(true);
  });

  it('every ```mermaid block of README.md and docs/*.md renders to an SVG', async () => {
    const rendered = await renderDiagrams(diagrams, dir, 'svg');
    expect(rendered).toHaveLength(diagrams.length);
    for (const [i, file] of rendered.entries()) {
      const svg = readFileSync(file, 'utf8');
      expect(svg, diagrams[i]!.name).toContain('<svg');
      expect(svg, `${diagrams[i]!.name}: Mermaid drew a syntax error`).not.toMatch(/Syntax error in text/i);
    }
  }, 180_000);
});
