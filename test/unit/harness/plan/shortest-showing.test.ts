// The shortest path that can show a bug, from the model: the fault benchmarks and fault-switch tests
// measure minimized paths against it instead of a hard-coded length.

import { describe, expect, it } from 'vitest';
import { eventLabel } from '../../../../harness/check/format.js';
import { shortestShowing } from '../../../../harness/plan/shortest-showing.js';
import { buildStateGraph } from '../../../../harness/plan/state-graph.js';
import { createGroupModel } from '../../../../models/group.js';
import { conformanceTopology } from '../../../../models/topology.js';

const graph = buildStateGraph(createGroupModel(conformanceTopology()));
const labels = (events: ReturnType<typeof shortestShowing>) => events?.map(eventLabel);

describe('shortest path that shows a step', () => {
  it('SRV-1 a stopped server takes one step, a stop', () => {
    const path = shortestShowing(graph, (s) => !s.refused && s.after.servers.some((x) => x.state === 'stopped'));
    expect(labels(path)).toHaveLength(1);
    expect(labels(path)![0]).toMatch(/^stop s[12]$/);
  });

  it('SRV-12 a refused command takes one step from the initial state', () => {
    const path = shortestShowing(graph, (s) => s.refused);
    expect(path).toHaveLength(1);
  });

  it('MIR-7 a completed recovery needs the copy away and back first; no step shows what no state has', () => {
    const path = shortestShowing(graph, (s) => !s.refused && s.event.type === 'recoveryComplete');
    expect(path!.length).toBeGreaterThanOrEqual(3);
    expect(labels(path)!.at(-1)).toBe('recoveryComplete m1');
    expect(shortestShowing(graph, (s) => s.after.servers.length === 0)).toBeNull();
  });
});
