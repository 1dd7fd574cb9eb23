// Talking to a group's supervisor: what every engine command does, the CLI's and the adapters'.
// When the supervisor is gone or does not answer, the error says what still runs (the server
// processes, per their pid files, and their own status if they answer) and what to do.
import type { NotResponding } from '../../contracts/cli-output.js';
import type { ServerReport } from '../server/storage-server.js';
import { ApiError, callJson } from '../util/json-http.js';
import { GroupError } from './group-error.js';
import { groupPaths, isGroupProcess, readPorts, readRuntime, serverProcesses, supervisorPid } from './group-files.js';

/** What runs in a group directory without an answering supervisor: the evidence of ENGINE_NOT_RESPONDING. */
export async function leftoverProcesses(dir: string): Promise<NotResponding> {
  const root = groupPaths(dir).dir;
  const pid = supervisorPid(root) ?? null;
  const ports = readPorts(root);
  const servers = await Promise.all(
    serverProcesses(root)
      .filter((p) => p.alive)
      .map(async (p) => {
        const management = ports?.[p.server]?.management;
        const managementUrl = management === undefined ? null : `http://127.0.0.1:${management}`;
        const report = managementUrl
          ? await callJson<ServerReport>(`${managementUrl}/status`, 'GET', undefined, 2000).catch(() => undefined)
          : undefined;
        return { server: p.server, pid: p.pid, managementUrl, state: report?.server.state ?? null };
      }),
  );
  return { dir: root, supervisor: { pid, alive: pid !== null && isGroupProcess(pid, root) }, servers };
}

/** ENGINE_NOT_RESPONDING with what still runs, or ENGINE_NO_GROUP when nothing does. */
export async function notRespondingError(dir: string, why: string): Promise<GroupError> {
  const root = groupPaths(dir).dir;
  const found = await leftoverProcesses(root);
  if (found.servers.length === 0 && !found.supervisor.alive) {
    return new GroupError('ENGINE_NO_GROUP', `no group is up in ${root}; start one with: sanspec group up --dir ${root}`);
  }
  const lines = found.servers.map(
    (s) => `  ${s.server}  pid ${s.pid}  ${s.state ?? 'does not answer'}${s.managementUrl ? `  ${s.managementUrl}` : ''}`,
  );
  const running =
    found.servers.length === 0
      ? 'no server process of the group runs'
      : `${found.servers.length} server process(es) of the group still run, and serve their disks with nobody supervising them:\n${lines.join('\n')}`;
  return new GroupError('ENGINE_NOT_RESPONDING', `${why}; ${running}\nend everything with: sanspec group down --dir ${root}`, found);
}

/** The supervisor's URL, or ENGINE_NO_GROUP / ENGINE_NOT_RESPONDING when it is not there. */
export async function supervisorUrl(dir: string): Promise<string> {
  const root = groupPaths(dir).dir;
  const rt = readRuntime(root);
  if (rt && !rt.error && isGroupProcess(rt.pid, root)) return rt.url;
  const pid = supervisorPid(root);
  const why =
    pid === undefined
      ? `no supervisor runs in ${root}`
      : rt?.error
        ? `the group in ${root} failed to come up (${rt.error})`
        : isGroupProcess(pid, root)
          ? `the supervisor of the group in ${root} (pid ${pid}) has not finished bringing the group up`
          : `the supervisor of the group in ${root} (pid ${pid}) is gone`;
  throw await notRespondingError(root, why);
}

/**
 * Calls the supervisor's API of the group in `dir`. Its refusals and errors come back as a
 * GroupError with the API's code; no answer at all as ENGINE_NOT_RESPONDING with what still runs.
 */
export async function callSupervisor<T>(
  dir: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 600_000,
): Promise<T> {
  const url = await supervisorUrl(dir);
  try {
    return await callJson<T>(`${url}${path}`, method, body, timeoutMs);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.code === 'API_NO_ANSWER') throw await notRespondingError(dir, `the supervisor at ${url} does not answer (${error.message})`);
    throw new GroupError(error.code, error.message, error.details);
  }
}
