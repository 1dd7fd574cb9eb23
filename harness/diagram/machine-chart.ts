// Reads a statechart off an XState machine: walks `machine.root` and its state nodes (nested
// and parallel), and every transition with its event, guard, targets and actions. SPEC IDs and
// inline guards come from the machine's source (machine-source.ts). Nothing here knows a
// particular machine: a new state, event or guard appears in the chart as it is defined.

import type { AnyStateMachine } from 'xstate';
import { specIds } from './machine-source.js';
import type { Chart, ChartState, ChartStateType, ChartTransition, MachineSource, TransitionKind } from './types.js';

/** The parts of an XState state node the walk reads. */
interface StateNodeLike {
  key: string;
  path: string[];
  type: ChartStateType;
  states: Record<string, StateNodeLike>;
  initial?: { target: StateNodeLike[] };
  entry: unknown[];
  exit: unknown[];
  transitions: Map<string, TransitionLike[]>;
  always?: TransitionLike[];
}

/** The parts of an XState transition definition the walk reads. */
export interface TransitionLike {
  source: StateNodeLike;
  target?: StateNodeLike[] | undefined;
  eventType: string;
  guard?: unknown;
  actions: unknown[];
  reenter?: boolean;
}

const ALWAYS = '(always)';

/** The chart id of a transition definition: source path, event and position among the source's transitions for that event. */
export function transitionId(t: TransitionLike): string {
  const source = t.source;
  const list = t.eventType === '' ? (source.always ?? []) : (source.transitions.get(t.eventType) ?? []);
  return `${source.path.join('.')}|${t.eventType === '' ? ALWAYS : t.eventType}|${list.indexOf(t)}`;
}

/** Name of an action as written in the machine: its string, its `type`, or `assign`, `emit`... */
function actionName(a: unknown): string {
  if (typeof a === 'string') return a;
  const type = (a as { type?: unknown } | null)?.type;
  if (typeof type === 'string') return type.replace(/^xstate\./, '');
  return typeof a === 'function' && a.name ? a.name : 'inline';
}

/** The refusal code of a `refuse` action (`{ type: 'refuse', params: { code } }`), or null. */
function refusalCode(a: unknown): string | null {
  if (typeof a !== 'object' || a === null) return null;
  const { type, params } = a as { type?: unknown; params?: { code?: unknown } };
  return type === 'refuse' && typeof params?.code === 'string' ? params.code : null;
}

/** The expression of an inline guard `({ context }) => expr`, or the source as written. */
function inlineGuard(source: string): string {
  const m = /^(?:async\s*)?(?:\([^)]*\)|[\w$]+)\s*=>\s*([\s\S]+)$/.exec(source.trim());
  const body = (m?.[1] ?? source).trim().replace(/\s+/g, ' ');
  return body.startsWith('{') ? 'inline guard' : body;
}

/** Config path of a state node in the machine's config object (`states.power.states.on`). */
function configPath(path: readonly string[]): string {
  return path.flatMap((k) => ['states', k]).join('.');
}

const join = (...parts: string[]) => parts.filter(Boolean).join('.');

/** Reads the chart of a machine; `source` adds SPEC IDs and inline guard expressions. */
export function machineChart(machine: AnyStateMachine, source?: MachineSource): Chart {
  const root = machine.root as unknown as StateNodeLike;
  const transitions: ChartTransition[] = [];
  const accepts = new Set<string>();

  const transitionOf = (t: TransitionLike, index: number, listIsFrom: string): ChartTransition => {
    const node = t.source;
    const base = configPath(node.path);
    const key = t.eventType === '' ? join(base, 'always') : join(base, 'on', t.eventType);
    const element = source?.arrays.has(key) ? `${key}.${index}` : key;
    const comment = source?.comments.get(element) ?? source?.comments.get(key);
    const refusal = t.actions.map(refusalCode).find((c) => c !== null) ?? null;
    const targets = (t.target ?? []).map((s) => s.path);
    const kind: TransitionKind = targets.length > 0 ? 'move' : refusal ? 'refusal' : 'internal';
    let guard: string | null = null;
    if (typeof t.guard === 'string') guard = t.guard;
    else if (t.guard && typeof (t.guard as { type?: unknown }).type === 'string' && typeof t.guard !== 'function') {
      guard = (t.guard as { type: string }).type;
    } else if (t.guard) {
      const written = source?.guards.get(element);
      guard = written
        ? inlineGuard(written)
        : typeof t.guard === 'function' && t.guard.name && t.guard.name !== 'guard'
          ? t.guard.name
          : 'inline guard';
    }
    return {
      id: `${node.path.join('.')}|${listIsFrom}|${index}`,
      source: node.path,
      event: t.eventType === '' ? null : t.eventType,
      guard,
      targets,
      reenter: t.reenter === true,
      kind,
      refusal,
      actions: t.actions.map(actionName),
      spec: specIds(comment),
    };
  };

  const walk = (node: StateNodeLike): ChartState => {
    for (const [event, list] of node.transitions) {
      accepts.add(event);
      list.forEach((t, i) => {
        transitions.push(transitionOf(t, i, event));
      });
    }
    (node.always ?? []).forEach((t, i) => {
      transitions.push(transitionOf(t, i, ALWAYS));
    });
    const children = Object.values(node.states ?? {}).map(walk);
    const initial = node.type === 'compound' && node.initial?.target[0] ? node.initial.target[0].path : null;
    return {
      path: node.path,
      key: node.path.length === 0 ? machine.id : node.key,
      type: node.type,
      children,
      initial,
      entry: node.entry.map(actionName),
      exit: node.exit.map(actionName),
      spec: node.path.length === 0 ? [] : specIds(source?.comments.get(configPath(node.path))),
    };
  };
  const chart = walk(root);
  return {
    id: machine.id,
    root: chart,
    transitions,
    emits: emittedEvents(machine),
    accepts: [...accepts],
    sourceFile: source?.file ?? null,
  };
}

/**
 * Event types a machine emits: the `emit` actions among its implementations, evaluated with an
 * empty context when written as expressions. Refusals (`refused`) are left out: they answer the
 * caller, they do not notify other components.
 */
export function emittedEvents(machine: AnyStateMachine): string[] {
  const found: string[] = [];
  for (const impl of Object.values(machine.implementations.actions ?? {})) {
    if (typeof impl !== 'function' || (impl as { type?: unknown }).type !== 'xstate.emit') continue;
    const spec = (impl as unknown as { event: unknown }).event;
    let type: unknown;
    try {
      type =
        typeof spec === 'function'
          ? (spec as (a: unknown, p: unknown) => { type?: unknown })({ context: {}, event: { type: '' } }, {})?.type
          : (spec as { type?: unknown })?.type;
    } catch {
      type = undefined;
    }
    if (typeof type === 'string' && type !== 'refused' && !found.includes(type)) found.push(type);
  }
  return found;
}

/** Every state of a chart, depth first, the root first. */
export function chartStates(chart: Chart): ChartState[] {
  const out: ChartState[] = [];
  const walk = (s: ChartState) => {
    out.push(s);
    for (const c of s.children) walk(c);
  };
  walk(chart.root);
  return out;
}
