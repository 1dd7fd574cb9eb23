import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RefusalCode } from '../../contracts/codes.js';
import { disksOn, portMode } from '../config/load-config.js';
import type { CacheSettings, GroupConfig, PortConfig, ServerConfig } from '../config/types.js';
import type { MirrorService } from '../mirror/types.js';
import type { BlockDevice } from '../types.js';
import { createNbdServer, formatNbdUri, type NbdExport, type NbdServer } from '../nbd/index.js';
import type { Alua, PathStatus, PortStatus, ServerStatus, VirtualDiskStatus } from '../../contracts/status.js';
import { fault } from '../faults.js';
import { PowerLossLayer } from '../layers/power-loss-layer.js';
import type { CacheStats } from '../storage/index.js';
import type { Route } from '../util/json-http.js';
import { IoChain, type ExtraLink } from './io-chain.js';
import { loadServerState, saveServerState, serverPaths, type PersistedServerState } from './persisted-state.js';

/** A command that does not apply in the current state (SRV-12), with the model's stable code. */
export class RefusedError extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
  }
}

/** Where a server listens; allocated once per group so that URIs survive restarts. */
export interface ServerPorts {
  management: number;
  /** TCP port of each front-end and mirror port, by port name. */
  ports: Record<string, number>;
}

export interface StorageServerOptions {
  groupDir: string;
  config: GroupConfig;
  name: string;
  ports: ServerPorts;
  /** UPS power source as the machine reports it (SRV-13). */
  ups: 'mains' | 'battery';
  /** Builds the mirror layer for this server (engine/mirror), if any. */
  mirrors?: (server: StorageServer) => MirrorService;
  /**
   * Links stacked into the I/O chain of every virtual disk besides the standard ones (fault
   * layers for tests; see io-chain.ts for where each position sits). None by default.
   */
  extraLinks?: readonly ExtraLink[];
  log?: (line: string) => void;
}

/** This server's part of the group status, and details for operators. */
export interface ServerReport {
  server: ServerStatus;
  ports: PortStatus[];
  paths: PathStatus[];
  virtualDisks: VirtualDiskStatus[];
  mirrorLinks: Array<{ servers: [string, string]; up: boolean }>;
  details: {
    pid: number;
    boots: number;
    cache: { applied: CacheSettings; pending: CacheSettings | null };
    exports: Array<{ vdisk: string; uris: string[] }>;
    disks: Array<{ vdisk: string; backend: string; location: string; cache: CacheStats }>;
    mirror?: unknown;
  };
}

const MiB = 1024 * 1024;

/** Power-loss mode (`testing.powerLoss`): the overlay holding unsynced writes, directly above each backend. */
const powerLossLink: ExtraLink = { above: 'backend', make: (next) => new PowerLossLayer(next) };

/**
 * One storage server: virtualization state, its disks (backend, write-back cache), NBD front-end
 * listeners on its FE ports, cache settings and UPS state, all persisted as SRV-* requires.
 * Commands run one at a time, in order.
 */
export class StorageServer {
  readonly config: GroupConfig;
  readonly me: ServerConfig;
  readonly paths: ReturnType<typeof serverPaths>;
  private state: 'stopped' | 'starting' | 'running' | 'stopping' = 'stopped';
  private persisted!: PersistedServerState;
  /** The I/O chain of each virtual disk copy on this server, while it runs. */
  private disks = new Map<string, IoChain>();
  private nbd: NbdServer[] = [];
  private ups: 'mains' | 'battery';
  private mirrors: MirrorService | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly log: (line: string) => void;

  private constructor(private readonly options: StorageServerOptions) {
    this.config = options.config;
    const me = options.config.servers.find((s) => s.name === options.name);
    if (!me) throw new Error(`server ${options.name} is not in the group configuration`);
    this.me = me;
    this.paths = serverPaths(options.groupDir, options.name);
    this.ups = options.ups;
    this.log = options.log ?? (() => {});
  }

  /**
   * Power-on (SRV-9, SRV-10): after a clean shutdown restore the last state; after a crash come
   * up stopped, unless the server was running and an automatic restart attempt is left.
   */
  static async powerOn(options: StorageServerOptions): Promise<StorageServer> {
    const server = new StorageServer(options);
    server.mirrors = options.mirrors?.(server);
    await mkdir(server.paths.disks, { recursive: true });
    const loaded = await loadServerState(server.paths.state, server.me.cache);
    const now = Date.now();
    const windowMs = server.config.autoRestartWindowSeconds * 1000;
    // First power-on: the group starts healthy, every server running.
    const p: PersistedServerState = loaded ?? {
      version: 1,
      resumeAs: 'running',
      cleanShutdown: true,
      cacheApplied: server.me.cache,
      cachePending: null,
      autoRestarts: [],
      boots: 0,
    };
    const crashed = !p.cleanShutdown;
    p.autoRestarts = p.autoRestarts.filter((t) => now - t < windowMs);
    let start = p.resumeAs === 'running';
    if (crashed) {
      // SRV-10: by design not started automatically, unless attempts are configured and left.
      start = p.resumeAs === 'running' && (p.autoRestarts.length < server.me.autoRestartAttempts || fault('crashSelfStart'));
      if (start) p.autoRestarts.push(now);
      else p.resumeAs = 'stopped';
    }
    p.cleanShutdown = false;
    p.boots++;
    server.persisted = p;
    await saveServerState(server.paths.state, p);
    server.log(`power-on #${p.boots}: last shutdown ${crashed ? 'unexpected' : 'clean'}, ${start ? 'starting' : 'staying stopped'}`);
    if (start) await server.command(() => server.doStart());
    return server;
  }

  /** Runs commands one at a time. */
  private command<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => {});
    return run;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Management routes of the mirror layer. */
  mirrorRoutes(): Route[] {
    return this.mirrors?.routes() ?? [];
  }

  /** SRV-7: start virtualization. */
  start(): Promise<void> {
    return this.command(async () => {
      if (this.state === 'running') throw new RefusedError('SRV_ALREADY_RUNNING', 'the server is already running');
      await this.doStart();
    });
  }

  /** SRV-1, SRV-3: stop virtualization; reports stopped only after every acknowledged write is on the backend, synced. */
  stop(): Promise<void> {
    return this.command(async () => {
      if (this.state !== 'running') throw new RefusedError('SRV_ALREADY_STOPPED', 'the server is already stopped');
      await this.doStop();
      this.persisted.resumeAs = 'stopped';
      await saveServerState(this.paths.state, this.persisted);
    });
  }

  /** SRV-8: graceful machine shutdown: stop cleanly, keep the last state, record a clean shutdown. */
  shutdown(): Promise<void> {
    return this.command(async () => {
      if (this.state === 'running') await this.doStop();
      this.persisted.cleanShutdown = true;
      await saveServerState(this.paths.state, this.persisted);
      this.log(`clean shutdown, resumes ${this.persisted.resumeAs} at next power-on`);
    });
  }

  /** SRV-4, SRV-6: cache settings are persisted now and applied at the next start. */
  setCache(settings: Partial<CacheSettings>): Promise<void> {
    return this.command(async () => {
      const base = this.persisted.cachePending ?? this.persisted.cacheApplied;
      const next: CacheSettings = { mode: settings.mode ?? base.mode, sizeMiB: settings.sizeMiB ?? base.sizeMiB };
      const same = next.mode === this.persisted.cacheApplied.mode && next.sizeMiB === this.persisted.cacheApplied.sizeMiB;
      this.persisted.cachePending = same ? null : next;
      await saveServerState(this.paths.state, this.persisted);
    });
  }

  /** SRV-13: the UPS reports battery, mains restored, or battery low. */
  setUps(event: 'battery' | 'mains' | 'low'): Promise<void> {
    return this.command(async () => {
      if (event === 'battery') {
        if (this.ups === 'battery') throw new RefusedError('UPS_ON_BATTERY', 'the UPS is already on battery');
        this.ups = 'battery';
        for (const d of this.disks.values()) await d.cache.forceWriteThrough(true);
      } else if (event === 'mains') {
        if (this.ups === 'mains') throw new RefusedError('UPS_ON_MAINS', 'the UPS is already on mains power');
        this.ups = 'mains';
        for (const d of this.disks.values()) await d.cache.forceWriteThrough(false);
      } else {
        // SRV-12 before SRV-13: a server that is not running has nothing to stop, whatever the source.
        if (this.state !== 'running') throw new RefusedError('SRV_NOT_RUNNING', 'the server is not running; nothing to stop');
        if (this.ups === 'mains') throw new RefusedError('UPS_ON_MAINS', 'the UPS is on mains power');
        this.log('UPS battery low: stopping gracefully');
        await this.doStop();
        this.persisted.resumeAs = 'stopped';
        await saveServerState(this.paths.state, this.persisted);
      }
    });
  }

  private async doStart(): Promise<void> {
    this.state = 'starting';
    try {
      // SRV-6: pending cache settings take effect at start.
      if (this.persisted.cachePending) {
        this.persisted.cacheApplied = this.persisted.cachePending;
        this.persisted.cachePending = null;
      }
      this.persisted.resumeAs = 'running';
      await saveServerState(this.paths.state, this.persisted);
      const mine = disksOn(this.config, this.me.name);
      const perDisk = Math.max(1, Math.floor(this.persisted.cacheApplied.sizeMiB / Math.max(1, mine.length)));
      for (const v of mine) {
        const chain = await IoChain.assemble({
          vdisk: v,
          backend: {
            kind: this.me.pool.backend,
            path: join(this.paths.disks, `${v.name}.img`),
            size: v.sizeMiB * MiB,
            syncReads: this.config.tuning.syncReads,
            syncWrites: this.config.tuning.syncWrites,
          },
          cache: { mode: this.persisted.cacheApplied.mode, sizeBytes: perDisk * MiB, destageDelayMs: this.config.tuning.destageDelayMs },
          mirrors: this.mirrors,
          extraLinks: this.config.testing.powerLoss ? [powerLossLink, ...(this.options.extraLinks ?? [])] : this.options.extraLinks,
        });
        this.disks.set(v.name, chain);
        if (this.ups === 'battery') await chain.cache.forceWriteThrough(true);
      }
      if (this.mirrors) await this.mirrors.start();
      await this.listen();
      this.state = 'running';
      this.log(
        `running: cache ${this.persisted.cacheApplied.mode} ${this.persisted.cacheApplied.sizeMiB} MiB, ${this.disks.size} disk(s), UPS ${this.ups}`,
      );
    } catch (error) {
      this.log(`start failed: ${(error as Error).message}`);
      await this.doStop().catch(() => {});
      throw error;
    }
  }

  /** `device` with writes acknowledged and dropped while this server stops (fault switch singleDiskDropWhileStopping). */
  private dropWritesWhileStopping(device: BlockDevice): BlockDevice {
    return new Proxy(device, {
      get: (target, key, receiver) =>
        key === 'write'
          ? (...args: Parameters<BlockDevice['write']>) => (this.state === 'stopping' ? Promise.resolve() : target.write(...args))
          : Reflect.get(target, key, receiver),
    });
  }

  /** Front-end listeners: one NBD server per FE port (TCP, and a Unix socket if configured). */
  private async listen(): Promise<void> {
    const exports = (name: string): NbdExport | undefined => {
      if (this.state !== 'running' && this.state !== 'starting') return undefined;
      const exported = this.disks.get(name)?.exported();
      if (!exported) return undefined;
      // The fault switch: a single disk's host writes that arrive while the server stops are acknowledged and dropped.
      const single = this.config.virtualDisks.find((v) => v.name === name)?.kind === 'single';
      const device = fault('singleDiskDropWhileStopping') && single ? this.dropWritesWhileStopping(exported) : exported;
      return { device, canMultiConn: true, description: `${name} on ${this.me.name}` };
    };
    const listExports = () => [...this.disks.keys()];
    for (const port of this.frontEndPorts()) {
      const tcp = createNbdServer({ exports, listExports });
      await tcp.listen({ host: '127.0.0.1', port: this.options.ports.ports[port.name]! });
      this.nbd.push(tcp);
      if (port.unixSocket) {
        const path = this.paths.socket(port.name);
        await rm(path, { force: true }); // left behind by a crash
        const unix = createNbdServer({ exports, listExports });
        await unix.listen({ path });
        this.nbd.push(unix);
      }
    }
  }

  /**
   * Stops virtualization: the front end stops taking requests (requests in flight complete;
   * later ones get ESHUTDOWN and connections close, VD-1), mirroring stops, then every cache is
   * drained to its backend and synced (SRV-3) and the backends are closed (loop devices detached).
   */
  private async doStop(): Promise<void> {
    this.state = 'stopping';
    const errors: unknown[] = [];
    const frontEnd = async () => {
      await Promise.all(this.nbd.map((s) => s.shutdown({ graceMs: 5000 }).catch((e: unknown) => errors.push(e))));
      this.nbd = [];
    };
    // The fault switch: the front end is shut last, so host writes reach caches that are closing.
    if (!fault('singleDiskDropWhileStopping')) await frontEnd();
    if (this.mirrors) await this.mirrors.stop().catch((e: unknown) => errors.push(e));
    for (const chain of this.disks.values()) await chain.close().catch((e: unknown) => errors.push(e));
    if (fault('singleDiskDropWhileStopping')) await frontEnd();
    this.disks.clear();
    this.state = 'stopped';
    if (errors.length > 0) throw errors[0];
  }

  private frontEndPorts(): PortConfig[] {
    return this.me.ports.filter((p) => p.roles.includes('frontEnd'));
  }

  /** NBD URIs of a disk on this server's FE ports. */
  urisOf(vdisk: string): string[] {
    return this.frontEndPorts().flatMap((p) => {
      const uris = [formatNbdUri({ kind: 'tcp', host: '127.0.0.1', port: this.options.ports.ports[p.name]! }, vdisk)];
      if (p.unixSocket) uris.push(formatNbdUri({ kind: 'unix', path: this.paths.socket(p.name) }, vdisk));
      return uris;
    });
  }

  /** This server's part of the group status (CF-2) and operator details. */
  report(): ServerReport {
    const running = this.state === 'running';
    const applied = this.persisted.cacheApplied.mode;
    const pending = this.persisted.cachePending && this.persisted.cachePending.mode !== applied ? this.persisted.cachePending.mode : null;
    const server: ServerStatus = {
      name: this.me.name,
      power: 'on',
      state: this.state,
      seenAs: running ? 'Running' : 'Stopped',
      ups: this.ups,
      cache: { applied, pending, effective: this.ups === 'battery' ? 'writeThrough' : applied },
      autoRestartsUsed: this.persisted.autoRestarts.filter((t) => Date.now() - t < this.config.autoRestartWindowSeconds * 1000).length,
    };
    // PRT-2, PRT-3: Target Only ports follow virtualization, the others follow power.
    const ports: PortStatus[] = this.me.ports.map((p) => {
      const mode = portMode(p);
      return { server: this.me.name, name: p.name, roles: p.roles, mode, enabled: mode === 'targetOnly' ? running : true };
    });
    const mirror = running && this.mirrors ? this.mirrors.status() : undefined;
    const mine = disksOn(this.config, this.me.name);
    // PTH-3: what this server offers hosts for each disk it holds.
    const access: Record<string, Alua> = Object.fromEntries(
      mine.map((v) => [
        v.name,
        v.kind === 'single' ? (running ? 'activeOptimized' : 'unavailable') : (mirror?.access[v.name] ?? 'unavailable'),
      ]),
    );
    const fe = this.frontEndPorts()[0]!;
    const feEnabled = ports.find((p) => p.name === fe.name)!.enabled;
    // PTH-1: hosts are connected by configuration; a path is online iff its port is enabled and the server runs.
    const paths: PathStatus[] = this.config.hosts.map((host) => {
      const online = running && feEnabled;
      return {
        host,
        server: this.me.name,
        port: fe.name,
        online,
        alua: Object.fromEntries(mine.map((v) => [v.name, online ? access[v.name]! : 'unavailable'])),
      };
    });
    const virtualDisks: VirtualDiskStatus[] = mine.map((v) => {
      if (v.kind === 'single') {
        return {
          name: v.name,
          kind: 'single',
          status: running ? 'online' : 'offline',
          hostAccess: running ? 'readWrite' : 'disabled',
          copies: [{ server: v.server, preferred: true, dataStatus: 'upToDate' }],
        };
      }
      return (
        mirror?.virtualDisks.find((x) => x.name === v.name) ?? {
          name: v.name,
          kind: 'mirrored',
          status: 'unknown',
          hostAccess: 'disabled',
          copies: v.copies.map((server, i) => ({ server, preferred: i === 0, dataStatus: 'unknown' })),
        }
      );
    });
    return {
      server,
      ports,
      paths,
      virtualDisks,
      mirrorLinks: mirror?.links ?? [],
      details: {
        pid: process.pid,
        boots: this.persisted.boots,
        cache: { applied: this.persisted.cacheApplied, pending: this.persisted.cachePending },
        exports: mine.map((v) => ({ vdisk: v.name, uris: this.urisOf(v.name) })),
        disks: [...this.disks.values()].map((d) => ({
          vdisk: d.vdisk.name,
          backend: d.backend.kind,
          location: d.backend.location,
          cache: d.cache.stats(),
        })),
        mirror: running ? this.mirrors?.details() : undefined,
      },
    };
  }
}
