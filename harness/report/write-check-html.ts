// The HTML page of `sanspec check --report DIR`: per topology what was explored, and for each
// violated property its shortest trace as a sequence diagram, the status after every step (as
// the terminal prints it), and the component machines with the trace's transitions coloured and
// the violating state marked. A check without violations shows the diagrams of the model.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGroupModel } from '../../models/group.js';
import { namedTopologies } from '../../models/topology.js';
import type { Topology } from '../../models/types.js';
import { eventLabel, statusLine } from '../check/format.js';
import { componentCharts } from '../diagram/component-charts.js';
import { stateDiagram } from '../diagram/state-diagram.js';
import type { CheckReport, Violation } from '../types.js';
import { type CoverageView, coverageSection } from './coverage-section.js';
import { diagramBox, esc, htmlPage, type PageDiagram } from './html-page.js';
import { ModelCoverage } from './model-coverage.js';
import { pathSequence } from './sequence-diagram.js';
import type { CheckHtmlOptions } from './types.js';

/** Writes `report.html` for check reports into `dir` (created if missing); resolves to the file written. */
export async function writeCheckHtml(reports: readonly CheckReport[], dir: string, options: CheckHtmlOptions = {}): Promise<string> {
  const html = checkHtml(reports, options);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'report.html');
  await writeFile(file, html);
  return file;
}

/** The page of check reports, as HTML text. */
export function checkHtml(reports: readonly CheckReport[], options: CheckHtmlOptions = {}): string {
  const topologyOf = (name: string): Topology | undefined => options.topologies?.find((t) => t.name === name) ?? namedTopologies[name]?.();
  const diagrams: PageDiagram[] = [];
  const violations = reports.reduce((n, r) => n + r.violations.length, 0);
  const sections: string[] = [];

  sections.push(`<section><h2>Exploration</h2>
<table><tr><th>topology</th><th class="num">reachable states</th><th class="num">transitions</th><th class="num">refused events</th><th class="num">properties</th><th class="num">violations</th><th>complete</th><th class="num">unrecoverable states</th><th class="num">ms</th></tr>
${reports
  .map(
    (r) =>
      `<tr class="${r.violations.length > 0 ? 'failed' : ''}"><td><b>${esc(r.topology)}</b></td><td class="num">${r.states}${r.exploredStates !== r.states ? ` (${r.exploredStates} with the checker's record)` : ''}</td><td class="num">${r.transitions}</td><td class="num">${r.refusals}</td><td class="num">${r.invariants.length}</td><td class="num">${r.violations.length}</td><td>${r.complete ? 'yes' : '<span class="bad-text">no: stopped early</span>'}</td><td class="num">${r.unrecoverableStates}</td><td class="num">${r.elapsedMs}</td></tr>`,
  )
  .join('\n')}
</table>
<details><summary>properties checked</summary><p>${[...new Set(reports.flatMap((r) => r.invariants))].map((i) => `<code>${esc(i)}</code>`).join(' · ')}</p></details>
</section>`);

  let n = 0;
  for (const r of reports) {
    if (r.violations.length === 0) continue;
    const topology = topologyOf(r.topology);
    sections.push(
      `<section><h2>Violations in ${esc(r.topology)} (${r.violations.length})</h2>${r.violations.map((v) => violationCard(v, n++, r.topology, topology, diagrams)).join('\n')}</section>`,
    );
  }

  if (violations === 0) {
    const kinds = componentCharts();
    const plain = kinds.map(({ kind, chart }) => ({ id: `model-${kind}`, source: stateDiagram(chart, { name: kind }).source }));
    diagrams.push(...plain);
    sections.push(
      `<section><h2>The model</h2><div class="kinds">${plain
        .map((d, i) => `<div class="kind"><h3>${esc(kinds[i]!.kind)}</h3>${diagramBox(d)}</div>`)
        .join('\n')}</div></section>`,
    );
  }

  return htmlPage({
    title: 'sanspec check',
    verdict:
      violations === 0
        ? { text: 'NO VIOLATIONS', pass: true }
        : { text: `${violations} VIOLATION${violations === 1 ? '' : 'S'}`, pass: false },
    meta: [
      ['topologies', reports.map((r) => r.topology).join(', ')],
      ['states', String(reports.reduce((a, r) => a + r.states, 0))],
      ['took', `${(reports.reduce((a, r) => a + r.elapsedMs, 0) / 1000).toFixed(1)} s`],
    ],
    body: sections.join('\n'),
    diagrams,
  });
}

/** One violation: the trace as a sequence diagram, the status after each step, the machines at the violating state. */
function violationCard(v: Violation, index: number, topologyName: string, topology: Topology | undefined, diagrams: PageDiagram[]): string {
  const events = v.trace.flatMap((t) => (t.event ? [t.event] : []));
  const rows = v.trace
    .map(
      (t, i) =>
        `<tr class="${i === v.trace.length - 1 ? 'failed' : ''}"><td class="num">${i}</td><td><code>${esc(t.event ? eventLabel(t.event) : 'initial')}</code></td><td><code>${esc(statusLine(t.status))}</code></td></tr>`,
    )
    .join('');
  let pictures = `<p class="notice">Topology ${esc(topologyName)} is not a named topology and was not given to the report writer, so the trace is not drawn.</p>`;
  let machines = '';
  if (topology) {
    const model = createGroupModel(topology);
    const coverage = new ModelCoverage(model);
    const replay = coverage.replay(events);
    const steps = replay.steps.map((s, i) => ({
      label: eventLabel(s.event),
      event: s.event,
      refused: s.refusal?.code ?? null,
      before: v.trace[i]?.status ?? s.before,
      after: v.trace[i + 1]?.status ?? s.after,
    }));
    const id = `violation-${index}`;
    const source = pathSequence(
      topology,
      steps,
      { step: steps.length - 1, lines: [`${v.invariant} (${v.spec.join(', ')})`, v.message] },
      { from: `the shortest trace to ${v.invariant}` },
    );
    diagrams.push({ id, source });
    pictures = diagramBox(
      { id, source },
      `the shortest trace, ${events.length} step${events.length === 1 ? '' : 's'}: breadth-first search finds no shorter one; notes show what changed`,
    );
    const views = currentViews(coverage, replay.final);
    const section = coverageSection(views, { idPrefix: `violation-${index}` });
    diagrams.push(...section.diagrams);
    machines = `<h4>The component machines along the trace</h4>${section.html}`;
  }
  return `<article class="failure" id="violation-${index}">
<h3><span class="rule">${esc(v.spec.join(', '))}</span><code>${esc(v.invariant)}</code></h3>
<p class="message">${esc(v.message)}</p>
<div class="split"><div>${pictures}</div>
<div class="evidence"><h4>status after each step</h4><table><tr><th class="num">#</th><th>event</th><th>status</th></tr>${rows}</table></div></div>
${machines}
</article>`;
}

/** Views of the kinds the trace moved, with the violating state of each component marked. */
function currentViews(coverage: ModelCoverage, final: readonly number[]): CoverageView[] {
  return componentCharts()
    .filter(({ kind }) => [...coverage.kind(kind).taken.keys()].length > 0)
    .map(({ kind, chart }) => {
      const byComponent = coverage.statesOf(final, kind);
      return { kind, chart, coverage: coverage.kind(kind), current: { paths: new Set([...byComponent.values()].flat()), byComponent } };
    });
}
