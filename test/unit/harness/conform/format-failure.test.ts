// A failure as printed: the rule with its SPEC ID, one sentence, the path as numbered steps with
// the failing one marked, the evidence; one failure fits on one screen (about 40 lines).

import { describe, expect, it } from 'vitest';
import { createModelAdapter, type ModelLies } from '../../../../adapters/model/index.js';
import { formatFailure, formatFailureFile } from '../../../../harness/conform/format-failure.js';
import { runPlan } from '../../../../harness/conform/run-plan.js';
import { handPlan, type HandPath } from './hand-plan.js';

async function failed(path: HandPath, lies: ModelLies) {
  const report = await runPlan({ adapter: createModelAdapter({ lies }), plan: handPlan([path]), jobs: 1, settleTimeoutMs: 200 });
  const result = report.paths[0]!;
  expect(result.outcome).toBe('failed');
  return result;
}

/** 30 steps: cache settings toggled, the stop at step 21, then more toggles. */
const longPath: HandPath = {
  name: 'long',
  spec: ['SRV-1', 'SRV-5', 'SRV-6', 'PTH-2'],
  steps: [
    ...Array.from({ length: 20 }, (_, i) => `setCache s2 ${i % 2 === 0 ? 'writeThrough' : 'writeBack'}`),
    'stop s1',
    ...Array.from({ length: 9 }, (_, i) => `setCache s2 ${i % 2 === 0 ? 'writeThrough' : 'writeBack'}`),
  ],
};

describe('formatFailure', () => {
  it('CF-1 a status failure in a 30-step path fits in 40 lines, marks the step, names the differing fields', async () => {
    const result = await failed(longPath, { reportStoppedPathsOnline: true });
    const text = formatFailure(result);
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(40);
    expect(lines[0]).toBe('FAILED hand-long  [SRV-1 SRV-5 SRV-6 PTH-2]');
    expect(lines[1]).toBe('  CF-1 (the reported status equals the model prediction)');
    expect(lines[2]).toMatch(
      /^ {2}at step 21: the reported status did not reach the model's prediction within 200 ms: 2 field\(s\) differ$/,
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}> {2}21\. stop s1 +accepted {3}<- broke here$/));
    // Steps before, with the settled status, and the elision of the long middle.
    expect(text).toMatch(/ {4}1\. setCache s2 writeThrough +accepted {2}s1:running s2:running cache writeBack->writeThrough/);
    expect(text).toMatch(/\.\.\. \d+ step\(s\)/);
    expect(text).toMatch(/ 22\. setCache s2 writeThrough +not run/);
    expect(text).toContain('paths[h1->s1].online: expected false, observed true');
  });

  it('DS-1 a data failure shows the block, the value found, the values allowed and the history lines behind them', async () => {
    const result = await failed({ name: 'drop', spec: ['DS-1'], steps: ['stop s2', 'start s2'] }, { dropWrite: { vdisk: 'v1', nth: 1 } });
    const text = formatFailure(result);
    expect(text.split('\n').length).toBeLessThanOrEqual(40);
    expect(text).toMatch(/^ {2}DS-1 \(graceful operations lose no acknowledged write\)$/m);
    expect(text).toMatch(/^ {2}in the final checks: v1: lost acknowledged write: block \d+ reads zeros, but write 1 was acknowledged/m);
    expect(text).toMatch(/^ {4}v1 block \d+: found zeros \(final read, DS-1\); allowed: write 1$/m);
    expect(text).toMatch(/^ {6}#1 write block \d+ = 1 ok \[[\d.]+ \.\. [\d.]+ ms\] h\d initial via h\d->s1$/m);
  });

  it('the failure file adds the log and the last host operations of every disk', async () => {
    const result = await failed({ name: 'drop', spec: ['DS-1'], steps: ['stop s2', 'start s2'] }, { dropWrite: { vdisk: 'v1', nth: 1 } });
    const text = formatFailureFile(result);
    expect(text.startsWith(formatFailure(result))).toBe(true);
    expect(text).toMatch(/^log:\n {2}lie: write 1 to v1 acknowledged and dropped$/m);
    for (const vdisk of ['m1', 'v1', 'v2']) expect(text).toMatch(new RegExp(`^history of ${vdisk} \\(\\d+ operation\\(s\\)`, 'm'));
  });
});
