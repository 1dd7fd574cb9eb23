// Bringing an engine group up and down in a directory, in this process, through the engine's
// group API (engine/group: upGroup, downGroup), the same steps `sanspec group up|down` take,
// without starting the command line each time. Then checking that nothing of the group is left:
// no process started for it, no loop device over its files, no port reserved.

import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Code } from '../../contracts/codes.js';
import { ConfigError, loadGroupConfig } from '../../engine/config/load-config.js';
import type { GroupConfig } from '../../engine/config/types.js';
import { FaultsDisabledError } from '../../engine/faults.js';
import { downGroup, readPorts, readRuntime, upGroup } from '../../engine/group/index.js';
import type { ServerPorts } from '../../engine/server/storage-server.js';
import { checkLoopSupport, listLoopDevices } from '../../engine/storage/index.js';
import { defaultRegistry } from '../../engine/util/port-reservation.js';
import { AdapterError } from '../types.js';

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
  try {
    // The engine's own group API (engine/group), as `sanspec group up` uses it.
    const up = await upGroup({
      dir: groupDir,
      config: input,
      configSource: 'the group configuration made from the topology',
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? 120_000,
      fromSources: options.fromSources ?? false,
    });
    const runtime = readRuntime(groupDir);
    const ports = readPorts(groupDir);
    if (!runtime || !ports) throw new AdapterError(`the engine group in ${groupDir} is up but its runtime record or ports are missing`);
    return { dir: groupDir, config, url: up.supervisorUrl, supervisorPid: runtime.pid, ports };
  } catch (error) {
    await downEngineGroup(groupDir).catch(() => {});
    if (error instanceof AdapterError) throw error;
    const code = (error as { code?: Code }).code;
    throw new AdapterError(
      `the engine group did not come up in ${groupDir}: ${(error as Error).message}`,
      { logs: await groupLogs(groupDir) },
      code ?? 'ENGINE_GROUP_FAILED',
    );
  }
}

/** Ends the group in `dir` (as `group down`): whatever state it is in, even half started. */
export async function downEngineGroup(dir: string): Promise<void> {
  const groupDir = resolve(dir);
  await downGroup(groupDir, { supervisorTimeoutMs: 180_000 });
  // A process started for the group whose pid file was never written (a server killed while it
  // started): found by its command line.
  for (const pid of await groupProcesses(groupDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
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
