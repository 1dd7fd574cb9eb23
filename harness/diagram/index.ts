// Diagrams generated from the models: Mermaid state diagrams of the component machines, the
// overview of the group, and the `sanspec diagrams` command that writes and renders them.
export { componentCharts } from './component-charts.js';
export { diagramsCommand, type DiagramFormat, type DiagramsOptions, type DiagramsResult } from './diagrams-command.js';
export { generateDiagrams } from './generate-diagrams.js';
export { groupOverview } from './group-overview.js';
export { observeRoutes } from './group-routes.js';
export { machineChart } from './machine-chart.js';
export { readMachineSources, scanMachineSource } from './machine-source.js';
export { recordedHash, renderDiagrams, sourceHash } from './render-diagrams.js';
export { stateDiagram } from './state-diagram.js';
export type * from './types.js';
