// One self-contained HTML page: styles, data and scripts inline, Mermaid itself included, and a
// Content-Security-Policy that forbids every request, so the page renders the same from a CI
// artifact, an e-mail attachment or a machine without network.

import { readFileSync } from 'node:fs';
import { repositoryRequire } from '../../engine/build/engine-bundle.js';
import { CLIENT_SCRIPT } from './client-script.js';

/** A diagram of a page: where it goes, its Mermaid source and, for coverage, its arrows. */
export interface PageDiagram {
  /** Unique on the page: letters, digits, `-`. */
  readonly id: string;
  readonly source: string;
  /** Arrows to colour, by label, in source order. */
  readonly edges?: ReadonlyArray<{ readonly label: string; readonly taken: boolean }>;
}

/** HTML text with `& < > " '` escaped. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON safe inside a `<script>` element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

let mermaidCache: string | null | undefined;

/** Mermaid's browser bundle, or null when the package is not installed. */
export function mermaidBundle(): string | null {
  if (mermaidCache === undefined) {
    try {
      const file = repositoryRequire().resolve('mermaid/dist/mermaid.min.js');
      mermaidCache = readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
    } catch {
      mermaidCache = null;
    }
  }
  return mermaidCache;
}

/** The container a diagram renders into; its source shows until then (or if rendering is impossible). */
export function diagramBox(d: PageDiagram, caption?: string): string {
  return `<figure class="diagram-figure"><div class="diagram" data-diagram="${esc(d.id)}"><pre class="diagram-source">${esc(d.source)}</pre></div>${
    caption ? `<figcaption>${caption}</figcaption>` : ''
  }</figure>`;
}

const CSS = `
:root { --ok: #1e7b34; --ok-bg: #e6f4ea; --bad: #b3261e; --bad-bg: #fde4e2; --muted: #6b6b6b; --line: #dcdcdc; --warn-bg: #fff1b8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 "DejaVu Sans", Verdana, Geneva, sans-serif; color: #1f1f1f; background: #fafafa; }
header.top { padding: 20px 32px 16px; background: #fff; border-bottom: 1px solid var(--line); }
header.top h1 { margin: 0 0 6px; font-size: 22px; }
.meta { color: var(--muted); font-size: 13px; }
.meta span { margin-right: 18px; white-space: nowrap; }
.verdict { display: inline-block; margin-left: 12px; padding: 3px 12px; border-radius: 14px; font-size: 14px; font-weight: bold; vertical-align: 3px; }
.verdict.pass { background: var(--ok-bg); color: var(--ok); }
.verdict.fail { background: var(--bad-bg); color: var(--bad); }
main { padding: 8px 32px 48px; max-width: 1500px; }
section { margin-top: 28px; }
h2 { font-size: 18px; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 16px; margin: 18px 0 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 120px; }
.card .n { font-size: 22px; font-weight: bold; }
.card .l { color: var(--muted); font-size: 12px; }
.card.ok .n { color: var(--ok); } .card.bad .n { color: var(--bad); }
table { border-collapse: collapse; background: #fff; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: var(--bad-bg); }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
pre { white-space: pre-wrap; word-break: break-word; }
.bar { display: inline-flex; width: 90px; height: 10px; border-radius: 2px; overflow: hidden; vertical-align: middle; background: #eee; }
.bar > span { display: block; height: 100%; }
.bar .pass { background: var(--ok); } .bar .fail { background: var(--bad); } .bar .na { background: #c4c4c4; }
.failure { background: #fff; border: 1px solid #efb8b3; border-left: 6px solid var(--bad); border-radius: 8px; padding: 12px 18px 16px; margin: 14px 0 22px; }
.failure h3 { margin-top: 4px; }
.rule { display: inline-block; background: var(--bad); color: #fff; border-radius: 4px; padding: 1px 8px; margin-right: 8px; font-size: 13px; }
.message { font-size: 15px; margin: 6px 0 12px; }
.split { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 18px; align-items: start; }
@media (max-width: 1100px) { .split { grid-template-columns: 1fr; } }
.evidence h4 { margin: 10px 0 6px; font-size: 14px; }
.evidence table { width: 100%; }
.evidence td code { word-break: break-all; }
.replay { background: #1f1f1f; color: #f3f3f3; padding: 8px 12px; border-radius: 6px; }
.diagram-figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px; overflow: auto; }
.diagram-figure figcaption { color: var(--muted); font-size: 12.5px; margin-top: 6px; }
.diagram svg { display: block; margin: 0 auto; height: auto; }
.diagram.rendered .diagram-source { display: none; }
.diagram-source { color: var(--muted); max-height: 240px; overflow: auto; }
.diagram.render-error { outline: 3px solid var(--bad); }
.kinds { display: grid; grid-template-columns: 1fr; gap: 22px; }
.kind h3 { margin-top: 0; }
.stats { color: var(--muted); font-size: 13px; margin: 2px 0 8px; }
.legend { font-size: 13px; color: var(--muted); margin: 4px 0 12px; }
.legend i { display: inline-block; width: 26px; height: 0; border-top: 3px solid var(--ok); vertical-align: middle; margin: 0 4px 0 10px; }
.legend i.no { border-top: 2px dashed #b0b0b0; }
.legend b.box { display: inline-block; width: 16px; height: 12px; vertical-align: middle; margin: 0 4px 0 10px; border: 2px solid var(--ok); background: var(--ok-bg); }
.legend b.box.no { border: 2px dashed #9e9e9e; background: #f6f6f6; }
.legend b.box.cur { border: 3px solid #a05a00; background: var(--warn-bg); }
details { margin: 8px 0; }
summary { cursor: pointer; color: #2a5db0; }
.edge-taken { stroke: var(--ok) !important; stroke-width: 2.6px !important; }
.edge-untaken { stroke: #b8b8b8 !important; stroke-dasharray: 6 4 !important; }
.label-untaken { opacity: 0.55; }
.label-taken p, .label-taken span { background-color: var(--ok-bg) !important; color: var(--ok) !important; }
.notice { background: var(--warn-bg); border-radius: 6px; padding: 8px 12px; }
.ok-text { color: var(--ok); } .bad-text { color: var(--bad); }
`;

/** Options of a page. */
export interface PageOptions {
  readonly title: string;
  /** Text of the verdict badge and whether it is a pass. */
  readonly verdict: { readonly text: string; readonly pass: boolean };
  /** Metadata shown under the title, label to value. */
  readonly meta: ReadonlyArray<readonly [string, string]>;
  /** The page's sections, as HTML. */
  readonly body: string;
  readonly diagrams: readonly PageDiagram[];
}

/** The whole page. */
export function htmlPage(options: PageOptions): string {
  const mermaid = mermaidBundle();
  const notice = mermaid
    ? ''
    : '<p class="notice">This page was written without the <code>mermaid</code> package (it comes with <code>@mermaid-js/mermaid-cli</code>), so the diagrams below are shown as Mermaid sources. Install it and write the report again, or paste a source into any Mermaid renderer.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(options.title)}</title>
<style>${CSS}</style>
</head>
<body data-diagrams="pending">
<header class="top">
<h1>${esc(options.title)}<span class="verdict ${options.verdict.pass ? 'pass' : 'fail'}">${esc(options.verdict.text)}</span></h1>
<div class="meta">${options.meta.map(([k, v]) => `<span>${esc(k)} <b>${esc(v)}</b></span>`).join('')}</div>
</header>
<main>
${notice}
${options.body}
</main>
<script type="application/json" id="sanspec-diagrams">${scriptJson(options.diagrams)}</script>
${mermaid ? `<script>${mermaid}</script>` : ''}
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
