// `sanspec run` against the real engine with a deliberately wrong model: the runner must trust
// neither side, so a prediction the engine (rightly) does not follow ends in exit code 1 with a
// readable failure naming the rule and the field, minimized to the steps that show it. (A wrong
// engine against the right model: the fault-switch tests.)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGroupModel } from '../../../models/group.js';
import { serverMachine } from '../../../models/server-machine.js';
import { capturedRun } from '../../unit/harness/conform/captured-run.js';
import { handPlan } from '../../unit/harness/conform/hand-plan.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sanspec-wrong-model-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sanspec run against the engine', () => {
  it('CF-1 a model that wrongly predicts a crashed server comes back running exits 1, naming CF-1 and the server state', async () => {
    const plan = join(dir, 'plan.json');
    await writeFile(
      plan,
      JSON.stringify(
        handPlan([
          { name: 'crash-restart', spec: ['SRV-10'], steps: ['write m1', 'crash s1', 'powerOn s1', 'start s1', 'recoveryComplete m1'] },
        ]),
      ),
    );
    // This model believes a crashed server resumes running at power-on (SRV-10 broken).
    const autoStarting = serverMachine.provide({ guards: { resumesRunning: () => true } });
    const { code, out } = await capturedRun({ adapter: 'engine', plan, reproduce: 1 }, dir, {
      model: (t) => createGroupModel(t, { server: autoStarting }),
      run: { settleTimeoutMs: 3000 },
    });
    expect(code, out).toBe(1);
    expect(out).toMatch(/^FAILED hand-crash-restart {2}\[SRV-10\]$/m);
    expect(out).toMatch(/^ {2}CF-1 \(the reported status equals the model prediction\)$/m);
    expect(out).toMatch(/^ {4}servers\[s1\]\.state: expected running, observed stopped$/m);
    expect(out).toMatch(/powerOn s1 +accepted {3}<- broke here$/m);
    expect(out).toMatch(/sanspec run --replay \S+\.replay\.json/);
  }, 180_000);
});
