// Per SPEC ID: how many paths exercised it and how they ended (the table printed after a run).

import type { PathResult, SpecSummary } from './types.js';

/** Orders SPEC IDs by family in catalogue order, then by number: SRV-2 before SRV-10, CF last. */
const FAMILIES = ['SRV', 'PRT', 'PTH', 'VD', 'MIR', 'DS', 'CF'];
export function compareSpecIds(a: string, b: string): number {
  const [fa = '', na = '0'] = a.split('-');
  const [fb = '', nb = '0'] = b.split('-');
  const ia = FAMILIES.indexOf(fa);
  const ib = FAMILIES.indexOf(fb);
  if (ia !== ib) return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || fa.localeCompare(fb);
  return Number(na) - Number(nb) || a.localeCompare(b);
}

/** The summary per SPEC ID of a run's paths. */
export function summarize(paths: readonly PathResult[]): SpecSummary[] {
  const bySpec = new Map<string, { paths: number; passed: number; failed: number; notApplicable: number }>();
  for (const p of paths) {
    for (const spec of new Set(p.spec)) {
      const s = bySpec.get(spec) ?? { paths: 0, passed: 0, failed: 0, notApplicable: 0 };
      s.paths++;
      s[p.outcome]++;
      bySpec.set(spec, s);
    }
  }
  return [...bySpec].sort(([a], [b]) => compareSpecIds(a, b)).map(([spec, s]) => ({ spec, ...s }));
}
