// Every diagram `sanspec diagrams` writes: one state diagram per component machine and the
// overview of the group, in that order.

import { namedTopologies } from '../../models/topology.js';
import { componentCharts } from './component-charts.js';
import { groupOverview } from './group-overview.js';
import { observeRoutes } from './group-routes.js';
import { stateDiagram } from './state-diagram.js';
import type { Diagram } from './types.js';

let generated: Diagram[] | null = null;

/** The diagrams of the models: `server`, `port`, `path`, `single`, `mirror` (the group's component kinds), then `group`. */
export function generateDiagrams(): Diagram[] {
  generated ??= generate();
  return generated;
}

/** The models do not change while the process runs: the diagrams are made once. */
function generate(): Diagram[] {
  const kinds = componentCharts();
  const names = Object.keys(namedTopologies);
  const routes = observeRoutes(
    names.map((n) => namedTopologies[n]!()),
    // 80 states reach a host's return after every host left (hostsAttached), three events deep.
    { maxStates: 80 },
  );
  return [
    ...kinds.map(({ kind, chart }) => stateDiagram(chart, { name: kind })),
    groupOverview(kinds, routes, { observedOn: `the topologies ${names.join(', ')}` }),
  ];
}
