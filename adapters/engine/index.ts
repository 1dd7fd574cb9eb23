// The engine adapter: conformance runs against sanspec's own storage engine.

export { engineAdapter } from './engine-adapter.js';
export { engineCapabilities, engineEvents } from './capabilities.js';
export { EngineSystem } from './engine-system.js';
export { downEngineGroup, type EngineGroup, groupLeftovers, groupProcesses, upEngineGroup } from './engine-group.js';
export { groupConfigFor } from './group-config.js';
export { type EngineAdapterOptions, type EngineBackend, engineDefaults } from './types.js';
