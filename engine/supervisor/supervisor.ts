import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { GroupConfig } from '../config/types.js';
import { loadServerState, serverPaths } from '../server/persisted-state.js';
import type { ServerPorts, ServerReport } from '../server/storage-server.js';
import type { GroupStatus, MirrorLinkStatus } from '../../contracts/status.js';
import { detachLoopDevices } from '../storage/index.js';
import { engineProcessArgs } from '../util/engine-process.js';
import { ApiError, callJson, HttpError } from '../util/json-http.js';
import { mergeStatus, type OffMachine } from './merge-status.js';
import { mirrorLinkPairs } from './mirror-links.js';

/** A machine of the group: powered on (a running server process) or off. */
interface Machine {
  name: string;
  ups: 'mains' | 'battery';
  child: ChildProcess | null;
  /** Resolves when the current process exits. */
  exited: Promise<void> | null;
  /** The supervisor itself ends the process (shutdown, crash): its exit is expected. */
  ending: boolean;
}

/** Full group status plus operator details per running server. */
export interface GroupReport {
  status: GroupStatus;
  servers: Record<string, { power: 'on' | 'off'; managementUrl: string; details?: ServerReport['details'] }>;
}

/**
 * Plays "the machines" of a group: powers servers on (starts their processes), crashes them
 * (SIGKILL: power failure), shuts them down gracefully, and reports the group's status. It
 * always detaches the loop devices of a server whose process is gone.
 */
export class Supervisor {
  private readonly machines = new Map<string, Machine>();
  /** Mirror links cut by the fault switch (MIR-13), as "a|b". */
  private readonly cutLinks = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  /** The supervisor's own API, given to servers as their witness. */
  apiUrl: string | undefined;

  constructor(
    readonly dir: string,
    readonly config: GroupConfig,
    readonly ports: Record<string, ServerPorts>,
    private readonly log: (line: string) => void,
  ) {
    for (const s of config.servers) this.machines.set(s.name, { name: s.name, ups: 'mains', child: null, exited: null, ending: false });
  }

  /** Machine commands run one at a time. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f, f);
    this.queue = run.catch(() => {});
    return run;
  }

  private machine(name: string): Machine {
    const m = this.machines.get(name);
    if (!m) throw new HttpError(404, 'GROUP_UNKNOWN_NAME', `no server named ${JSON.stringify(name)} in this group`);
    return m;
  }

  managementUrl(name: string): string {
    return `http://127.0.0.1:${this.ports[name]!.management}`;
  }

  isOn(name: string): boolean {
    return this.machine(name).child !== null;
  }

  /** SRV-9, SRV-10: power a machine on; resolves when its server answers. */
  powerOn(name: string): Promise<void> {
    return this.serial(() => this.doPowerOn(name));
  }

  /**
   * The group comes up: every machine powers on at once, as a rack does, rather than one after
   * the other (each server's start is mostly waiting: its process, its backends, its partner).
   * Rejects with the first failure once every power-on has ended.
   */
  powerOnAll(): Promise<void> {
    return this.serial(async () => {
      const results = await Promise.allSettled(this.config.servers.map((s) => this.doPowerOn(s.name)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    });
  }

  private async doPowerOn(name: string): Promise<void> {
    const m = this.machine(name);
    if (m.child) throw new HttpError(409, 'SRV_ALREADY_ON', `${name} is already powered on`);
    const paths = serverPaths(this.dir, name);
    await mkdir(paths.dir, { recursive: true });
    // Whatever a crashed process left attached is released before the machine comes back.
    await this.releaseLoops(name);
    const out = openSync(paths.log, 'a');
    const args = engineProcessArgs('server', ['--dir', this.dir, '--name', name, '--ups', m.ups]);
    if (this.apiUrl) args.push('--supervisor', this.apiUrl);
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', out, out],
      env: { ...process.env, UV_THREADPOOL_SIZE: String(this.config.tuning.threadPoolSize) },
    });
    closeSync(out);
    m.child = child;
    m.ending = false;
    m.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        const expected = m.ending;
        m.child = null;
        if (!expected) {
          // An exit nobody asked for is a crash: power failure semantics (SRV-10, SRV-11).
          this.log(`${name} exited unexpectedly (code ${code}, signal ${signal}); treating it as a crash`);
          void this.releaseLoops(name);
          void this.tellPartnersCrashed([name]);
        }
        resolve();
      });
    });
    await writeFile(paths.pid, `${child.pid}\n`);
    this.log(`${name} powered on (pid ${child.pid})`);
    await this.waitReady(name, m);
  }

  private async waitReady(name: string, m: Machine): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!m.child) throw new HttpError(500, 'ENGINE_SERVER_DIED', `${name} exited while powering on:\n${this.logTail(name)}`);
      try {
        await callJson(`${this.managementUrl(name)}/status`, 'GET', undefined, 2000);
        return;
      } catch {
        if (Date.now() > deadline)
          throw new HttpError(500, 'ENGINE_SERVER_NOT_READY', `${name} did not answer within 60 s:\n${this.logTail(name)}`);
        // A refused connection costs little; a server from a bundle answers within tens of ms.
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  }

  /** The last lines of a server's log, for error messages. */
  logTail(name: string, lines = 15): string {
    try {
      return readFileSync(serverPaths(this.dir, name).log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SRV-10, SRV-11: power failure: the process is killed, its cache is lost. */
  crash(name: string): Promise<void> {
    return this.serial(() => this.doCrash(name));
  }

  private async doCrash(name: string): Promise<void> {
    const m = this.machine(name);
    if (!m.child) throw new HttpError(409, 'SRV_POWERED_OFF', `${name} is already powered off`);
    // Whether it serves (virtualization running): a stopped server flushed its caches at the
    // stop and loses nothing in a crash; a running one may (MIR-6). Asked just before the kill.
    const wasRunning = await this.isRunning(name);
    m.ending = true;
    m.child.kill('SIGKILL');
    await m.exited;
    await this.releaseLoops(name);
    this.log(`${name} crashed (SIGKILL)`);
    if (wasRunning) await this.tellPartnersCrashed([name]);
  }

  /** Whether a powered-on server runs virtualization; true when it does not answer in time (the safe side for MIR-6). */
  private async isRunning(name: string): Promise<boolean> {
    try {
      const r = await callJson<ServerReport>(`${this.managementUrl(name)}/status`, 'GET', undefined, 2000);
      return r.server.state !== 'stopped';
    } catch {
      return true;
    }
  }

  /** The witness tells the running mirror partners of crashed servers (MIR-6): they cannot see it across a cut link. */
  private async tellPartnersCrashed(crashed: readonly string[]): Promise<void> {
    for (const [a, b] of mirrorLinkPairs(this.config)) {
      for (const [peer, partner] of [
        [a, b],
        [b, a],
      ] as const) {
        if (!crashed.includes(peer) || !this.isOn(partner)) continue;
        await this.serverCommand(partner, '/mirror/peer-crashed', { peer }).catch((error: unknown) =>
          this.log(`could not tell ${partner} that ${peer} crashed: ${(error as Error).message}`),
        );
      }
    }
  }

  /** Power failure of the whole site: every powered-on server is killed at the same instant (MIR-11). */
  siteCrash(): Promise<void> {
    return this.serial(async () => {
      const on = [...this.machines.values()].filter((m) => m.child);
      if (on.length === 0) throw new HttpError(409, 'SRV_POWERED_OFF', 'every server is already powered off');
      for (const m of on) {
        m.ending = true;
        m.child!.kill('SIGKILL');
      }
      await Promise.all(on.map((m) => m.exited));
      for (const m of on) await this.releaseLoops(m.name);
      this.log(`site crash: ${on.map((m) => m.name).join(', ')} killed`);
    });
  }

  /** SRV-8: graceful machine shutdown. */
  shutdown(name: string): Promise<void> {
    return this.serial(() => this.doShutdown(name));
  }

  private async doShutdown(name: string, timeoutMs = 120_000): Promise<void> {
    const m = this.machine(name);
    if (!m.child) throw new HttpError(409, 'SRV_POWERED_OFF', `${name} is already powered off`);
    m.ending = true;
    try {
      await callJson(`${this.managementUrl(name)}/shutdown`, 'POST', {}, timeoutMs);
    } catch (error) {
      this.log(`${name} did not shut down cleanly (${(error as Error).message}); killing it`);
      m.child?.kill('SIGKILL');
    }
    const timer = setTimeout(() => m.child?.kill('SIGKILL'), timeoutMs);
    await m.exited;
    clearTimeout(timer);
    await this.releaseLoops(name);
    this.log(`${name} shut down`);
  }

  /** SRV-8, SRV-9: graceful restart: shutdown, then power-on; the server restores its last state. */
  restart(name: string): Promise<void> {
    return this.serial(async () => {
      await this.doShutdown(name);
      await this.doPowerOn(name);
    });
  }

  /** A command for the server itself (stop, start, cache); refused while the machine is off (SRV-12). */
  async serverCommand(name: string, path: string, body: unknown = {}): Promise<unknown> {
    const m = this.machine(name);
    if (!m.child) throw new HttpError(409, 'SRV_POWERED_OFF', `${name} is powered off; power it on first`);
    try {
      return await callJson(`${this.managementUrl(name)}${path}`, 'POST', body);
    } catch (error) {
      if (error instanceof ApiError) throw new HttpError(error.status || 502, error.code, error.message);
      throw error;
    }
  }

  /** SRV-13: the UPS of a machine reports battery, mains, or battery low. */
  async ups(name: string, event: 'battery' | 'mains' | 'low'): Promise<void> {
    const m = this.machine(name);
    const server = this.config.servers.find((s) => s.name === name)!;
    if (!server.ups) throw new HttpError(409, 'UPS_NONE', `${name} has no UPS in the group configuration`);
    if (m.child) {
      await this.serverCommand(name, '/ups', { event });
      if (event !== 'low') m.ups = event;
      return;
    }
    // Off: the UPS still changes source; the server learns it at power-on. Battery low has
    // nothing to stop, whatever the source (SRV-12 before SRV-13, as a stopped server answers).
    if (event === 'low') throw new HttpError(409, 'SRV_NOT_RUNNING', 'the server is not running; nothing to stop');
    if (m.ups === event)
      throw new HttpError(
        409,
        event === 'battery' ? 'UPS_ON_BATTERY' : 'UPS_ON_MAINS',
        `the UPS is already on ${event === 'battery' ? 'battery' : 'mains power'}`,
      );
    m.ups = event;
  }

  /**
   * The witness (MIR-2, MIR-13): a server that lost its mirror partner asks whether the partner is
   * down (crashed, powered off, being shut down: fail over) or alive (the link is cut: only the
   * preferred copy keeps host access). This is the group's configured tiebreaker.
   */
  witness(server: string, from: string): { state: 'down' | 'alive'; cut: boolean } {
    const m = this.machine(server);
    const pair = [server, from].sort().join('|');
    const cut = [...this.cutLinks].some((k) => k.split('|').sort().join('|') === pair);
    return { state: !m.child || m.ending ? 'down' : 'alive', cut };
  }

  /** MIR-11: Force Mirror Recovery: bring the copy of `vdisk` on `copy` online. */
  async forceMirrorRecovery(vdisk: string, copy: string): Promise<void> {
    const v = this.config.virtualDisks.find((x) => x.name === vdisk);
    if (!v) throw new HttpError(404, 'GROUP_UNKNOWN_NAME', `no virtual disk named ${JSON.stringify(vdisk)}`);
    if (v.kind !== 'mirrored') throw new HttpError(409, 'VD_NOT_MIRRORED', `${vdisk} is a single virtual disk; nothing to force`);
    if (!v.copies.includes(copy))
      throw new HttpError(
        404,
        'GROUP_UNKNOWN_NAME',
        `${vdisk} has no copy on ${JSON.stringify(copy)}; its copies are on ${v.copies.join(' and ')}`,
      );
    // Hosts still reach an up-to-date copy somewhere (possibly across a cut link, where the cut-off
    // copy cannot see it): forcing would split the brain. Only the group sees every copy.
    const merged = (await this.report()).status.virtualDisks.find((x) => x.name === vdisk);
    if (merged?.hostAccess === 'readWrite')
      throw new HttpError(409, 'MIR_FORCE_NOT_NEEDED', 'hosts have access through an up-to-date copy; nothing to force');
    if (!this.isOn(copy)) throw new HttpError(409, 'MIR_COPY_SERVER_DOWN', `${copy} is powered off; power it on and start it first`);
    this.log(`FORCE MIRROR RECOVERY of ${vdisk}: copy on ${copy} requested by the operator`);
    await this.serverCommand(copy, '/mirror/force', { vdisk });
  }

  /** The mirror link switch (MIR-13): cut or restore the link between two servers. */
  async setLink(a: string, b: string, up: boolean): Promise<void> {
    const pair = mirrorLinkPairs(this.config).find(([x, y]) => (x === a && y === b) || (x === b && y === a));
    if (!pair) throw new HttpError(404, 'GROUP_UNKNOWN_NAME', `no mirror link between ${a} and ${b}`);
    const key = pair.join('|');
    if (up !== this.cutLinks.has(key))
      throw new HttpError(409, up ? 'LINK_ALREADY_UP' : 'LINK_ALREADY_DOWN', `the mirror link is already ${up ? 'up' : 'down'}`);
    if (up) this.cutLinks.delete(key);
    else this.cutLinks.add(key);
    await this.writeLinkState();
    for (const s of pair) {
      if (this.isOn(s)) await this.serverCommand(s, '/mirror/link', { peer: s === pair[0] ? pair[1] : pair[0], cut: !up }).catch(() => {});
    }
  }

  /** Links cut by the fault switch, persisted so that servers powered on later obey them. */
  private writeLinkState(): Promise<void> {
    return writeFile(`${this.dir}/links.json`, `${JSON.stringify([...this.cutLinks].map((k) => k.split('|')))}\n`);
  }

  private mirrorLinks(): MirrorLinkStatus[] {
    return mirrorLinkPairs(this.config).map((servers) => ({ servers, up: !this.cutLinks.has(servers.join('|')) }));
  }

  /** The group status (CF-2) and details per server. */
  async report(): Promise<GroupReport> {
    const reports = new Map<string, ServerReport>();
    const off = new Map<string, OffMachine>();
    await Promise.all(
      [...this.machines.values()].map(async (m) => {
        if (m.child) {
          try {
            reports.set(m.name, await callJson<ServerReport>(`${this.managementUrl(m.name)}/status`, 'GET', undefined, 10_000));
            return;
          } catch {
            // Answering nothing while powered on (hung or just died): reported as if off.
          }
        }
        off.set(m.name, {
          persisted: await loadServerState(serverPaths(this.dir, m.name).state, { mode: 'writeBack', sizeMiB: 64 }).catch(() => undefined),
          ups: m.ups,
        });
      }),
    );
    const status = mergeStatus(this.config, reports, off, this.config.autoRestartWindowSeconds * 1000, this.mirrorLinks());
    return {
      status,
      servers: Object.fromEntries(
        this.config.servers.map((s) => [
          s.name,
          { power: this.isOn(s.name) ? 'on' : 'off', managementUrl: this.managementUrl(s.name), details: reports.get(s.name)?.details },
        ]),
      ),
    };
  }

  /** Ends every server (gracefully, killing what does not stop in time) and detaches every loop device. */
  async down(): Promise<void> {
    await this.serial(async () => {
      await Promise.all(
        [...this.machines.values()]
          .filter((m) => m.child)
          .map((m) => this.doShutdown(m.name, 60_000).catch((e: unknown) => this.log(`${m.name}: ${(e as Error).message}`))),
      );
      if (this.config.servers.some((s) => s.pool.backend === 'loop')) {
        await detachLoopDevices(this.dir).catch((e: unknown) => this.log(`detaching loop devices: ${(e as Error).message}`));
      }
    });
  }

  private async releaseLoops(name: string): Promise<void> {
    const usesLoop = this.config.servers.find((s) => s.name === name)?.pool.backend === 'loop';
    if (usesLoop) await this.detachLoops(name);
    await rm(serverPaths(this.dir, name).pid, { force: true });
  }

  private async detachLoops(name: string): Promise<void> {
    try {
      const detached = await detachLoopDevices(serverPaths(this.dir, name).dir);
      if (detached.length > 0) this.log(`${name}: detached ${detached.join(', ')}`);
    } catch (error) {
      this.log(`${name}: could not detach loop devices: ${(error as Error).message}`);
    }
  }
}
