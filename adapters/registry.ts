// Adapters by name, for `sanspec run --adapter NAME`: each adapter registers a factory (built-in
// ones in adapters/builtin.ts, loaded lazily so that the model adapter does not load the engine).
// A factory gets the `--adapter-config` file and the `--backend` choice and returns the adapter.

import { AdapterError, type Adapter } from './types.js';

/** What `--adapter-config` and `--backend` give a factory. */
export interface AdapterFactoryOptions {
  /** `--adapter-config FILE`: the adapter's configuration (a command manifest, engine settings...), read by the factory. */
  readonly configPath?: string;
  /** `--backend file|loop`: the backing storage of adapters that have a choice (the engine's). */
  readonly backend?: 'file' | 'loop';
}

/** Creates an adapter; throws AdapterError (SANSPEC_BAD_ADAPTER_CONFIG) for a bad configuration. */
export type AdapterFactory = (options: AdapterFactoryOptions) => Adapter | Promise<Adapter>;

interface Registered {
  readonly summary: string;
  readonly factory: AdapterFactory;
}

const registry = new Map<string, Registered>();

/** Registers an adapter under `name` (a later registration under the same name replaces it). */
export function registerAdapter(name: string, summary: string, factory: AdapterFactory): void {
  registry.set(name, { summary, factory });
}

/** Registered adapters: name and one-line summary, in registration order. */
export function adapterNames(): Array<{ name: string; summary: string }> {
  return [...registry].map(([name, r]) => ({ name, summary: r.summary }));
}

/** The adapter registered as `name`; an unknown name is a usage error (USAGE_BAD_ARGUMENT) listing the known ones. */
export async function resolveAdapter(name: string, options: AdapterFactoryOptions = {}): Promise<Adapter> {
  const r = registry.get(name);
  if (!r) {
    throw new AdapterError(
      `unknown adapter ${JSON.stringify(name)}: use one of ${[...registry.keys()].join(', ') || '(none registered)'}`,
      undefined,
      'USAGE_BAD_ARGUMENT',
    );
  }
  return r.factory(options);
}
