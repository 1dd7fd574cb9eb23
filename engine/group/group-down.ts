// Ending a group: whatever state it is in, nothing of it is left running or attached afterwards.
import { rm } from 'node:fs/promises';
import type { GroupDownOutput } from '../../contracts/cli-output.js';
import { serverPaths } from '../server/persisted-state.js';
import { checkLoopSupport, detachLoopDevices } from '../storage/loop-devices.js';
import { callJson } from '../util/json-http.js';
import { releasePorts } from '../util/port-reservation.js';
import { groupPaths, isGroupProcess, readRuntime, serverProcesses, supervisorPid } from './group-files.js';

/** What `downGroup` ended (the JSON of `sanspec group down --json`). */
export type GroupDownResult = GroupDownOutput;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a signal; a process that is already gone is not an error. */
function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Waits until `pid` is no longer a process of the group; false if it still is at the deadline. */
export async function waitGone(pid: number, dir: string, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(50)) {
    if (!isGroupProcess(pid, dir)) return true;
  }
  return !isGroupProcess(pid, dir);
}

/**
 * Ends the group in `dir`: asks the supervisor to shut every server down (SIGTERM if it does not
 * answer, SIGKILL if it does not end in `supervisorTimeoutMs`), then kills any server process a
 * killed supervisor left behind, detaches the group's loop devices, and releases its ports.
 * Safe to call at any time, also when no group is up, and more than once.
 */
export async function downGroup(dir: string, options: { supervisorTimeoutMs?: number } = {}): Promise<GroupDownResult> {
  const root = groupPaths(dir).dir;
  let supervisor: GroupDownResult['supervisor'] = 'none';
  const pid = supervisorPid(root);
  if (pid !== undefined && isGroupProcess(pid, root)) {
    const rt = readRuntime(root);
    const asked = rt?.url
      ? await callJson(`${rt.url}/down`, 'POST', {}, 10_000).then(
          () => true,
          () => false,
        )
      : false;
    if (!asked) kill(pid, 'SIGTERM');
    supervisor = 'stopped';
    if (!(await waitGone(pid, root, options.supervisorTimeoutMs ?? 180_000))) {
      kill(pid, 'SIGKILL');
      await waitGone(pid, root, 10_000);
      supervisor = 'killed';
    }
  }
  // Whatever a killed supervisor left behind: server processes and loop devices.
  const killedServers: GroupDownResult['killedServers'] = [];
  for (const p of serverProcesses(root)) {
    if (p.alive) {
      kill(p.pid, 'SIGKILL');
      await waitGone(p.pid, root, 10_000);
      killedServers.push({ server: p.server, pid: p.pid });
    }
    await rm(serverPaths(root, p.server).pid, { force: true });
  }
  const detachedLoopDevices = (await checkLoopSupport()).ok ? await detachLoopDevices(root) : [];
  const paths = groupPaths(root);
  await rm(paths.runtime, { force: true });
  await rm(paths.supervisorPid, { force: true });
  await releasePorts(root);
  return { dir: root, supervisor, killedServers, detachedLoopDevices };
}
