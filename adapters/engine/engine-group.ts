// Bringing an engine group up and down in a directory, in this process: the steps of
// `sanspec group up|down` (engine/cli/main.ts) without starting the command line each time.
// Interim: once the engine's programmatic group API (engine/group: upGroup/downGroup) lands, up
// and down call it and only the leftover check below stays here.
//
// Up: validate the configuration, reserve the group's ports, start the supervisor (detached, from
// the engine's bundle, engine/build/), and wait until it reports ready (every server answers and
// the copies of every mirrored disk have met). Down: ask the supervisor to end the group, kill
// what does not end in time, detach loop devices, release the ports. Then check that nothing of
// the group is left: no process started for it, no loop device over its files, no port reserved.

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, loadGroupConfig } from '../../engine/config/load-config.js';
import type { GroupConfig } from '../../engine/config/types.js';
import { FaultsDisabledError } from '../../engine/faults.js';
import type { ServerPorts } from '../../engine/server/storage-server.js';
import { checkLoopSupport, detachLoopDevices, listLoopDevices } from '../../engine/storage/index.js';
import { writeJsonAtomic } from '../../engine/util/atomic-file.js';
import { engineProcessArgs } from '../../engine/util/engine-process.js';
import { defaultRegistry, releasePorts, reservePorts } from '../../engine/util/port-reservation.js';
import { AdapterError } from '../types.js';
import { callSupervisor } from './supervisor-client.js';

/** A group that is up. */
export interface EngineGroup {
  /** The group directory. */
  readonly dir: string;
  /** The validated configuration. */
  readonly config: GroupConfig;
  /** The supervisor API's base URL. */
  readonly url: string;
  /** The supervisor's process id. */
  readonly supervisorPid: number;
  /** Ports of every server: management, and each front-end and mirror port by name. */
  readonly ports: Readonly<Record<string, ServerPorts>>;
}

/** Options of `upEngineGroup`. */
export interface UpOptions {
  /** Start the processes from the TypeScript sources (SANSPEC_ENGINE_FROM_SOURCES=1) instead of bundles. */
  readonly fromSources?: boolean;
  /** Give up after this long (default 120 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readJsonFile<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The last lines of a file, for evidence. */
export async function tail(path: string, lines = 20): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${path})`;
  }
}

/** The supervisor's log and every server's log, last lines of each: the evidence of a failure. */
export async function groupLogs(dir: string, lines = 15): Promise<Record<string, string>> {
  const logs: Record<string, string> = { supervisor: await tail(join(dir, 'supervisor.log'), lines) };
  for (const name of await readdir(join(dir, 'servers')).catch(() => [] as string[]))
    logs[name] = await tail(join(dir, 'servers', name, 'server.log'), lines);
  return logs;
}

/** Brings a group up in `dir` (an empty directory) for the configuration `input`; on failure, leaves nothing behind. */
export async function upEngineGroup(dir: string, input: unknown, options: UpOptions = {}): Promise<EngineGroup> {
  const groupDir = resolve(dir);
  let config: GroupConfig;
  try {
    config = loadGroupConfig(input, { source: 'the group configuration made from the topology' });
  } catch (error) {
    if (error instanceof ConfigError)
      throw new AdapterError(error.message, { problems: error.problems, input }, 'SANSPEC_BAD_ADAPTER_CONFIG');
    if (error instanceof FaultsDisabledError) throw new AdapterError(error.message, error.details, error.code);
    throw error;
  }
  if (config.servers.some((s) => s.pool.backend === 'loop')) {
    const support = await checkLoopSupport();
    if (!support.ok) throw new AdapterError(`the loop backend is not available here: ${support.reason}`, { support }, support.code);
  }
  await mkdir(groupDir, { recursive: true });
  try {
    return await start(groupDir, config, options);
  } catch (error) {
    await downEngineGroup(groupDir).catch(() => {});
    throw error;
  }
}

async function start(dir: string, config: GroupConfig, options: UpOptions): Promise<EngineGroup> {
  await writeJsonAtomic(join(dir, 'group.json'), { ...config, name: `${config.name}-${Math.random().toString(36).slice(2, 8)}` });
  const ports = await allocatePorts(config, dir);
  await writeJsonAtomic(join(dir, 'ports.json'), ports);

  const env = { ...process.env };
  if (options.fromSources) env.SANSPEC_ENGINE_FROM_SOURCES = '1';
  else delete env.SANSPEC_ENGINE_FROM_SOURCES;
  const args = engineProcessArgs('supervisor', ['--dir', dir], env);
  const log = openSync(join(dir, 'supervisor.log'), 'a');
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log, log], env });
  closeSync(log);
  let exit: string | null = null;
  child.once('exit', (code, signal) => (exit = `exited with code ${code}, signal ${signal}`));
  child.once('error', (error) => (exit = `could not start: ${error.message}`));
  child.unref();

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const runtime = await readJsonFile<{ pid: number; url: string; error?: string }>(join(dir, 'supervisor.json'));
    if (runtime?.error !== undefined || exit !== null || options.signal?.aborted || Date.now() > deadline) {
      const why =
        runtime?.error ??
        (exit !== null
          ? `the supervisor ${exit}`
          : options.signal?.aborted
            ? 'interrupted'
            : `not ready within ${options.timeoutMs ?? 120_000} ms`);
      throw new AdapterError(
        `the engine group did not come up in ${dir}: ${why}`,
        { logs: await groupLogs(dir), args },
        'ENGINE_GROUP_FAILED',
      );
    }
    if (runtime) return { dir, config, url: runtime.url, supervisorPid: runtime.pid, ports };
    await sleep(10);
  }
}

/** Ports for every server's management API and listening ports, reserved for the group in dir (as `group up`). */
async function allocatePorts(config: GroupConfig, dir: string): Promise<Record<string, ServerPorts>> {
  const needs = config.servers.map((s) =>
    s.ports.filter((p) => p.roles.includes('frontEnd') || p.roles.includes('mirror')).map((p) => p.name),
  );
  const pool = await reservePorts(
    needs.reduce((n, names) => n + 1 + names.length, 0),
    dir,
  ).catch((error: unknown) => {
    const code = (error as { code?: string }).code;
    throw new AdapterError(
      `cannot reserve ports for the group in ${dir}: ${(error as Error).message}`,
      { error },
      code === 'ENGINE_NO_FREE_PORTS' || code === 'ENGINE_BAD_PORT_RANGE' ? code : 'SANSPEC_ADAPTER_FAILED',
    );
  });
  return Object.fromEntries(
    config.servers.map((s, i) => [
      s.name,
      { management: pool.shift()!, ports: Object.fromEntries(needs[i]!.map((p) => [p, pool.shift()!])) },
    ]),
  );
}

/** Ends the group in `dir` (as `group down`): whatever state it is in, even half started. */
export async function downEngineGroup(dir: string): Promise<void> {
  const groupDir = resolve(dir);
  const runtime = await readJsonFile<{ pid: number; url: string }>(join(groupDir, 'supervisor.json'));
  if (runtime && alive(runtime.pid)) {
    await callSupervisor(runtime.url, 'POST', '/down', { timeoutMs: 10_000 }).catch(() => {
      try {
        process.kill(runtime.pid, 'SIGTERM');
      } catch {
        // gone meanwhile
      }
    });
    for (const deadline = Date.now() + 180_000; alive(runtime.pid) && Date.now() < deadline; ) await sleep(20);
    if (alive(runtime.pid)) process.kill(runtime.pid, 'SIGKILL');
  }
  // Whatever a killed or half-started supervisor left: its processes, loop devices, ports.
  for (const pid of await groupProcesses(groupDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  for (const name of await readdir(join(groupDir, 'servers')).catch(() => [] as string[]))
    await rm(join(groupDir, 'servers', name, 'pid'), { force: true });
  if ((await checkLoopSupport()).ok) await detachLoopDevices(groupDir).catch(() => {});
  await rm(join(groupDir, 'supervisor.json'), { force: true });
  await releasePorts(groupDir);
}

/**
 * Processes started for the group in `dir`: every process whose command line has `--dir DIR`
 * (the supervisor and the servers), found in /proc, so that an orphan is found too.
 */
export async function groupProcesses(dir: string): Promise<number[]> {
  const groupDir = resolve(dir);
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    const at = args.indexOf('--dir');
    if (at >= 0 && args[at + 1] !== undefined && resolve(args[at + 1]!) === groupDir) pids.push(pid);
  }
  return pids;
}

/** What is left of the group in `dir` after it went down: processes, loop devices, port reservations. Empty when clean. */
export async function groupLeftovers(dir: string): Promise<string[]> {
  const groupDir = resolve(dir);
  const left: string[] = [];
  for (const pid of await groupProcesses(groupDir)) left.push(`process ${pid} (${alive(pid) ? 'alive' : 'exiting'})`);
  if ((await checkLoopSupport()).ok)
    for (const d of await listLoopDevices(groupDir).catch(() => [])) left.push(`loop device ${d.device} over ${d.backingFile}`);
  const registry = defaultRegistry();
  for (const file of await readdir(registry).catch(() => [] as string[])) {
    const owner = (await readJsonFile<{ owner?: string }>(join(registry, file)))?.owner;
    if (owner === groupDir) left.push(`port reservation ${file} in ${registry}`);
  }
  return left;
}
