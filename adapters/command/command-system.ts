// One system under test driven by a command manifest: every event, status query, device path and
// copy backend is a command (or a template) of the manifest, run in the manifest's directory.
// Events run one at a time; status queries and device look-ups may run beside them.

import { isAbsolute, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { match } from 'ts-pattern';
import { GroupStatusSchema } from '../../contracts/status.js';
import type { GroupEvent, GroupStatus, Topology } from '../../models/types.js';
import { openFileCopyReader, openMultipathDevice, openPathDevice, Resources } from '../host-io/index.js';
import {
  AdapterError,
  type ApplyResult,
  type CopyReader,
  type DeviceOptions,
  type HostDevice,
  type OpenOptions,
  type SystemUnderTest,
} from '../types.js';
import { applyResultOf, evidenceOf, requireSuccess } from './command-outcome.js';
import { type LoadedManifest, templateOf } from './load-manifest.js';
import type { CommandSpec, ManifestEventType, ValueSource } from './manifest-schema.js';
import { type CommandResult, runCommand } from './run-command.js';
import { renderTemplate, TemplateError } from './template.js';

const DEFAULT_TIMEOUT_MS = 60_000;

/** Where a system lives. */
export interface SystemPlaces {
  /** The system's own directory: {dir}. */
  readonly dir: string;
  /** The topology JSON file: {topology}. */
  readonly topologyFile: string;
}

/** The placeholders of an event's template. */
function eventValues(event: GroupEvent): Record<string, string> {
  return (
    match(event)
      .returnType<Record<string, string>>()
      .with(
        { type: 'stop' },
        { type: 'start' },
        { type: 'shutdown' },
        { type: 'restart' },
        { type: 'crash' },
        { type: 'powerOn' },
        { type: 'onBattery' },
        { type: 'mainsRestored' },
        { type: 'batteryLow' },
        { type: 'autoRestartWindowElapsed' },
        (e) => ({ server: e.server }),
      )
      .with({ type: 'setCache' }, (e) => ({ server: e.server, mode: e.mode }))
      .with({ type: 'siteCrash' }, () => ({}))
      .with({ type: 'recoveryComplete' }, { type: 'write' }, { type: 'flush' }, (e) => ({ vdisk: e.vdisk }))
      .with({ type: 'forceMirrorRecovery' }, (e) => ({ vdisk: e.vdisk, copy: e.copy }))
      .with({ type: 'linkDown' }, { type: 'linkUp' }, (e) => ({ a: e.servers[0], b: e.servers[1] }))
      // Opt-in topology features; manifests do not map them yet (manifest-schema.ts).
      .with({ type: 'poolFail' }, { type: 'poolRestore' }, (e) => ({ server: e.server }))
      .with({ type: 'hostDisconnect' }, { type: 'hostReconnect' }, (e) => ({ host: e.host }))
      .exhaustive()
  );
}

export class CommandSystem implements SystemUnderTest {
  private readonly resources = new Resources();
  private events: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly loaded: LoadedManifest,
    private readonly topology: Topology,
    private readonly places: SystemPlaces,
    /** Variables `open` printed, flattened. */
    private readonly variables: Readonly<Record<string, string>>,
    private readonly options: Pick<OpenOptions, 'signal' | 'log'> = {},
  ) {}

  apply(event: GroupEvent): Promise<ApplyResult> {
    const spec = (this.loaded.manifest.events as Partial<Record<string, CommandSpec>>)[event.type];
    if (!spec) {
      const reason = this.loaded.manifest.capabilities.reasons?.[event.type] ?? 'host I/O goes through device()';
      return Promise.reject(
        new AdapterError(`${this.loaded.manifest.name} has no command for ${event.type}: ${reason}`, { event }, 'SANSPEC_BAD_EVENT'),
      );
    }
    const run = async () =>
      applyResultOf(`the ${event.type} command`, await this.run(`/events/${event.type as ManifestEventType}`, spec, eventValues(event)));
    const result = this.events.then(run, run);
    this.events = result.catch(() => {});
    return result;
  }

  async status(): Promise<GroupStatus> {
    const result = await this.run('/status', this.loaded.manifest.status, {});
    requireSuccess('the status command', result);
    let status: unknown;
    try {
      status = JSON.parse(result.stdout);
    } catch (error) {
      throw new AdapterError(`the status command printed no JSON: ${(error as Error).message}`, evidenceOf(result), 'SANSPEC_BAD_STATUS');
    }
    if (!Value.Check(GroupStatusSchema, status)) {
      const errors = [...Value.Errors(GroupStatusSchema, status)].map((e) => `${e.path || '/'}: ${e.message}`);
      throw new AdapterError(
        `the status command printed a status that is not CF-2 (contracts/status.ts):\n${errors
          .slice(0, 20)
          .map((e) => `  ${e}`)
          .join('\n')}`,
        { errors, ...evidenceOf(result) },
        'SANSPEC_BAD_STATUS',
      );
    }
    return status;
  }

  async device(host: string, vdisk: string, options: DeviceOptions): Promise<HostDevice> {
    this.check(host, vdisk);
    const paths = await Promise.all(
      this.holders(vdisk).map(async (server) => ({ name: server, uri: await this.uri(host, server, vdisk) })),
    );
    return this.resources.track(await openMultipathDevice(paths, options));
  }

  async pathDevice(host: string, server: string, vdisk: string, options: DeviceOptions): Promise<HostDevice> {
    this.check(host, vdisk);
    if (!this.topology.servers.some((s) => s.name === server))
      throw new AdapterError(`no server named ${JSON.stringify(server)} in the topology`, { server }, 'SANSPEC_BAD_EVENT');
    return this.resources.track(await openPathDevice({ name: server, uri: await this.uri(host, server, vdisk) }, options));
  }

  async copyReader(vdisk: string, server: string): Promise<CopyReader> {
    const source = this.loaded.manifest.copyBackend;
    if (!source)
      throw new AdapterError(`${this.loaded.manifest.name} has no copy readers (no copyBackend in its manifest)`, { vdisk, server });
    if (!this.holders(vdisk).includes(server))
      throw new AdapterError(`${vdisk} has no copy on ${JSON.stringify(server)}; its copies are on ${this.holders(vdisk).join(' and ')}`, {
        vdisk,
        server,
      });
    const path = await this.value('/copyBackend', source, { server, vdisk });
    return this.resources.track(await openFileCopyReader(isAbsolute(path) ? path : resolve(this.loaded.dir, path)));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const errors = await this.resources.closeAll();
      await this.events.catch(() => {});
      // Not aborted by the run's signal: close must run even when the run was interrupted.
      const values = { ...this.variables, ...this.builtIns() };
      const result = await runManifestCommand(this.loaded, '/close', this.loaded.manifest.close, values, { log: this.options.log });
      requireSuccess('the close command', result);
      if (errors.length > 0) this.options.log?.(`command: closing devices: ${errors.map(String).join('; ')}`);
    })();
    return this.closing;
  }

  /** Runs a command of the manifest with the placeholders `extra` (besides {dir}, {topology} and the variables). */
  private async run(where: string, spec: CommandSpec | ValueSource, extra: Record<string, string>): Promise<CommandResult> {
    return runManifestCommand(this.loaded, where, spec, { ...this.variables, ...this.builtIns(), ...extra }, this.options);
  }

  /** A value of the manifest: a template rendered as is, or the trimmed output of a command. */
  private async value(where: string, source: ValueSource, extra: Record<string, string>): Promise<string> {
    if ('template' in source) {
      try {
        return renderTemplate(source.template, { ...this.variables, ...this.builtIns(), ...extra }, { quote: false });
      } catch (error) {
        throw badTemplate(where, error);
      }
    }
    const result = await this.run(where, source, extra);
    requireSuccess(`the ${where} command`, result);
    const value = result.stdout.trim();
    if (value === '') throw new AdapterError(`the ${where} command printed nothing`, evidenceOf(result));
    return value;
  }

  private uri(host: string, server: string, vdisk: string): Promise<string> {
    const source = this.loaded.manifest.devices?.nbdUri;
    if (!source)
      throw new AdapterError(`${this.loaded.manifest.name} gives hosts no devices (no devices.nbdUri in its manifest)`, { host, vdisk });
    return this.value('/devices/nbdUri', source, { host, server, vdisk });
  }

  private builtIns(): Record<string, string> {
    return { dir: this.places.dir, topology: this.places.topologyFile };
  }

  private check(host: string, vdisk: string): void {
    if (!this.topology.hosts.includes(host))
      throw new AdapterError(`no host named ${JSON.stringify(host)} in the topology`, { host }, 'SANSPEC_BAD_EVENT');
    this.holders(vdisk);
  }

  /** The servers holding `vdisk`, preferred first. */
  private holders(vdisk: string): string[] {
    const v = this.topology.virtualDisks.find((x) => x.name === vdisk);
    if (!v) throw new AdapterError(`no virtual disk named ${JSON.stringify(vdisk)} in the topology`, { vdisk }, 'SANSPEC_BAD_EVENT');
    return v.kind === 'single' ? [v.server] : [...v.copies];
  }
}

/** A template that cannot be rendered: the manifest is wrong. */
function badTemplate(where: string, error: unknown): unknown {
  if (!(error instanceof TemplateError)) return error;
  return new AdapterError(`${where}: ${error.message}`, { template: error.template, missing: error.missing }, 'SANSPEC_BAD_ADAPTER_CONFIG');
}

/** Renders and runs one command of `loaded` (shell-quoting every value), logging it. */
export async function runManifestCommand(
  loaded: LoadedManifest,
  where: string,
  spec: CommandSpec | ValueSource,
  values: Record<string, string>,
  options: Pick<OpenOptions, 'signal' | 'log'>,
): Promise<CommandResult> {
  let command: string;
  try {
    command = renderTemplate(templateOf(spec), values, { quote: true });
  } catch (error) {
    throw badTemplate(where, error);
  }
  const timeoutMs =
    (typeof spec === 'object' && 'timeoutMs' in spec ? spec.timeoutMs : undefined) ?? loaded.manifest.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const result = await runCommand(command, { cwd: loaded.dir, timeoutMs, signal: options.signal });
  options.log?.(`command ${where}: ${command} -> ${result.killed ?? `exit ${result.exitCode}`} in ${Math.round(result.durationMs)} ms`);
  return result;
}
