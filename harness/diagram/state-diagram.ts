// Draws a chart as a Mermaid stateDiagram-v2. The machine is one box named after it; compound
// states are boxes with their initial state marked, parallel regions are separated by dashed
// lines. Arrows are the transitions that change state, labelled `event [guard]` and, on a second
// line, the SPEC IDs of the comment above the transition in the model. A transition that accepts
// an event without changing state (it updates the context, or nothing) is a loop on its state.
//
// Mermaid cannot lay out an arrow that enters or leaves a box to reach a state inside it, so such
// an arrow ends at the box and its label names the state inside (`powerOn → running`).
//
// Refusals (`refuse` actions, SRV-12) would put a loop on nearly every state. Each state box
// lists instead, one line per code, the events it refuses, wherever they are defined (`✗ CODE:
// events`). Transitions defined on the machine itself apply in every state that does not handle
// the event: those that change state are drawn from each top-level state that does not, those
// that stay are loops on the machine box.

import { generatedHeader, MermaidIds, mermaidLines, mermaidText, shorten } from './mermaid-text.js';
import type { Chart, ChartState, ChartTransition, Diagram, DiagramEdge, DiagramMarks } from './types.js';

/** Longest guard expression shown on a label. */
const GUARD_MAX = 38;

const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i]);
const dotted = (path: readonly string[]) => path.join('.');

/** `event [guard]` of a transition (`[guard]` alone for an eventless one). */
export function transitionHead(t: ChartTransition): string {
  const guard = t.guard ? `[${shorten(t.guard, GUARD_MAX)}]` : '';
  return [t.event ?? '', guard].filter(Boolean).join(' ') || '(always)';
}

/** Deepest state that contains both ends of an arrow (a loop or an arrow into a descendant: the state's parent). */
function commonParent(a: readonly string[], b: readonly string[]): string[] {
  const common: string[] = [];
  for (let i = 0; i < Math.min(a.length, b.length) && a[i] === b[i]; i++) common.push(a[i]!);
  if (same(common, a) || same(common, b)) common.pop();
  return common;
}

/** A state handles an event itself when one of its own transitions for it has no guard. */
function handles(chart: Chart, state: readonly string[], event: string): boolean {
  return chart.transitions.some((t) => same(t.source, state) && t.event === event && t.guard === null);
}

/** An arrow to draw, with the ends Mermaid can lay out. */
interface Arrow {
  transition: ChartTransition;
  /** The state the transition is taken from (a top-level state for a transition of the machine itself). */
  from: readonly string[];
  /** The drawn ends: lifted to the box directly inside the common parent. */
  drawnFrom: readonly string[];
  drawnTo: readonly string[];
  /** Parent the arrow is drawn in. */
  parent: readonly string[];
  lines: string[];
}

function arrow(transition: ChartTransition, from: readonly string[], to: readonly string[]): Arrow {
  const parent = commonParent(from, to);
  const drawnFrom = from.slice(0, parent.length + 1);
  const drawnTo = to.slice(0, parent.length + 1);
  const rel = (full: readonly string[], drawn: readonly string[]) => dotted(full.slice(drawn.length));
  let head = transitionHead(transition);
  if (!same(drawnFrom, from) && !same(from, to)) head = `from ${rel(from, drawnFrom)}: ${head}`;
  if (!same(drawnTo, to)) head = `${head} → ${rel(to, drawnTo)}`;
  return { transition, from, drawnFrom, drawnTo, parent, lines: [head, transition.spec.join(', ')].filter(Boolean) };
}

/** Arrows of a chart: transitions that change state, and the ones that stay on non-root states (loops). */
function arrowsOf(chart: Chart): Arrow[] {
  const arrows: Arrow[] = [];
  const top = chart.root.children.map((c) => c.path);
  for (const t of chart.transitions) {
    if (t.kind === 'refusal') continue;
    const rootLevel = t.source.length === 0;
    if (t.kind === 'internal') {
      arrows.push(arrow(t, t.source, t.source));
      continue;
    }
    const froms = rootLevel ? top.filter((c) => t.event === null || !handles(chart, c, t.event)) : [t.source];
    for (const from of froms) for (const to of t.targets) arrows.push(arrow(t, from, to));
  }
  return arrows;
}

/**
 * The refusals in effect in an atomic state: going up from the state, each level's refusals for
 * events no level below handled without a guard; a level that handles an event unguarded ends
 * the search for that event.
 */
export function refusalsIn(chart: Chart, state: readonly string[]): ChartTransition[] {
  const found: ChartTransition[] = [];
  const settled = new Set<string>();
  for (let depth = state.length; depth >= 0; depth--) {
    const level = state.slice(0, depth);
    const own = chart.transitions.filter((t) => t.event !== null && same(t.source, level) && !settled.has(t.event));
    for (const t of own) if (t.kind === 'refusal') found.push(t);
    for (const t of own) if (t.guard === null) settled.add(t.event!);
  }
  return found;
}

/** Mark for a refusal: ` ✓` when taken. */
function tick(marks: DiagramMarks | undefined, key: string): string {
  return marks?.taken.has(key) ? ' ✓' : '';
}

/** Options of a state diagram. */
export interface StateDiagramOptions {
  /** File name of the diagram (default: the machine id). */
  name?: string;
  /** Coverage or current-state marks (the HTML report); none in docs/diagrams. */
  marks?: DiagramMarks;
}

/** Mermaid stateDiagram-v2 source of a chart. */
export function stateDiagram(chart: Chart, options: StateDiagramOptions = {}): Diagram {
  const { marks } = options;
  const ids = new MermaidIds();
  const id = (path: readonly string[]) => ids.id(path, chart.id);
  const arrows = arrowsOf(chart);
  const edges: DiagramEdge[] = [];
  const out: string[] = [generatedHeader(chart.sourceFile ?? `the ${chart.id} machine`), 'stateDiagram-v2'];
  const indent = (depth: number) => '  '.repeat(depth);

  const drawArrow = (a: Arrow, depth: number) => {
    edges.push({ transition: a.transition.id, from: a.from, label: a.lines.join(' ') });
    out.push(`${indent(depth)}${id(a.drawnFrom)} --> ${id(a.drawnTo)}: ${mermaidLines(a.lines)}`);
  };

  const describe = (s: ChartState): string[] => {
    const byCode = new Map<string, string[]>();
    for (const t of refusalsIn(chart, s.path)) {
      const event = `${transitionHead(t)}${tick(marks, `${t.id}@${dotted(s.path)}`)}`;
      byCode.set(t.refusal!, [...(byCode.get(t.refusal!) ?? []), event]);
    }
    return [
      ...(s.spec.length ? [s.spec.join(', ')] : []),
      ...(s.entry.length ? [`entry / ${s.entry.join(', ')}`] : []),
      ...(s.exit.length ? [`exit / ${s.exit.join(', ')}`] : []),
      ...[...byCode].map(([code, events]) => `✗ ${code}: ${events.join(', ')}`),
    ];
  };

  const drawState = (s: ChartState, depth: number) => {
    const name = s.path.length === 0 ? `${s.key} machine` : s.key;
    if (s.children.length === 0) {
      out.push(`${indent(depth)}state "${mermaidText(name)}" as ${id(s.path)}`);
      for (const line of describe(s)) out.push(`${indent(depth)}${id(s.path)} : ${mermaidText(line)}`);
      return;
    }
    const label = s.spec.length ? `${name} · ${s.spec.join(', ')}` : name;
    out.push(`${indent(depth)}state "${mermaidText(label)}" as ${id(s.path)} {`);
    if (s.type === 'parallel') {
      s.children.forEach((c, i) => {
        if (i > 0) out.push(`${indent(depth + 1)}--`);
        drawState(c, depth + 1);
      });
    } else {
      if (s.initial) out.push(`${indent(depth + 1)}[*] --> ${id(s.initial.slice(0, s.path.length + 1))}`);
      for (const c of s.children) drawState(c, depth + 1);
    }
    for (const a of arrows) if (same(a.parent, s.path) && a.drawnFrom.length > 0) drawArrow(a, depth + 1);
    out.push(`${indent(depth)}}`);
  };

  out.push(`  [*] --> ${id(chart.root.path)}`);
  drawState(chart.root, 1);

  // Loops on the machine box: transitions of the machine itself that stay, in every state that does not handle the event.
  for (const a of arrows) if (a.from.length === 0 && a.drawnTo.length === 0) drawArrow(a, 1);

  if (marks) out.push(...markLines(chart, marks, id));
  return { name: options.name ?? chart.id, title: `${chart.id} machine`, source: `${out.join('\n')}\n`, edges };
}

/** classDef and class lines colouring atomic states visited, not visited, and current. */
function markLines(chart: Chart, marks: DiagramMarks, id: (path: readonly string[]) => string): string[] {
  const atomic: ChartState[] = [];
  const walk = (s: ChartState) => (s.children.length === 0 ? atomic.push(s) : s.children.forEach(walk));
  walk(chart.root);
  const classOf = (s: ChartState) =>
    marks.current?.has(dotted(s.path)) ? 'current' : marks.visited.has(dotted(s.path)) ? 'visited' : 'unvisited';
  const lines = [
    '  classDef visited fill:#e6f4ea,stroke:#1e7b34,stroke-width:2px',
    '  classDef unvisited fill:#f6f6f6,stroke:#9e9e9e,stroke-dasharray:4 3,color:#757575',
    '  classDef current fill:#fff1b8,stroke:#a05a00,stroke-width:3px',
  ];
  for (const cls of ['visited', 'unvisited', 'current']) {
    const list = atomic.filter((s) => classOf(s) === cls);
    if (list.length > 0) lines.push(`  class ${list.map((s) => id(s.path)).join(',')} ${cls}`);
  }
  return lines;
}

/** Whether the edge was taken: the transition from the edge's state (or a state inside it). */
export function edgeTaken(edge: DiagramEdge, marks: DiagramMarks): boolean {
  return marks.taken.has(`${edge.transition}@${dotted(edge.from)}`);
}
