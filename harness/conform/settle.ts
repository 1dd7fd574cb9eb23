// Settling after a step (CF-1): the system may take a while to get where the model says (a server
// `starting`, a recovery under way), so the status is polled until it equals the projection of one
// of the candidates, up to a deadline. Statuses that are no model state may appear meanwhile; only
// the status at the deadline is judged. Every status is validated against the CF-2 schema first:
// an invalid one fails at once (SANSPEC_BAD_STATUS), whatever the model says.

import { Value } from '@sinclair/typebox/value';
import { GroupStatusSchema } from '../../contracts/status.js';
import type { GroupStatus } from '../../models/types.js';
import { errorText, PathAborted, PathFailed } from './path-failed.js';
import type { PathRuntime } from './path-runtime.js';
import { statusDiff } from './status-diff.js';
import { sleep } from './timed.js';
import type { StatusDifference } from './types.js';

/** The system's status, validated against the CF-2 schema; fails the path when it is not valid or cannot be read. */
export async function readStatus(rt: PathRuntime): Promise<GroupStatus> {
  let status: unknown;
  try {
    status = await rt.sut.status();
  } catch (error) {
    throw new PathFailed({
      rule: 'CF-2',
      code: 'SANSPEC_ADAPTER_FAILED',
      step: rt.step,
      message: `the adapter could not report the status: ${errorText(error)}`,
    });
  }
  if (!Value.Check(GroupStatusSchema, status)) {
    const problems = [...Value.Errors(GroupStatusSchema, status)].slice(0, 8).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new PathFailed({
      rule: 'CF-2',
      code: 'SANSPEC_BAD_STATUS',
      step: rt.step,
      message: `the system reported a status that does not match the CF-2 schema: ${problems.join('; ')}`,
    });
  }
  return status;
}

/** The candidate whose projection differs least from `observed`, with the differences. */
export function closestCandidate(rt: PathRuntime, observed: GroupStatus): { expected: GroupStatus; diff: StatusDifference[] } {
  let best: { expected: GroupStatus; diff: StatusDifference[] } | null = null;
  for (const s of rt.states) {
    const expected = rt.predictor.status(s);
    const diff = statusDiff(expected, observed);
    if (!best || diff.length < best.diff.length) best = { expected, diff };
  }
  return best!;
}

/**
 * Polls the status until it equals a candidate's projection, narrows the candidates to those (then
 * closes them again), and returns the status and the time it took. At the deadline: CF-1.
 */
export async function settle(rt: PathRuntime): Promise<{ status: GroupStatus; ms: number }> {
  const started = performance.now();
  const deadline = started + rt.settings.settleTimeoutMs;
  const wanted = new Set(rt.states.map((s) => rt.predictor.statusKey(rt.predictor.status(s))));
  let polls = 0;
  for (;;) {
    if (rt.signal.aborted) throw new PathAborted();
    const status = await readStatus(rt);
    polls++;
    if (wanted.has(rt.predictor.statusKey(status))) {
      rt.states = rt.predictor.narrow(rt.states, status);
      const ms = performance.now() - started;
      if (polls > 1) rt.log(`step ${rt.step}: settled after ${ms.toFixed(0)} ms (${polls} polls)`);
      return { status, ms };
    }
    if (performance.now() >= deadline) {
      const { expected, diff } = closestCandidate(rt, status);
      const of = rt.states.length > 1 ? ` (the closest of ${rt.states.length} states the model allows)` : '';
      throw new PathFailed({
        rule: 'CF-1',
        step: rt.step,
        message: `the reported status did not reach the model's prediction within ${rt.settings.settleTimeoutMs} ms: ${diff.length} field(s) differ${of}`,
        diff,
        expected,
        observed: status,
      });
    }
    await sleep(rt.settings.settlePollMs, rt.signal);
  }
}
