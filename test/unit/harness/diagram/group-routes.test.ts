import { describe, expect, it } from 'vitest';
import { componentCharts } from '../../../../harness/diagram/component-charts.js';
import { groupOverview } from '../../../../harness/diagram/group-overview.js';
import { observeRoutes } from '../../../../harness/diagram/group-routes.js';
import type { Route } from '../../../../harness/diagram/types.js';
import { conformanceTopology } from '../../../../models/topology.js';

const key = (r: Route) =>
  `${r.source.kind === 'outside' ? `outside(${r.source.groupEvent})` : r.source.kind === 'group' ? 'group' : r.source.from}-${r.event}->${r.to}${r.source.kind === 'translation' ? ` on ${r.source.on}` : ''}`;

describe('routes of the composed group, observed', () => {
  const routes = observeRoutes([conformanceTopology()], { maxStates: 60 }).map(key);

  it("tells the group's events from notifications forwarded and from the group's translations", () => {
    expect(routes).toEqual(
      expect.arrayContaining([
        'outside(stop)-stop->server',
        'outside(siteCrash)-crash->server',
        'outside(write)-write->mirror',
        'outside(linkDown)-linkDown->mirror',
        'server-powerOff->port',
        'server-virtualizationStopped->port',
        'port-portDisabled->path',
        'port-portEnabled->path',
        'server-serverStopped->path on virtualizationStopped',
        'server-serverRunning->single on virtualizationStarted',
        'server-copiesDown->mirror on virtualizationStopped',
        'server-copyUp->mirror on virtualizationStarted',
        'group-setAccess->path',
      ]),
    );
    // Nothing arrives from a kind that does not emit it.
    expect(routes.filter((r) => r.startsWith('port-') && !/port(Enabled|Disabled)/.test(r))).toEqual([]);
  });

  it('draws the overview with every component kind and an arrow per pair that talks', () => {
    const d = groupOverview(componentCharts(), observeRoutes([conformanceTopology()], { maxStates: 60 }), { observedOn: 'conformance' });
    for (const { kind } of componentCharts()) expect(d.source).toContain(`as ${kind}\n`);
    expect(d.source).toContain('server : power: on (running, stopped), off');
    expect(d.source).toMatch(/\n {2}server --> port: .*virtualizationStopped/);
    expect(d.source).toMatch(/\n {2}server --> path: serverStopped ⇐ virtualizationStopped/);
    expect(d.source).toMatch(/\n {2}port --> path: portDisabled, portEnabled/);
    expect(d.source).toMatch(/\n {2}routing --> path: setAccess/);
  });
});
