// One engine group as a system under test: events become supervisor requests, the status is the
// supervisor's merged CF-2 status, hosts reach disks over NBD (multipath over the servers holding
// a disk, preferred first), and copy readers read the backing files beneath the cache.
//
// Refusals are the engine's 409 answers (and any answer whose code is a refusal code of the
// catalogue), with the engine's code; every other failure is an AdapterError whose evidence is the
// request, the answer and the tails of the group's logs.

import { join } from 'node:path';
import { isRefusalCode } from '../../contracts/codes.js';
import type { GroupEvent, GroupStatus, Topology } from '../../models/types.js';
import { type NbdPath, openFileCopyReader, openMultipathDevice, openPathDevice, Resources } from '../host-io/index.js';
import {
  AdapterError,
  type ApplyResult,
  type CopyReader,
  type DeviceOptions,
  type HostDevice,
  type OpenOptions,
  type SystemUnderTest,
} from '../types.js';
import { engineCapabilities } from './capabilities.js';
import { downEngineGroup, type EngineGroup, groupLeftovers, groupLogs } from './engine-group.js';
import { eventRequest } from './event-request.js';
import { callSupervisor, errorOf } from './supervisor-client.js';

const MiB = 1024 * 1024;

/** Long enough for a graceful stop, shutdown or restart that drains a full cache. */
const COMMAND_TIMEOUT_MS = 300_000;
const STATUS_TIMEOUT_MS = 30_000;

export class EngineSystem implements SystemUnderTest {
  private readonly resources = new Resources();
  private closing: Promise<void> | null = null;

  constructor(
    readonly group: EngineGroup,
    private readonly topology: Topology,
    private readonly options: Pick<OpenOptions, 'signal' | 'log'> = {},
  ) {}

  async apply(event: GroupEvent): Promise<ApplyResult> {
    const request = eventRequest(event);
    if (typeof request === 'string') {
      const reason = engineCapabilities().reasons?.[request] ?? 'host I/O goes through device()';
      throw new AdapterError(`the engine adapter does not perform ${request}: ${reason}`, { event }, 'SANSPEC_BAD_EVENT');
    }
    const answer = await callSupervisor(this.group.url, 'POST', request.path, {
      body: request.body,
      timeoutMs: COMMAND_TIMEOUT_MS,
      signal: this.options.signal,
    }).catch(async (error: unknown) => {
      throw new AdapterError(
        `the engine's supervisor gave no answer to POST ${request.path} (${JSON.stringify(event)}): ${(error as Error).message}`,
        { event, request, logs: await groupLogs(this.group.dir) },
      );
    });
    this.options.log?.(`engine: POST ${request.path} ${JSON.stringify(request.body)} -> ${answer.status}`);
    if (answer.status >= 200 && answer.status < 300) return { outcome: 'accepted' };
    const error = errorOf(answer.body);
    if (error && (answer.status === 409 || isRefusalCode(error.code)))
      return { outcome: 'refused', code: error.code, message: error.message };
    throw new AdapterError(
      `the engine failed ${JSON.stringify(event)}: HTTP ${answer.status}${error ? ` ${error.code}: ${error.message}` : ''}`,
      { event, request, answer, logs: await groupLogs(this.group.dir) },
    );
  }

  async status(): Promise<GroupStatus> {
    const answer = await callSupervisor(this.group.url, 'GET', '/status', {
      timeoutMs: STATUS_TIMEOUT_MS,
      signal: this.options.signal,
    }).catch(async (error: unknown) => {
      throw new AdapterError(`the engine's supervisor gave no status: ${(error as Error).message}`, {
        logs: await groupLogs(this.group.dir),
      });
    });
    const status = (answer.body as { status?: GroupStatus } | null)?.status;
    if (answer.status !== 200 || status === undefined)
      throw new AdapterError(`the engine's supervisor answered GET /status with HTTP ${answer.status}`, {
        answer,
        logs: await groupLogs(this.group.dir),
      });
    return status;
  }

  async device(host: string, vdisk: string, options: DeviceOptions): Promise<HostDevice> {
    this.host(host);
    const paths = this.holders(vdisk).map((server) => this.path(server, vdisk));
    return this.resources.track(await openMultipathDevice(paths, options));
  }

  async pathDevice(host: string, server: string, vdisk: string, options: DeviceOptions): Promise<HostDevice> {
    this.host(host);
    this.holders(vdisk);
    return this.resources.track(await openPathDevice(this.path(server, vdisk), options));
  }

  async copyReader(vdisk: string, server: string): Promise<CopyReader> {
    if (!this.holders(vdisk).includes(server))
      throw new AdapterError(`${vdisk} has no copy on ${JSON.stringify(server)}; its copies are on ${this.holders(vdisk).join(' and ')}`, {
        vdisk,
        server,
      });
    const size = this.group.config.virtualDisks.find((v) => v.name === vdisk)!.sizeMiB * MiB;
    // The file backend's file, and the loop backend's backing file alike: the loop device writes
    // through to it (and is synced at every flush and write-through write).
    return this.resources.track(await openFileCopyReader(join(this.group.dir, 'servers', server, 'disks', `${vdisk}.img`), size));
  }

  close(): Promise<void> {
    this.closing ??= this.end();
    return this.closing;
  }

  private async end(): Promise<void> {
    const errors = await this.resources.closeAll();
    // Nothing of the group is kept, so every server is powered off at once (a site crash) before
    // the group goes down: a graceful shutdown of two mirror partners at the same time takes
    // seconds (each waits for the other's answer to its leaving), a crash a few milliseconds.
    await callSupervisor(this.group.url, 'POST', '/site/crash', { timeoutMs: 30_000 }).catch(() => {});
    await downEngineGroup(this.group.dir);
    const left = await groupLeftovers(this.group.dir);
    if (left.length > 0) {
      // Try once more, then report what stays.
      await downEngineGroup(this.group.dir);
      const stays = await groupLeftovers(this.group.dir);
      throw new AdapterError(`the engine group in ${this.group.dir} left ${left.join(', ')} after going down`, {
        leftovers: left,
        afterRetry: stays,
        closeErrors: errors.map(String),
      });
    }
    if (errors.length > 0) this.options.log?.(`engine: closing devices: ${errors.map(String).join('; ')}`);
  }

  /** The servers holding `vdisk`, preferred first. */
  private holders(vdisk: string): string[] {
    const v = this.topology.virtualDisks.find((x) => x.name === vdisk);
    if (!v) throw new AdapterError(`no virtual disk named ${JSON.stringify(vdisk)} in the topology`, { vdisk }, 'SANSPEC_BAD_EVENT');
    return v.kind === 'single' ? [v.server] : [...v.copies];
  }

  private host(host: string): void {
    if (!this.topology.hosts.includes(host))
      throw new AdapterError(`no host named ${JSON.stringify(host)} in the topology`, { host }, 'SANSPEC_BAD_EVENT');
  }

  /** The NBD path to `vdisk` through `server`'s front-end port (the one the topology's paths use). */
  private path(server: string, vdisk: string): NbdPath {
    const spec = this.topology.servers.find((s) => s.name === server);
    if (!spec) throw new AdapterError(`no server named ${JSON.stringify(server)} in the topology`, { server }, 'SANSPEC_BAD_EVENT');
    const port = spec.ports.find((p) => p.roles.includes('frontEnd'))!.name;
    return { name: server, uri: `nbd://127.0.0.1:${this.group.ports[server]!.ports[port]}/${vdisk}` };
  }
}
