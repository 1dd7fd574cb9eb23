// The component diagrams of a page, marked: arrows taken green and the rest grey and dashed,
// states visited green and the rest grey, the current states (of a violation) yellow, and a
// tick on each refusal and machine-wide transition that was exercised. Under each diagram its
// figures, and every transition of the machine in a table with how often it was taken.

import { chartStates } from '../diagram/machine-chart.js';
import { edgeTaken, refusalsIn, stateDiagram, transitionHead } from '../diagram/state-diagram.js';
import type { Chart, DiagramMarks } from '../diagram/types.js';
import { diagramBox, esc, type PageDiagram } from './html-page.js';
import type { KindCoverage } from './model-coverage.js';

/** One component kind to show. */
export interface CoverageView {
  readonly kind: string;
  readonly chart: Chart;
  readonly coverage: KindCoverage;
  /** State paths to mark as current, and which component is in which, for the caption. */
  readonly current?: { readonly paths: ReadonlySet<string>; readonly byComponent: ReadonlyMap<string, readonly string[]> };
}

/** Figures of one kind: arrows, refusals and states, taken or visited out of all. */
export interface CoverageFigures {
  readonly arrows: { readonly taken: number; readonly total: number };
  readonly refusals: { readonly taken: number; readonly total: number };
  readonly states: { readonly visited: number; readonly total: number };
}

const pct = (a: number, b: number) => (b === 0 ? '—' : `${Math.round((100 * a) / b)}%`);

/** Figures of a kind under some marks. */
export function coverageFigures(chart: Chart, marks: DiagramMarks): CoverageFigures {
  const diagram = stateDiagram(chart, { marks });
  const atomic = chartStates(chart).filter((s) => s.children.length === 0);
  const refusalKeys = atomic.flatMap((s) => refusalsIn(chart, s.path).map((t) => `${t.id}@${s.path.join('.')}`));
  return {
    arrows: { taken: diagram.edges.filter((e) => edgeTaken(e, marks)).length, total: diagram.edges.length },
    refusals: { taken: refusalKeys.filter((k) => marks.taken.has(k)).length, total: refusalKeys.length },
    states: { visited: atomic.filter((s) => marks.visited.has(s.path.join('.'))).length, total: atomic.length },
  };
}

/** The marks of a view. */
export function marksOf(view: CoverageView): DiagramMarks {
  return { taken: new Set(view.coverage.taken.keys()), visited: view.coverage.visited, current: view.current?.paths };
}

/** HTML and diagrams of the section. */
export function coverageSection(
  views: readonly CoverageView[],
  options: { readonly idPrefix: string },
): { html: string; diagrams: PageDiagram[] } {
  const diagrams: PageDiagram[] = [];
  const blocks = views.map((view) => {
    const marks = marksOf(view);
    const diagram = stateDiagram(view.chart, { name: view.kind, marks });
    const id = `${options.idPrefix}-${view.kind}`;
    diagrams.push({ id, source: diagram.source, edges: diagram.edges.map((e) => ({ label: e.label, taken: edgeTaken(e, marks) })) });
    const f = coverageFigures(view.chart, marks);
    const current = view.current
      ? `<p class="stats">at the violation: ${[...view.current.byComponent]
          .map(([name, paths]) => `<b>${esc(name)}</b> ${esc(leafNames(paths))}`)
          .join(' · ')}</p>`
      : '';
    const rows = view.chart.transitions
      .map((t) => {
        const n = view.coverage.taken.get(t.id) ?? 0;
        const what =
          t.kind === 'move' ? `→ ${t.targets.map((p) => p.join('.')).join(', ')}` : t.kind === 'refusal' ? `✗ ${t.refusal}` : 'stays';
        return `<tr class="${n > 0 ? '' : 'untaken'}"><td>${esc(t.source.join('.') || `(${view.chart.id})`)}</td><td>${esc(transitionHead(t))}</td><td>${esc(what)}</td><td>${esc(t.spec.join(', '))}</td><td class="num">${n > 0 ? n : '<span class="bad-text">0</span>'}</td></tr>`;
      })
      .join('');
    return `<div class="kind"><h3>${esc(view.kind)} <span class="stats">(${esc(view.chart.id)} machine${view.chart.sourceFile ? `, ${esc(view.chart.sourceFile)}` : ''})</span></h3>
<p class="stats">arrows taken <b>${f.arrows.taken}/${f.arrows.total}</b> (${pct(f.arrows.taken, f.arrows.total)}) · refusals exercised <b>${f.refusals.taken}/${f.refusals.total}</b> · states visited <b>${f.states.visited}/${f.states.total}</b></p>
${current}
${diagramBox({ id, source: diagram.source })}
<details><summary>every transition of the ${esc(view.chart.id)} machine, with how often it was taken</summary>
<table><tr><th>state</th><th>event [guard]</th><th>does</th><th>SPEC</th><th class="num">taken</th></tr>${rows}</table></details></div>`;
  });
  const legend = `<p class="legend">arrows: <i></i>taken <i class="no"></i>not taken · states: <b class="box"></b>visited <b class="box no"></b>not visited${
    views.some((v) => v.current) ? ' <b class="box cur"></b>where the violation is' : ''
  } · ✓ after a refused event (✗ lines in a state): refused at least once there</p>`;
  return { html: `${legend}<div class="kinds">${blocks.join('\n')}</div>`, diagrams };
}

/** The deepest active states of a component, from its active paths: `power.on.running, ups.mains`. */
function leafNames(paths: readonly string[]): string {
  return paths.filter((p) => !paths.some((q) => q.startsWith(`${p}.`))).join(', ');
}
