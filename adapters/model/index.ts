// The model adapter: the model itself as a system under test (tests of the harness).

export { createModelAdapter, ModelIoError, type ModelAdapterOptions } from './model-adapter.js';
export { lieNames, type ModelLies } from './lies.js';
export { loadModelAdapterConfig } from './config.js';
