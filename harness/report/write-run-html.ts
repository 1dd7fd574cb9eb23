// The HTML page of a conformance run (`sanspec run --report DIR` writes it as report.html): the
// verdict and totals, each failure with its path as a sequence diagram next to its evidence and
// replay command, the summary per SPEC ID, the plan's coverage figures, and the component
// machines with the transitions the run's paths took (replayed on the model) coloured.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createGroupModel } from '../../models/group.js';
import { namedTopologies } from '../../models/topology.js';
import type { GroupEvent, Topology } from '../../models/types.js';
import { eventLabel, statusLine } from '../check/format.js';
import type { PathFailure, RunReport, StatusDifference, StepRecord } from '../conform/types.js';
import { componentCharts } from '../diagram/component-charts.js';
import type { HistoryEntry } from '../workload/types.js';
import { coverageSection } from './coverage-section.js';
import { diagramBox, esc, htmlPage, type PageDiagram } from './html-page.js';
import { ModelCoverage } from './model-coverage.js';
import { pathSequence, type SequenceStep } from './sequence-diagram.js';
import type { ReportedPath, RunHtmlOptions } from './types.js';

/** Writes `report.html` for a run into `dir` (created if missing); resolves to the file written. */
export async function writeRunHtml(report: RunReport, dir: string, options: RunHtmlOptions = {}): Promise<string> {
  const html = runHtml(report, options);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'report.html');
  await writeFile(file, html);
  return file;
}

/** The topology of a run: given, the plan's, or the named one. */
function topologyOf(report: RunReport, options: RunHtmlOptions): Topology {
  const t = options.topology ?? options.plan?.topology ?? namedTopologies[report.topology]?.();
  if (!t) {
    throw new Error(
      `writeRunHtml: topology ${JSON.stringify(report.topology)} is not a named topology; pass the plan or the topology (options.plan, options.topology)`,
    );
  }
  return t;
}

/** A value as text: strings as they are, anything else as JSON. */
const json = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/** The page of a run, as HTML text. */
export function runHtml(report: RunReport, options: RunHtmlOptions = {}): string {
  const topology = topologyOf(report, options);
  const model = createGroupModel(topology);
  const coverage = new ModelCoverage(model);
  const paths = report.paths as readonly ReportedPath[];
  for (const p of paths) {
    if (p.outcome === 'notApplicable') continue;
    coverage.replay(p.path.steps.slice(0, p.steps.length).map((s) => s.event));
  }
  const diagrams: PageDiagram[] = [];
  const failed = paths.filter((p) => p.outcome === 'failed');
  const t = report.totals;
  const sections: string[] = [];

  const plan = options.plan?.coverage;
  sections.push(`<section><div class="cards">
${card(t.paths, 'paths')}${card(t.passed, 'passed', 'ok')}${card(t.failed, 'failed', t.failed > 0 ? 'bad' : '')}${card(t.notApplicable, 'not applicable')}${card(t.steps, 'steps')}
${plan ? card(`${plan.covered}/${plan.goal}`, `plan coverage: ${plan.unit}`, plan.covered === plan.goal ? 'ok' : '') : ''}
</div></section>`);

  if (failed.length > 0) {
    const scratch = new ModelCoverage(createGroupModel(topology));
    sections.push(
      `<section id="failures"><h2>Failures (${failed.length})</h2>${failed.map((p, i) => failureCard(p, i, topology, scratch, diagrams)).join('\n')}</section>`,
    );
  }

  sections.push(`<section id="spec"><h2>Summary per SPEC ID</h2>
<table><tr><th>SPEC</th><th class="num">paths</th><th class="num">passed</th><th class="num">failed</th><th class="num">not applicable</th><th></th></tr>
${report.summary
  .map((s) => {
    const part = (n: number, cls: string) => (n > 0 ? `<span class="${cls}" style="width:${(100 * n) / s.paths}%"></span>` : '');
    const bar =
      s.paths > 0 ? `<span class="bar">${part(s.passed, 'pass')}${part(s.failed, 'fail')}${part(s.notApplicable, 'na')}</span>` : '';
    return `<tr class="${s.failed > 0 ? 'failed' : ''}"><td><b>${esc(s.spec)}</b></td><td class="num">${s.paths}</td><td class="num">${s.passed}</td><td class="num">${s.failed}</td><td class="num">${s.notApplicable}</td><td>${bar}</td></tr>`;
  })
  .join('\n')}
</table></section>`);

  if (plan) {
    sections.push(`<section id="plan"><h2>Plan coverage</h2>
<p>criterion <b>${esc(report.criterion)}</b>: the plan's paths cover <b>${plan.covered}</b> of <b>${plan.goal}</b> ${esc(plan.unit)} (${plan.goal ? Math.round((100 * plan.covered) / plan.goal) : 100}%).</p>
${plan.uncovered.length > 0 ? `<details><summary>${plan.uncovered.length} left uncovered, with why</summary><ul>${plan.uncovered.map((u) => `<li>${esc(u)}</li>`).join('')}</ul></details>` : ''}
</section>`);
  }

  const views = componentCharts().map(({ kind, chart }) => ({ kind, chart, coverage: coverage.kind(kind) }));
  const cov = coverageSection(views, { idPrefix: 'coverage' });
  diagrams.push(...cov.diagrams);
  sections.push(`<section id="coverage"><h2>Model coverage of the run</h2>
<p class="stats">The steps the paths performed, replayed on the model of topology <b>${esc(topology.name)}</b>: which transitions of each component machine they took.</p>
${cov.html}</section>`);

  sections.push(`<section id="paths"><h2>Paths (${paths.length})</h2>
<details${paths.length <= 40 ? ' open' : ''}><summary>every path with its outcome</summary>
<table><tr><th>path</th><th>outcome</th><th>SPEC</th><th class="num">steps</th><th class="num">ms</th></tr>
${paths
  .map(
    (p) =>
      `<tr class="${p.outcome === 'failed' ? 'failed' : ''}"><td><code>${esc(p.id)}</code></td><td>${esc(p.outcome)}${p.reason ? `: ${esc(p.reason)}` : ''}</td><td>${esc(p.spec.join(', '))}</td><td class="num">${p.steps.length}/${p.path.steps.length}</td><td class="num">${p.durationMs}</td></tr>`,
  )
  .join('\n')}
</table></details></section>`);

  const shard = report.shard ? ` (shard ${report.shard.index}/${report.shard.count})` : '';
  return htmlPage({
    title: `sanspec run: ${report.adapter}`,
    verdict: failed.length === 0 ? { text: 'PASSED', pass: true } : { text: `FAILED: ${failed.length} of ${t.paths} paths`, pass: false },
    meta: [
      ['topology', report.topology],
      ['criterion', `${report.criterion}${shard}`],
      ['seed', String(report.seed)],
      ['started', report.startedAt],
      ['took', `${(report.durationMs / 1000).toFixed(1)} s`],
    ],
    body: sections.join('\n'),
    diagrams,
  });
}

function card(n: number | string, label: string, cls = ''): string {
  return `<div class="card ${cls}"><div class="n">${esc(n)}</div><div class="l">${esc(label)}</div></div>`;
}

/** Where a failure was seen, in words. */
function where(f: PathFailure, labels: readonly string[]): string {
  if (f.step < 0) return 'in the initial state';
  if (f.step >= labels.length) return 'in the final checks';
  return `after step ${f.step + 1} (${labels[f.step]})`;
}

/** One failure: its path as a sequence diagram beside the evidence; the minimized path when there is one. */
function failureCard(p: ReportedPath, index: number, topology: Topology, scratch: ModelCoverage, diagrams: PageDiagram[]): string {
  const minimized = p.minimized;
  // What is drawn: the minimized path and its failure when the run minimized it, else the path as run.
  const shown = minimized ? { path: minimized.path, steps: minimized.steps, failure: minimized.failure } : p;
  const f = shown.failure;
  if (!f) return '';
  const events: GroupEvent[] = shown.path.steps.slice(0, shown.steps.length).map((s) => s.event);
  const replay = scratch.replay(events);
  const steps: SequenceStep[] = replay.steps.map((s, i) => {
    const record = shown.steps[i];
    const refused = record ? (record.result === 'accepted' ? null : record.result.refused) : (s.refusal?.code ?? null);
    return { label: record?.label ?? eventLabel(s.event), event: s.event, refused, before: s.before, after: s.after };
  });
  const labels = shown.steps.map((s) => s.label);
  const evidence = (f.data ?? []).flatMap((d) => d.evidence.map((entry) => ({ vdisk: d.vdisk, entry })));
  const seq = pathSequence(
    topology,
    steps,
    { step: f.step, lines: [`${f.rule} ${where(f, labels)}`, ...failureLines(f)], evidence },
    { from: `path ${p.id} of the run` },
  );
  const id = `failure-${index}`;
  diagrams.push({ id, source: seq });
  const r = minimized?.reproduction;
  const caption = minimized
    ? `minimized from ${minimized.originalLength} to ${minimized.path.steps.length} steps${r && r.runs > 0 ? `, reproduced ${r.failures}/${r.runs} (${r.verdict})` : ''}`
    : `the path as run: ${p.steps.length} of ${p.path.steps.length} planned steps; notes show what the model predicts after each step`;
  return `<article class="failure" id="path-${esc(p.id)}">
<h3><span class="rule">${esc(f.rule)}</span>path <code>${esc(minimized ? minimized.path.id : p.id)}</code>${minimized ? ` (minimized from <code>${esc(p.id)}</code>)` : ''}, ${esc(where(f, labels))}</h3>
<p class="message">${esc(f.message)}</p>
<div class="split">
<div>${diagramBox({ id, source: seq }, caption)}</div>
<div class="evidence">
${f.diff && f.diff.length > 0 ? diffTable(f.diff) : ''}
${f.expected && f.observed ? `<h4>whole status</h4><table><tr><th>expected</th><td><code>${esc(statusLine(f.expected))}</code></td></tr><tr><th>observed</th><td><code>${esc(statusLine(f.observed))}</code></td></tr></table>` : ''}
${(f.data ?? [])
  .map(
    (d) =>
      `<h4>${esc(d.vdisk)} block ${d.block}: found <span class="bad-text">${esc(d.found)}</span>, allowed ${esc(d.allowed.join(' or ') || 'nothing')}</h4>${historyTable(d.evidence)}`,
  )
  .join('\n')}
<h4>replay</h4>
${p.replay ? `<pre class="replay">${esc(p.replay.command)}</pre>` : '<p class="stats">No replay file: the run was not asked to save one.</p>'}
<h4>steps</h4>
<ol>${shown.path.steps.map((s, i) => `<li class="${i === f.step ? 'bad-text' : ''}">${esc(eventLabel(s.event))}${i < shown.steps.length ? stepResult(shown.steps[i]!) : ' <span class="stats">(not run)</span>'}</li>`).join('')}</ol>
${p.log && p.log.length > 0 ? `<details><summary>path log (${p.log.length} lines)</summary><pre>${esc(p.log.join('\n'))}</pre></details>` : ''}
</div></div></article>`;
}

/** The failure in a few lines for its note: the differences, or the blocks, or the message. */
function failureLines(f: PathFailure): string[] {
  if (f.diff && f.diff.length > 0) {
    const shown = f.diff.slice(0, 4).map((d) => `${d.field}: model ${json(d.expected)}, system ${json(d.observed)}`);
    return f.diff.length > 4 ? [...shown, `and ${f.diff.length - 4} more differences`] : shown;
  }
  if (f.data && f.data.length > 0)
    return f.data.slice(0, 3).map((d) => `${d.vdisk} block ${d.block}: found ${d.found}, allowed ${d.allowed.join(' or ') || 'nothing'}`);
  return [f.message];
}

function stepResult(r: StepRecord): string {
  const refused = r.result === 'accepted' ? '' : ` <span class="bad-text">✗ ${esc(r.result.refused)}</span>`;
  return `${refused} <span class="stats">${r.settleMs} ms${r.ioOps ? `, ${r.ioOps} I/O` : ''}</span>`;
}

function diffTable(diff: readonly StatusDifference[]): string {
  return `<h4>status differences</h4><table><tr><th>field</th><th>expected</th><th>observed</th></tr>${diff
    .map(
      (d) =>
        `<tr><td><code>${esc(d.field)}</code></td><td class="ok-text">${esc(json(d.expected))}</td><td class="bad-text">${esc(json(d.observed))}</td></tr>`,
    )
    .join('')}</table>`;
}

function historyTable(entries: readonly HistoryEntry[]): string {
  return `<table><tr><th class="num">#</th><th>op</th><th class="num">block</th><th>value</th><th>outcome</th><th>path</th><th class="num">invoked ms</th><th class="num">completed ms</th></tr>${entries
    .map((e) => {
      const value = e.corrupt
        ? `${e.corrupt.damage}: ${e.corrupt.reason}`
        : e.value === undefined
          ? ''
          : e.value === 0 && e.kind === 'read'
            ? 'zeros'
            : `write ${e.value}`;
      return `<tr><td class="num">${e.id}</td><td>${esc(e.kind)}${e.fua ? ' FUA' : ''}</td><td class="num">${e.block ?? ''}</td><td>${esc(value)}</td><td class="${e.outcome === 'ok' ? '' : 'bad-text'}">${esc(e.outcome)}${e.error ? `: ${esc(e.error)}` : ''}</td><td>${esc(e.path ?? '')}</td><td class="num">${e.invokedAt.toFixed(1)}</td><td class="num">${e.completedAt === undefined ? '' : e.completedAt.toFixed(1)}</td></tr>`;
    })
    .join('')}</table>`;
}
