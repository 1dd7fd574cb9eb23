// The command adapter: systems under test driven by the shell commands of a JSON manifest.

export { commandAdapter, commandAdapterFromFile, manifestCapabilities } from './command-adapter.js';
export { CommandSystem } from './command-system.js';
export { checkManifest, type LoadedManifest, loadManifest } from './load-manifest.js';
export {
  type CommandManifest,
  CommandManifestSchema,
  type CommandSpec,
  eventPlaceholders,
  type ManifestEventType,
  manifestEventTypes,
  type ValueSource,
} from './manifest-schema.js';
export { shellQuote } from './template.js';
