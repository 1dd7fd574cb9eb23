// Bringing a group up: validate its configuration, reserve its ports, start its supervisor (which
// powers on every server) and wait until hosts can use it. Whatever goes wrong, or an abort
// (SIGINT at the command line), nothing of the group is left running: downGroup ends it.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { GroupUpOutput } from '../../contracts/cli-output.js';
import { defaultConfigInput, loadGroupConfig } from '../config/load-config.js';
import type { BackendKind, GroupConfig } from '../config/types.js';
import type { ServerPorts } from '../server/storage-server.js';
import { checkLoopSupport } from '../storage/loop-devices.js';
import type { GroupReport } from '../supervisor/supervisor.js';
import { writeJsonAtomic } from '../util/atomic-file.js';
import { engineProcessArgs } from '../util/engine-process.js';
import { releasePorts, reservePorts } from '../util/port-reservation.js';
import { downGroup } from './group-down.js';
import { GroupError } from './group-error.js';
import { groupPaths, isGroupProcess, readRuntime, serverProcesses, supervisorPid } from './group-files.js';
import { callSupervisor, notRespondingError } from './supervisor-client.js';

export interface UpGroupOptions {
  /** The group directory; created if missing. Every other operation on the group names it. */
  dir: string;
  /** The group configuration as parsed JSON (docs/engine.md); default: SPEC.md's default topology. */
  config?: unknown;
  /** Where the configuration came from, for messages (e.g. its file name). */
  configSource?: string;
  /** Overrides the backend of every server's pool. */
  backend?: BackendKind;
  /** Aborting it ends whatever was started and rejects with ENGINE_INTERRUPTED. */
  signal?: AbortSignal;
  /** Progress for people while the servers power on. */
  onProgress?: (message: string) => void;
  /** Give up waiting for the group after this long (default 300 s). */
  timeoutMs?: number;
  /** Start the processes from the TypeScript sources instead of bundles (SANSPEC_ENGINE_FROM_SOURCES=1). */
  fromSources?: boolean;
}

/** Where the group is and how hosts reach its disks (the JSON of `sanspec group up --json`). */
export type GroupUpResult = GroupUpOutput;

/** How long the supervisor may take to power every server on. */
const READY_TIMEOUT_MS = 300_000;

/** Ports for every server's management API and its front-end and mirror ports, reserved for the group in dir. */
async function allocatePorts(config: GroupConfig, dir: string): Promise<Record<string, ServerPorts>> {
  const needs = config.servers.map((s) =>
    s.ports.filter((p) => p.roles.includes('frontEnd') || p.roles.includes('mirror')).map((p) => p.name),
  );
  await releasePorts(dir); // an earlier group in this directory
  let pool: number[];
  try {
    pool = await reservePorts(
      needs.reduce((n, names) => n + 1 + names.length, 0),
      dir,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENGINE_BAD_PORT_RANGE' || code === 'ENGINE_NO_FREE_PORTS') throw new GroupError(code, (error as Error).message);
    throw error;
  }
  return Object.fromEntries(
    config.servers.map((s, i) => [
      s.name,
      { management: pool.shift()!, ports: Object.fromEntries(needs[i]!.map((p) => [p, pool.shift()!])) },
    ]),
  );
}

/** Refuses a directory whose group is still (partly) running. */
async function refuseRunningGroup(dir: string): Promise<void> {
  const pid = supervisorPid(dir);
  if (pid !== undefined && isGroupProcess(pid, dir)) {
    throw new GroupError(
      'ENGINE_GROUP_UP',
      `a group is already up in ${dir} (supervisor pid ${pid}); end it with: sanspec group down --dir ${dir}`,
    );
  }
  if (serverProcesses(dir).some((p) => p.alive)) {
    throw await notRespondingError(dir, `the group last brought up in ${dir} was not ended`);
  }
}

/** Starts the supervisor of the group in dir, in the background, logging to supervisor.log. */
function startSupervisor(dir: string, fromSources?: boolean): ChildProcess {
  const paths = groupPaths(dir);
  const log = openSync(paths.supervisorLog, 'a');
  const env = { ...process.env };
  if (fromSources !== undefined) {
    if (fromSources) env.SANSPEC_ENGINE_FROM_SOURCES = '1';
    else delete env.SANSPEC_ENGINE_FROM_SOURCES;
  }
  try {
    return spawn(process.execPath, engineProcessArgs('supervisor', ['--dir', dir], env), {
      detached: true,
      stdio: ['ignore', log, log],
      env,
    });
  } finally {
    closeSync(log);
  }
}

function logTail(dir: string, lines = 20): string {
  try {
    return readFileSync(groupPaths(dir).supervisorLog, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no supervisor log)';
  }
}

/** Waits until the supervisor reports the group up; rejects when it fails, exits, or `signal` aborts. */
async function waitReady(dir: string, child: ChildProcess, exited: Promise<void>, options: UpGroupOptions, servers: number): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const started = Date.now();
  for (let i = 0; ; i++) {
    if (options.signal?.aborted) {
      throw new GroupError(
        'ENGINE_INTERRUPTED',
        `group up in ${dir} was interrupted; the supervisor and every server it had started were ended`,
      );
    }
    const rt = readRuntime(dir);
    if (rt?.error) throw new GroupError('ENGINE_GROUP_FAILED', `the group did not come up: ${rt.error}\n${logTail(dir)}`);
    if (rt) return;
    if (gone)
      throw new GroupError('ENGINE_GROUP_FAILED', `the group did not come up: its supervisor (pid ${child.pid}) exited:\n${logTail(dir)}`);
    const timeoutMs = options.timeoutMs ?? READY_TIMEOUT_MS;
    if (Date.now() - started > timeoutMs) {
      throw new GroupError('ENGINE_GROUP_FAILED', `the group did not come up within ${timeoutMs / 1000} s:\n${logTail(dir)}`);
    }
    // Every 10 ms: the record is a small file, and conformance runs bring a group up per path.
    if (i % 100 === 0) options.onProgress?.(`starting ${servers} servers in ${dir} ...`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Brings a group up in `options.dir` and resolves when hosts can use it: every server powered on
 * and every mirrored disk whose servers run giving host access. Rejects with a ConfigError
 * (ENGINE_BAD_CONFIG, every bad field) or a GroupError (ENGINE_GROUP_UP, ENGINE_NOT_RESPONDING,
 * ENGINE_GROUP_FAILED, ENGINE_INTERRUPTED, ENGINE_NO_FREE_PORTS, STORAGE_*), having ended
 * whatever it started.
 */
export async function upGroup(options: UpGroupOptions): Promise<GroupUpResult> {
  const paths = groupPaths(options.dir);
  const dir = paths.dir;
  await refuseRunningGroup(dir);
  const config = loadGroupConfig(options.config ?? defaultConfigInput(), {
    backend: options.backend,
    source: options.configSource ?? (options.config === undefined ? 'default configuration' : 'configuration'),
  });
  if (config.servers.some((s) => s.pool.backend === 'loop')) {
    const support = await checkLoopSupport();
    if (!support.ok) throw new GroupError(support.code, `the loop backend is not available here: ${support.reason}`);
  }
  await mkdir(dir, { recursive: true });
  // A random suffix: two groups never take each other's servers for mirror partners.
  await writeJsonAtomic(paths.config, { ...config, name: `${config.name}-${Math.random().toString(36).slice(2, 8)}` });
  await rm(paths.runtime, { force: true });
  let child: ChildProcess | undefined;
  try {
    const ports = await allocatePorts(config, dir);
    await writeJsonAtomic(paths.ports, ports);
    child = startSupervisor(dir, options.fromSources);
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    await writeFile(paths.supervisorPid, `${child.pid}\n`);
    try {
      await waitReady(dir, child, exited, options, config.servers.length);
    } catch (error) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 60_000)))]);
      clearTimeout(timer);
      throw error;
    }
    child.unref();
    const report = await callSupervisor<GroupReport>(dir, 'GET', '/status');
    return {
      dir,
      supervisorUrl: readRuntime(dir)!.url,
      servers: Object.fromEntries(
        config.servers.map((s) => [s.name, { managementUrl: report.servers[s.name]!.managementUrl, ports: ports[s.name]!.ports }]),
      ),
      virtualDisks: Object.fromEntries(
        config.virtualDisks.map((v) => [
          v.name,
          Object.values(report.servers).flatMap((s) => s.details?.exports.find((e) => e.vdisk === v.name)?.uris ?? []),
        ]),
      ),
    };
  } catch (error) {
    await downGroup(dir, { supervisorTimeoutMs: 60_000 });
    throw error;
  }
}
