// Reading and checking a command manifest: the schema (manifest-schema.ts), then what the schema
// cannot say. Every problem is reported at once, each with where it is, as an AdapterError with
// code SANSPEC_BAD_ADAPTER_CONFIG.

import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { type CapabilityFeature, capabilityFeatures } from '../types.js';
import { AdapterError } from '../types.js';
import {
  type CommandManifest,
  CommandManifestSchema,
  type CommandSpec,
  eventPlaceholders,
  type ManifestEventType,
  manifestEventTypes,
  type ValueSource,
} from './manifest-schema.js';
import { placeholdersOf } from './template.js';

/** A checked manifest and where it is (commands run in its directory). */
export interface LoadedManifest {
  readonly manifest: CommandManifest;
  /** The manifest file, absolute. */
  readonly path: string;
  /** Its directory: the working directory of every command. */
  readonly dir: string;
}

/** Placeholders the adapter provides; a variable printed by `open` cannot take one of these names. */
export const builtInPlaceholders = ['dir', 'topology', 'server', 'vdisk', 'host', 'copy', 'mode', 'a', 'b'] as const;

const features: readonly CapabilityFeature[] = capabilityFeatures;

/** The template of a command. */
export const templateOf = (spec: CommandSpec | ValueSource): string =>
  typeof spec === 'string' ? spec : 'command' in spec ? spec.command : spec.template;

/** Reads, parses and checks the manifest at `path`. */
export async function loadManifest(path: string): Promise<LoadedManifest> {
  const file = resolve(path);
  let input: unknown;
  try {
    input = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new AdapterError(
      `cannot read the command manifest ${file}: ${(error as Error).message}`,
      { path: file },
      'SANSPEC_BAD_ADAPTER_CONFIG',
    );
  }
  return { manifest: checkManifest(input, file), path: file, dir: dirname(file) };
}

/** Checks a parsed manifest; throws an AdapterError (SANSPEC_BAD_ADAPTER_CONFIG) listing every problem. */
export function checkManifest(input: unknown, source = 'command manifest'): CommandManifest {
  if (!Value.Check(CommandManifestSchema, input)) {
    const problems = [...Value.Errors(CommandManifestSchema, input)].map((e) => `${e.path || '/'}: ${e.message}`);
    throw new AdapterError(
      `invalid command manifest ${source}:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      { problems },
      'SANSPEC_BAD_ADAPTER_CONFIG',
    );
  }
  const m = input;
  const problems: string[] = [];
  const c = m.capabilities;
  if (c.hostIo && !m.devices) problems.push('/capabilities/hostIo: true needs /devices/nbdUri (how hosts reach disks)');
  if (c.copyReader && !m.copyBackend) problems.push("/capabilities/copyReader: true needs /copyBackend (where each copy's backend is)");
  if (c.cacheProbe && !c.copyReader) problems.push('/capabilities/cacheProbe: true needs copyReader (the probe reads the backend)');
  if (c.holdsRecovery && !m.events.recoveryComplete)
    problems.push('/capabilities/holdsRecovery: true needs /events/recoveryComplete (the command that releases a held recovery)');
  if (!c.holdsRecovery && m.events.recoveryComplete)
    problems.push('/events/recoveryComplete: only a system that holds recoveries (capabilities.holdsRecovery) performs it');
  const reasons = c.reasons ?? {};
  for (const f of features) if (!c[f] && !reasons[f]) problems.push(`/capabilities/reasons/${f}: say why ${f} is false (for the report)`);
  for (const e of manifestEventTypes) {
    if (m.events[e] || reasons[e] || (e === 'recoveryComplete' && !c.holdsRecovery)) continue;
    problems.push(`/capabilities/reasons/${e}: say why ${e} has no command (for the report), or add /events/${e}`);
  }
  for (const key of Object.keys(reasons))
    if (!(features as readonly string[]).includes(key) && !(manifestEventTypes as readonly string[]).includes(key))
      problems.push(`/capabilities/reasons/${key}: not an event type or a feature`);

  // A built-in placeholder where it has no value is certainly wrong; other names may be variables from open.
  const check = (where: string, template: string, valid: readonly string[]) => {
    for (const name of placeholdersOf(template))
      if ((builtInPlaceholders as readonly string[]).includes(name) && !valid.includes(name))
        problems.push(`${where}: {${name}} has no value here (this template has ${valid.map((v) => `{${v}}`).join(', ')})`);
  };
  const always = ['dir', 'topology'];
  check('/open', templateOf(m.open), always);
  check('/close', templateOf(m.close), always);
  check('/status', templateOf(m.status), always);
  for (const e of manifestEventTypes) {
    const spec = m.events[e as ManifestEventType];
    if (spec) check(`/events/${e}`, templateOf(spec), [...always, ...eventPlaceholders[e]]);
  }
  if (m.devices) check('/devices/nbdUri', templateOf(m.devices.nbdUri), [...always, 'host', 'server', 'vdisk']);
  if (m.copyBackend) check('/copyBackend', templateOf(m.copyBackend), [...always, 'server', 'vdisk']);

  if (problems.length > 0)
    throw new AdapterError(
      `invalid command manifest ${source}:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      { problems },
      'SANSPEC_BAD_ADAPTER_CONFIG',
    );
  return m;
}
