// The overview of a server group as a Mermaid stateDiagram-v2: one box per component kind with
// its states in brief, the outside (operator, world, hosts) that sends the group's events, and
// an arrow for each pair of kinds that talk, labelled with the events: notifications forwarded
// as emitted, and the group's translations of them (`serverStopped ⇐ virtualizationStopped`: the
// group sends `serverStopped` when the server emits `virtualizationStopped`).
// Everything comes from the machines (states) and from the routes observed on the composed
// model (group-routes.ts), so a new component, event or route appears without code changes.

import { generatedHeader, MermaidIds, mermaidLines, mermaidText } from './mermaid-text.js';
import type { Chart, ChartState, Diagram, Route } from './types.js';

/** A component kind of the group with its machine's chart. */
export interface KindChart {
  /** Kind as the group model names it (`server`, `single`). */
  readonly kind: string;
  readonly chart: Chart;
}

/** Widest label line, in characters, before items wrap to the next line. */
const LINE = 28;

/** Items joined by `, ` into lines of at most LINE characters. */
function wrap(items: readonly string[]): string[] {
  const lines: string[] = [];
  for (const item of items) {
    const last = lines[lines.length - 1];
    if (last !== undefined && last.length + item.length + 2 <= LINE) lines[lines.length - 1] = `${last}, ${item}`;
    else lines.push(item);
  }
  return lines;
}

/** States in brief: `on (running, stopped), off`. */
function brief(states: readonly ChartState[]): string {
  return states.map((s) => (s.children.length > 0 && s.type !== 'parallel' ? `${s.key} (${brief(s.children)})` : s.key)).join(', ');
}

/** Lines describing a machine's states: one per region of a parallel machine. */
function stateLines(chart: Chart): string[] {
  const root = chart.root;
  if (root.type === 'parallel') return root.children.map((r) => `${r.key}: ${brief(r.children)}`);
  return [brief(root.children)];
}

/** The label item of a route. */
function item(r: Route): string {
  switch (r.source.kind) {
    case 'outside':
      return r.source.groupEvent === r.event ? r.event : `${r.source.groupEvent} ⇒ ${r.event}`;
    case 'notification':
      return r.event;
    case 'translation':
      return `${r.event} ⇐ ${r.source.on}`;
    case 'group':
      return r.event;
  }
}

/** The node a route comes from. */
function sourceNode(r: Route): string {
  switch (r.source.kind) {
    case 'outside':
      return ' outside';
    case 'notification':
    case 'translation':
      return r.source.from;
    case 'group':
      return ' group';
  }
}

/** Options of the overview. */
export interface OverviewOptions {
  /** Where the routes were observed, for the header (e.g. the topology names). */
  observedOn: string;
}

/** Mermaid source of the group overview. */
export function groupOverview(kinds: readonly KindChart[], routes: readonly Route[], options: OverviewOptions): Diagram {
  const ids = new MermaidIds();
  const id = (node: string) => ids.id([node.trim()], 'group');
  const out = [generatedHeader(`models/ (the machines, and the routes observed on ${options.observedOn})`), 'stateDiagram-v2'];
  const froms = new Set(routes.map(sourceNode));
  if (froms.has(' outside')) out.push(`  state "${mermaidText('operator · world · hosts')}" as ${id('outside')}`);
  for (const { kind, chart } of kinds) {
    const title = kind === chart.id ? kind : `${kind} (${chart.id} machine)`;
    out.push(`  state "${mermaidText(title)}" as ${id(kind)}`);
    for (const line of stateLines(chart)) out.push(`  ${id(kind)} : ${mermaidText(line)}`);
  }
  if (froms.has(' group')) {
    out.push(`  state "${mermaidText('group routing')}" as ${id('routing')}`);
    out.push(`  ${id('routing')} : ${mermaidText('events no notification causes')}`);
  }
  // One arrow per pair of nodes, its events in order of first observation.
  const arrows = new Map<string, { from: string; to: string; items: string[] }>();
  for (const r of routes) {
    const from = sourceNode(r);
    const key = `${from}->${r.to}`;
    const a = arrows.get(key) ?? { from, to: r.to, items: [] };
    const text = item(r);
    if (!a.items.includes(text)) a.items.push(text);
    arrows.set(key, a);
  }
  const node = (n: string) => (n === ' outside' ? id('outside') : n === ' group' ? id('routing') : id(n));
  for (const a of arrows.values()) out.push(`  ${node(a.from)} --> ${node(a.to)}: ${mermaidLines(wrap(a.items))}`);
  return { name: 'group', title: 'the server group: components and their notifications', source: `${out.join('\n')}\n`, edges: [] };
}
