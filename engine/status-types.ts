// The observable status a server group reports (CF-2): one source, contracts/status.ts (TypeBox
// schema first, types derived). Re-exported here, types only, for the engine's modules.

export type * from '../contracts/status.js';
