// The difference between a predicted and a reported status (CF-1), field by field, with every
// array element named by what it is (`virtualDisks[m1].copies[s2].dataStatus`) rather than by its
// index, so that a diff reads as the operator would say it. Elements are matched by name; a
// different order of the same elements is one difference of its own (CF-2 fixes topology order).

import type { GroupStatus } from '../../models/types.js';
import type { StatusDifference } from './types.js';

/** How the elements of each named array of the status are identified. */
const keyOf: Record<string, (item: Record<string, unknown>) => string> = {
  servers: (s) => String(s.name),
  ports: (p) => `${p.server}/${p.name}`,
  paths: (p) => `${p.host}->${p.server}`,
  virtualDisks: (v) => String(v.name),
  copies: (c) => String(c.server),
  mirrorLinks: (l) => (Array.isArray(l.servers) ? l.servers.join('-') : String(l.servers)),
};

/** Records whose keys are names: rendered `alua[m1]`, like array elements. */
const namedRecords = new Set(['alua']);

/** Written in a diff for an element or field one side lacks. */
export const MISSING = '(missing)';

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** JSON with object keys sorted: equal values give equal text whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function walk(path: string, field: string, expected: unknown, observed: unknown, out: StatusDifference[]): void {
  if (Array.isArray(expected) && Array.isArray(observed) && keyOf[field] && [...expected, ...observed].every(isObject)) {
    const key = keyOf[field]!;
    const e = new Map(expected.map((x) => [key(x as Record<string, unknown>), x]));
    const o = new Map(observed.map((x) => [key(x as Record<string, unknown>), x]));
    for (const [k, x] of e) walk(`${path}[${k}]`, '', x, o.has(k) ? o.get(k) : MISSING, out);
    for (const [k, x] of o) if (!e.has(k)) out.push({ field: `${path}[${k}]`, expected: MISSING, observed: x });
    const common = (m: Map<string, unknown>, other: Map<string, unknown>) => [...m.keys()].filter((k) => other.has(k));
    const eOrder = common(e, o);
    const oOrder = common(o, e);
    if (eOrder.join('\n') !== oOrder.join('\n')) out.push({ field: `${path} (order)`, expected: eOrder, observed: oOrder });
    return;
  }
  if (isObject(expected) && isObject(observed)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(observed)])];
    for (const k of keys) {
      const child = namedRecords.has(field) ? `${path}[${k}]` : path === '' ? k : `${path}.${k}`;
      walk(child, k, Object.hasOwn(expected, k) ? expected[k] : MISSING, Object.hasOwn(observed, k) ? observed[k] : MISSING, out);
    }
    return;
  }
  if (canonicalJson(expected) !== canonicalJson(observed)) out.push({ field: path, expected, observed });
}

/** Every difference between the status the model predicts and the one the system reports; empty when they are equal. */
export function statusDiff(expected: GroupStatus, observed: GroupStatus): StatusDifference[] {
  const out: StatusDifference[] = [];
  walk('', '', expected, observed, out);
  return out;
}

/** A value in a diff line: strings bare, anything else as compact JSON. */
export function diffValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** One line per difference: `field: expected X, observed Y`. */
export function formatDiff(diff: readonly StatusDifference[]): string[] {
  return diff.map((d) => `${d.field}: expected ${diffValue(d.expected)}, observed ${diffValue(d.observed)}`);
}
