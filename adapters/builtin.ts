// The adapters sanspec ships, registered by name. Each loads its implementation only when chosen.
// Adapters add one `registerAdapter` call here.

import { registerAdapter } from './registry.js';

registerAdapter('model', 'the model itself as a system under test (tests of the harness)', async (options) => {
  const { createModelAdapter, loadModelAdapterConfig } = await import('./model/index.js');
  return createModelAdapter(options.configPath ? loadModelAdapterConfig(options.configPath) : {});
});
