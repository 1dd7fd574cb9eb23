// The files of a group directory, and the processes they name. A group directory holds the
// configuration the group was brought up with, its ports, the supervisor's runtime record, and
// one directory per server (state, disks, log, pid file).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serverPaths } from '../server/persisted-state.js';
import type { ServerPorts } from '../server/storage-server.js';

/** Paths of a group directory's files. */
export function groupPaths(dir: string) {
  const root = resolve(dir);
  return {
    dir: root,
    /** The configuration the group runs with (validated, defaults filled in). */
    config: join(root, 'group.json'),
    /** Ports of every server, reserved for the group's life. */
    ports: join(root, 'ports.json'),
    /** Written by the supervisor once the group is up: its pid and API URL. */
    runtime: join(root, 'supervisor.json'),
    /** Written by `group up` as soon as the supervisor is started. */
    supervisorPid: join(root, 'supervisor.pid'),
    supervisorLog: join(root, 'supervisor.log'),
    servers: join(root, 'servers'),
  };
}

/** The supervisor's runtime record. */
export interface SupervisorRuntime {
  pid: number;
  url: string;
  /** Set when the group failed to come up; the supervisor then ends. */
  error?: string;
}

/** The supervisor's runtime record, if there is one. */
export function readRuntime(dir: string): SupervisorRuntime | undefined {
  try {
    return JSON.parse(readFileSync(groupPaths(dir).runtime, 'utf8')) as SupervisorRuntime;
  } catch {
    return undefined;
  }
}

/** The ports the group reserved, by server (undefined before `group up` wrote them). */
export function readPorts(dir: string): Record<string, ServerPorts> | undefined {
  try {
    return JSON.parse(readFileSync(groupPaths(dir).ports, 'utf8')) as Record<string, ServerPorts>;
  } catch {
    return undefined;
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a live process of the group in `dir`. On Linux its command line must name the
 * directory (`--dir DIR`), so that a pid reused by an unrelated process is never taken for (and
 * never killed as) one of the group's.
 */
export function isGroupProcess(pid: number, dir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return !existsSync('/proc/self/cmdline'); // no /proc here: trust the pid
  }
  const args = cmdline.split('\0');
  const i = args.indexOf('--dir');
  return i >= 0 && resolve(args[i + 1] ?? '') === resolve(dir);
}

/** The supervisor's pid, as the runtime record or `group up` recorded it. */
export function supervisorPid(dir: string): number | undefined {
  return readRuntime(dir)?.pid ?? readPid(groupPaths(dir).supervisorPid);
}

/** A server process of the group, as its pid file names it. */
export interface ServerProcess {
  server: string;
  pid: number;
  /** The process is alive (and is the group's). */
  alive: boolean;
}

/** Every server process the pid files name. */
export function serverProcesses(dir: string): ServerProcess[] {
  const { servers } = groupPaths(dir);
  if (!existsSync(servers)) return [];
  return readdirSync(servers).flatMap((server) => {
    const pid = readPid(serverPaths(dir, server).pid);
    return pid === undefined ? [] : [{ server, pid, alive: isGroupProcess(pid, dir) }];
  });
}
