// What a path needs of an adapter: events it performs, host I/O, mirrored disks. A path that
// needs more is not applicable, with the adapter's reason; a missing copy reader only skips the
// byte comparison of copies.

import { describe, expect, it } from 'vitest';
import { createModelAdapter } from '../../../../adapters/model/index.js';
import type { Adapter, Capabilities } from '../../../../adapters/types.js';
import { notApplicable } from '../../../../harness/conform/applicability.js';
import { runPlan } from '../../../../harness/conform/run-plan.js';
import { conformanceTopology } from '../../../../models/topology.js';
import { handPath, handPlan } from './hand-plan.js';

const topology = conformanceTopology();
const full = createModelAdapter().capabilities(topology);
const path = (...steps: string[]) => handPath({ name: 'p', spec: [], steps });

/** The model adapter with some capabilities taken away. */
function limited(change: Partial<Capabilities>): Adapter {
  const base = createModelAdapter();
  return { name: 'limited model', capabilities: (t) => ({ ...base.capabilities(t), ...change }), open: (t, o) => base.open(t, o) };
}

describe('applicability', () => {
  it('a path using an event the adapter lacks is not applicable, with the adapter reason', () => {
    const caps: Capabilities = { ...full, events: full.events.filter((e) => e !== 'crash'), reasons: { crash: 'nbdkit cannot crash' } };
    expect(notApplicable(path('stop s1', 'crash s2'), topology, caps)).toBe(
      'the adapter cannot perform event "crash": nbdkit cannot crash',
    );
    expect(notApplicable(path('stop s1', 'start s1'), topology, caps)).toBeNull();
  });

  it('host I/O steps and overlapping writes need hostIo; mirrored disks need mirroredDisks', () => {
    const noIo: Capabilities = { ...full, hostIo: false, reasons: { hostIo: 'no block devices' } };
    expect(notApplicable(path('write v1'), topology, noIo)).toBe(
      'step "write" needs host I/O, which the adapter does not offer: no block devices',
    );
    expect(notApplicable(path('~stop s1'), topology, noIo)).toMatch(/overlaps host I\/O/);
    expect(notApplicable(path('stop s1'), topology, { ...full, mirroredDisks: false })).toMatch(/mirrored virtual disks/);
  });

  it('recoveryComplete is waited for when the adapter does not hold recoveries, so it needs no event', () => {
    const caps: Capabilities = { ...full, holdsRecovery: false, events: full.events.filter((e) => e !== 'recoveryComplete') };
    expect(notApplicable(path('recoveryComplete m1'), topology, caps)).toBeNull();
    expect(notApplicable(path('recoveryComplete m1'), topology, { ...caps, holdsRecovery: true })).toMatch(/recoveryComplete/);
  });

  it('without copy readers the path still runs and passes, without the byte comparison of copies', async () => {
    const report = await runPlan({
      adapter: limited({ copyReader: false }),
      plan: handPlan([{ name: 'r', spec: [], steps: ['stop s2', 'write m1', 'start s2', 'recoveryComplete m1'] }]),
    });
    expect(report.paths[0]).toMatchObject({ outcome: 'passed' });
  });

  it('without host I/O, status-only paths still run: settle and compare every step, no host operation', async () => {
    const report = await runPlan({
      adapter: limited({ hostIo: false }),
      plan: handPlan([{ name: 's', spec: [], steps: ['stop s1', 'start s1'] }]),
    });
    expect(report.paths[0]).toMatchObject({ outcome: 'passed' });
    expect(report.paths[0]!.steps.map((s) => s.ioOps)).toEqual([0, 0]);
  });
});
