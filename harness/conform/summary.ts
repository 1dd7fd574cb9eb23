// Per SPEC ID: how many paths exercised it and how they ended (the table printed after a run).

import { sortSpecIds } from '../plan/spec-ids.js';
import type { PathResult, SpecSummary } from './types.js';

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
  return sortSpecIds(bySpec.keys()).map((spec) => ({ spec, ...bySpec.get(spec)! }));
}
