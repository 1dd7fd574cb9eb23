// The command adapter: a system under test driven by the shell commands of a manifest, for
// vendors who write no TypeScript. `open` gets a fresh directory {dir} and the topology as a JSON
// file {topology}; when it fails, `close` still runs, so that nothing it started is left behind.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertTopology } from '../../models/topology.js';
import type { GroupEventType } from '../../models/types.js';
import { type Adapter, AdapterError, type Capabilities } from '../types.js';
import { evidenceOf } from './command-outcome.js';
import { CommandSystem, runManifestCommand } from './command-system.js';
import { type LoadedManifest, loadManifest } from './load-manifest.js';
import { manifestEventTypes } from './manifest-schema.js';
import type { CommandResult } from './run-command.js';
import { variablesOf } from './template.js';

/** The capabilities a manifest declares: its events are those it has a command for. */
export function manifestCapabilities(loaded: LoadedManifest): Capabilities {
  const m = loaded.manifest;
  const { reasons, ...features } = m.capabilities;
  return {
    events: manifestEventTypes.filter((e) => m.events[e] !== undefined) as GroupEventType[],
    ...features,
    ...(reasons ? { reasons } : {}),
  };
}

/** An adapter for the checked manifest `loaded` (see loadManifest). */
export function commandAdapter(loaded: LoadedManifest): Adapter {
  const capabilities = manifestCapabilities(loaded);
  return {
    name: `command (${loaded.manifest.name})`,
    capabilities: () => capabilities,
    async open(topology, { workDir, signal, log }) {
      assertTopology(topology);
      const dir = join(workDir, 'system');
      const topologyFile = join(workDir, 'topology.json');
      await mkdir(dir, { recursive: true });
      await writeFile(topologyFile, `${JSON.stringify(topology, null, 2)}\n`);
      const builtIns = { dir, topology: topologyFile };
      const failed = async (message: string, evidence: unknown, code?: 'SANSPEC_BAD_ADAPTER_CONFIG'): Promise<never> => {
        // Whatever open started before it failed is ended by close.
        let close: CommandResult | { error: string };
        try {
          close = await runManifestCommand(loaded, '/close', loaded.manifest.close, builtIns, { log });
        } catch (error) {
          close = { error: (error as Error).message };
        }
        throw new AdapterError(message, { open: evidence, close: 'command' in close ? evidenceOf(close) : close }, code);
      };
      let result: CommandResult;
      try {
        result = await runManifestCommand(loaded, '/open', loaded.manifest.open, builtIns, { signal, log });
      } catch (error) {
        return failed(
          `the open command could not run: ${(error as Error).message}`,
          { error: (error as Error).message },
          'SANSPEC_BAD_ADAPTER_CONFIG',
        );
      }
      if (result.killed !== null || result.exitCode !== 0)
        return failed(
          `the open command of ${loaded.manifest.name} failed (${result.killed ?? `exit code ${result.exitCode}`})`,
          evidenceOf(result),
        );
      let variables: Record<string, string> = {};
      const printed = result.stdout.trim();
      if (printed !== '') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(printed);
        } catch {
          parsed = undefined;
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          return failed(
            'the open command printed something that is not a JSON object; print nothing, or a JSON object of variables for later templates',
            evidenceOf(result),
            'SANSPEC_BAD_ADAPTER_CONFIG',
          );
        variables = variablesOf(parsed);
      }
      return new CommandSystem(loaded, topology, { dir, topologyFile }, variables, { signal, log });
    },
  };
}

/** Loads the manifest at `path` and makes its adapter. */
export async function commandAdapterFromFile(path: string): Promise<Adapter> {
  return commandAdapter(await loadManifest(path));
}
