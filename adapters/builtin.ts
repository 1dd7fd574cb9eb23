// The adapters sanspec ships, registered by name. Each loads its implementation only when chosen.
// Adapters add one `registerAdapter` call here.

import { registerAdapter } from './registry.js';
import { AdapterError } from './types.js';

registerAdapter('model', 'the model itself as a system under test (tests of the harness)', async (options) => {
  const { createModelAdapter, loadModelAdapterConfig } = await import('./model/index.js');
  return createModelAdapter(options.configPath ? loadModelAdapterConfig(options.configPath) : {});
});

registerAdapter(
  'engine',
  "sanspec's own storage engine: a fresh group of server processes per path (--backend file|loop)",
  async (options) => {
    const { engineAdapter } = await import('./engine/index.js');
    return engineAdapter(options.backend ? { backend: options.backend } : {});
  },
);

registerAdapter('command', 'any product driven by shell commands: a JSON manifest given with --adapter-config FILE', async (options) => {
  const { commandAdapterFromFile } = await import('./command/index.js');
  if (!options.configPath)
    throw new AdapterError('the command adapter needs its manifest: --adapter-config FILE', undefined, 'USAGE_BAD_ARGUMENT');
  return commandAdapterFromFile(options.configPath);
});
