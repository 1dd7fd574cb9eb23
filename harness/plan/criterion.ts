// Criteria as typed on the command line (`components`, `depth:3`, `random:20`) and back.

import type { Criterion } from './types.js';
import { PlanError } from './plan-error.js';
import { match, P } from 'ts-pattern';

/** Criteria a user can ask for, with one line of help each (`replay` plans are written by hand or a minimizer). */
export const criterionHelp: Readonly<Record<string, string>> = {
  components: 'every transition of each component status, in context, plus the seed cases (default)',
  states: 'every reachable composed state',
  transitions: 'every composed transition',
  'transition-pairs': 'every pair of consecutive composed transitions',
  'depth:K': 'every event sequence of length K from the initial state, refused events included',
  'random:N': 'N seeded random walks over the enabled events',
};

/** The criterion of `sanspec plan` when none is given. */
export const DEFAULT_CRITERION: Criterion = { kind: 'components' };

/** Largest K of `depth:K` accepted by the parser (the plan size is also checked against the alphabet). */
export const MAX_DEPTH = 8;
/** Largest N of `random:N`. */
export const MAX_RANDOM_WALKS = 1_000_000;

/** Parses a criterion; throws USAGE_BAD_ARGUMENT naming what is accepted. */
export function parseCriterion(text: string): Criterion {
  const t = text.trim();
  switch (t) {
    case 'components':
    case 'states':
    case 'transitions':
    case 'transition-pairs':
    case 'replay':
      return { kind: t };
  }
  const m = /^(depth|random):(\d+)$/.exec(t);
  if (m) {
    const n = Number(m[2]);
    if (m[1] === 'depth') {
      if (n < 1 || n > MAX_DEPTH) throw bad(text, `K of depth:K must be from 1 to ${MAX_DEPTH}`);
      return { kind: 'depth', k: n };
    }
    if (n < 1 || n > MAX_RANDOM_WALKS) throw bad(text, `N of random:N must be from 1 to ${MAX_RANDOM_WALKS}`);
    return { kind: 'random', n };
  }
  throw bad(text, `use one of ${Object.keys(criterionHelp).join(', ')}`);
}

function bad(text: string, what: string): PlanError {
  return new PlanError('USAGE_BAD_ARGUMENT', `unknown criterion ${JSON.stringify(text)}: ${what}`, { criterion: text });
}

/** The criterion as the command line spells it. */
export function formatCriterion(c: Criterion): string {
  return match(c)
    .with({ kind: 'depth' }, (d) => `depth:${d.k}`)
    .with({ kind: 'random' }, (r) => `random:${r.n}`)
    .with({ kind: P.union('components', 'states', 'transitions', 'transition-pairs', 'replay') }, (x) => x.kind)
    .exhaustive();
}

/** Prefix of the path IDs of a criterion's plans, e.g. `components-3f9a0c12`. */
export function criterionPrefix(c: Criterion): string {
  return c.kind === 'transition-pairs' ? 'pairs' : c.kind;
}
