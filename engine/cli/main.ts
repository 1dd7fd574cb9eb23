// `sanspec group|server|status|link|site|mirror ...`: the engine's command line, a thin shell
// over the supervisor's HTTP API.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, defaultConfigInput, loadGroupConfig } from '../config/load-config.js';
import type { GroupConfig } from '../config/types.js';
import type { ServerPorts } from '../server/storage-server.js';
import type { GroupStatus } from '../status-types.js';
import { checkLoopSupport, detachLoopDevices } from '../storage/index.js';
import type { GroupReport } from '../supervisor/supervisor.js';
import { writeJsonAtomic } from '../util/atomic-file.js';
import { engineProcessArgs } from '../util/engine-process.js';
import { ApiError, callJson } from '../util/json-http.js';
import { releasePorts, reservePorts } from '../util/port-reservation.js';

/** A command line that cannot run as given (exit 2). */
class UsageError extends Error {}
/** The group refused or failed a command (exit 1), with its stable code. */
class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const out = (s: string) => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Runtime {
  pid: number;
  url: string;
}

function readRuntime(dir: string): Runtime | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'supervisor.json'), 'utf8')) as Runtime;
  } catch {
    return undefined;
  }
}

function supervisorOf(dir: string): Runtime {
  const rt = readRuntime(dir);
  if (!rt || !alive(rt.pid))
    throw new CommandError('ENGINE_NO_GROUP', `no group is up in ${dir}; start one with: sanspec group up --dir ${dir}`);
  return rt;
}

async function call<T>(dir: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const rt = supervisorOf(dir);
  try {
    return await callJson<T>(`${rt.url}${path}`, method, body, 600_000);
  } catch (error) {
    if (error instanceof ApiError) throw new CommandError(error.code, error.message);
    throw error;
  }
}

/** Ports for every server's management API and listening ports, reserved for the group in dir. */
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
    if (code === 'ENGINE_BAD_PORT_RANGE') throw new UsageError((error as Error).message);
    if (code === 'ENGINE_NO_FREE_PORTS') throw new CommandError(code, (error as Error).message);
    throw error;
  }
  return Object.fromEntries(
    config.servers.map((s, i) => [
      s.name,
      { management: pool.shift()!, ports: Object.fromEntries(needs[i]!.map((p) => [p, pool.shift()!])) },
    ]),
  );
}

async function groupUp(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, dir: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' } },
  });
  const dir = resolve(values.dir ?? '.sanspec');
  const backend = values.backend;
  if (backend !== undefined && backend !== 'file' && backend !== 'loop')
    throw new UsageError(`--backend must be file or loop (got ${backend})`);
  const running = readRuntime(dir);
  if (running && alive(running.pid))
    throw new UsageError(`a group is already up in ${dir} (supervisor pid ${running.pid}); run: sanspec group down --dir ${dir}`);
  let input: unknown = defaultConfigInput();
  if (values.config) {
    try {
      input = JSON.parse(await readFile(values.config, 'utf8'));
    } catch (error) {
      throw new UsageError(`cannot read configuration ${values.config}: ${(error as Error).message}`);
    }
  }
  let config: GroupConfig;
  try {
    config = loadGroupConfig(input, { backend, source: values.config ?? 'default configuration' });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  if (config.servers.some((s) => s.pool.backend === 'loop')) {
    const support = await checkLoopSupport();
    if (!support.ok) throw new CommandError(support.code, `the loop backend is not available here: ${support.reason}`);
  }
  await mkdir(dir, { recursive: true });
  await writeJsonAtomic(join(dir, 'group.json'), { ...config, name: `${config.name}-${Math.random().toString(36).slice(2, 8)}` });
  await writeJsonAtomic(join(dir, 'ports.json'), await allocatePorts(config, dir));
  await rm(join(dir, 'supervisor.json'), { force: true });

  const log = openSync(join(dir, 'supervisor.log'), 'a');
  const child = spawn(process.execPath, engineProcessArgs('supervisor', ['--dir', dir]), {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exited = false;
  child.once('exit', () => (exited = true));
  const interrupt = () => {
    err('interrupted: shutting the group down');
    child.kill('SIGTERM');
  };
  process.once('SIGINT', interrupt);
  const tail = () => readFileSync(join(dir, 'supervisor.log'), 'utf8').trimEnd().split('\n').slice(-20).join('\n');
  try {
    const progress = process.stderr.isTTY && !values.json;
    for (let i = 0; ; i++) {
      const rt = readRuntime(dir);
      if (rt) break;
      if (exited) {
        await releasePorts(dir);
        throw new CommandError('ENGINE_GROUP_FAILED', `the group did not come up:\n${tail()}`);
      }
      if (progress && i % 10 === 0) process.stderr.write(`\rstarting ${config.servers.length} servers in ${dir} ...`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (progress) process.stderr.write('\r\x1b[K');
  } finally {
    process.off('SIGINT', interrupt);
  }
  child.unref();
  const report = await call<GroupReport>(dir, 'GET', '/status');
  const summary = {
    dir,
    supervisor: readRuntime(dir)!.url,
    servers: Object.fromEntries(Object.entries(report.servers).map(([name, s]) => [name, { managementUrl: s.managementUrl }])),
    virtualDisks: Object.fromEntries(
      config.virtualDisks.map((v) => [
        v.name,
        Object.values(report.servers).flatMap((s) => s.details?.exports.find((e) => e.vdisk === v.name)?.uris ?? []),
      ]),
    ),
  };
  if (values.json) {
    out(JSON.stringify(summary, null, 2));
  } else {
    out(`group up in ${dir}`);
    for (const [name, s] of Object.entries(summary.servers)) out(`  server ${name}  management ${s.managementUrl}`);
    for (const [name, uris] of Object.entries(summary.virtualDisks)) out(`  disk ${name}  ${uris.join('  ')}`);
  }
  return 0;
}

async function groupDown(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' } } });
  const dir = resolve(values.dir ?? '.sanspec');
  const rt = readRuntime(dir);
  if (rt && alive(rt.pid)) {
    await callJson(`${rt.url}/down`, 'POST', {}, 10_000).catch(() => process.kill(rt.pid, 'SIGTERM'));
    const deadline = Date.now() + 180_000;
    while (alive(rt.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(rt.pid)) process.kill(rt.pid, 'SIGKILL');
  }
  // Whatever a killed supervisor left behind: server processes and loop devices.
  const serversDir = join(dir, 'servers');
  for (const name of existsSync(serversDir) ? await readdir(serversDir) : []) {
    const pidFile = join(serversDir, name, 'pid');
    const pid = Number(existsSync(pidFile) ? readFileSync(pidFile, 'utf8') : NaN);
    if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    await rm(pidFile, { force: true });
  }
  if ((await checkLoopSupport()).ok) {
    const detached = await detachLoopDevices(dir);
    if (detached.length > 0) err(`detached ${detached.join(', ')}`);
  }
  await rm(join(dir, 'supervisor.json'), { force: true });
  await releasePorts(dir);
  out(`group in ${dir} is down`);
  return 0;
}

const serverActions = ['stop', 'start', 'shutdown', 'restart', 'crash', 'power-on', 'cache', 'ups'];

async function serverCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dir: { type: 'string' }, mode: { type: 'string' }, 'size-mib': { type: 'string' } },
  });
  const [action, name, event] = positionals;
  if (!action || !serverActions.includes(action) || !name) {
    throw new UsageError(
      `usage: sanspec server ${serverActions.join('|')} NAME [--dir DIR]  (cache: --mode writeBack|writeThrough --size-mib N; ups: battery|mains|low)`,
    );
  }
  const dir = resolve(values.dir ?? '.sanspec');
  let body: Record<string, unknown> = {};
  if (action === 'cache') body = { mode: values.mode, sizeMiB: values['size-mib'] === undefined ? undefined : Number(values['size-mib']) };
  if (action === 'ups') {
    if (!event) throw new UsageError('usage: sanspec server ups NAME battery|mains|low');
    body = { event };
  }
  await call(dir, 'POST', `/servers/${encodeURIComponent(name)}/${action}`, body);
  out(`${name}: ${action} done`);
  return 0;
}

function formatStatus(s: GroupStatus): string {
  const lines = ['servers'];
  for (const x of s.servers) {
    const pending = x.cache.pending ? ` (pending ${x.cache.pending})` : '';
    lines.push(
      `  ${x.name}  power ${x.power}  ${x.state}  seen as ${x.seenAs}  cache ${x.cache.applied}${pending} effective ${x.cache.effective}  ups ${x.ups}`,
    );
  }
  lines.push('virtual disks');
  for (const v of s.virtualDisks) {
    lines.push(
      `  ${v.name}  ${v.kind}  ${v.status}  host access ${v.hostAccess}  ${v.copies.map((c) => `${c.server}=${c.dataStatus}${c.preferred && v.kind === 'mirrored' ? '(preferred)' : ''}`).join(' ')}`,
    );
  }
  lines.push('paths');
  for (const p of s.paths)
    lines.push(
      `  ${p.host} -> ${p.server}/${p.port}  ${p.online ? 'online' : 'offline'}  ${Object.entries(p.alua)
        .map(([v, a]) => `${v}:${a}`)
        .join(' ')}`,
    );
  lines.push('ports');
  for (const p of s.ports) lines.push(`  ${p.server}/${p.name}  ${p.mode}  ${p.enabled ? 'enabled' : 'disabled'}`);
  if (s.mirrorLinks.length > 0)
    lines.push('mirror links', ...s.mirrorLinks.map((l) => `  ${l.servers.join('-')}  ${l.up ? 'up' : 'down'}`));
  return lines.join('\n');
}

async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { dir: { type: 'string' }, json: { type: 'boolean' }, details: { type: 'boolean' } } });
  const dir = resolve(values.dir ?? '.sanspec');
  const report = await call<GroupReport>(dir, 'GET', '/status');
  if (values.details) out(JSON.stringify(report, null, 2));
  else if (values.json) out(JSON.stringify(report.status, null, 2));
  else out(formatStatus(report.status));
  return 0;
}

async function link(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { dir: { type: 'string' } } });
  const [action, a, b] = positionals;
  if ((action !== 'cut' && action !== 'restore') || !a || !b)
    throw new UsageError('usage: sanspec link cut|restore SERVER SERVER [--dir DIR]');
  await call(resolve(values.dir ?? '.sanspec'), 'POST', `/links/${a}/${b}/${action}`);
  out(`mirror link ${a}-${b}: ${action} done`);
  return 0;
}

async function site(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { dir: { type: 'string' } } });
  if (positionals[0] !== 'crash') throw new UsageError('usage: sanspec site crash [--dir DIR]');
  await call(resolve(values.dir ?? '.sanspec'), 'POST', '/site/crash');
  out('site crash: every powered-on server killed');
  return 0;
}

async function mirror(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { dir: { type: 'string' }, copy: { type: 'string' } },
  });
  const [action, vdisk] = positionals;
  if (action !== 'force-recovery' || !vdisk || !values.copy)
    throw new UsageError('usage: sanspec mirror force-recovery VDISK --copy SERVER [--dir DIR]');
  await call(resolve(values.dir ?? '.sanspec'), 'POST', `/mirror/${encodeURIComponent(vdisk)}/force`, { copy: values.copy });
  out(`${vdisk}: the copy on ${values.copy} is online; the other copy gets full recovery from it (decision recorded in the server log)`);
  return 0;
}

const usage = `usage:
  sanspec group up [--config FILE] [--dir DIR] [--backend file|loop] [--json]
  sanspec group down [--dir DIR]
  sanspec server stop|start|shutdown|restart|crash|power-on NAME [--dir DIR]
  sanspec server cache NAME [--mode writeBack|writeThrough] [--size-mib N] [--dir DIR]
  sanspec server ups NAME battery|mains|low [--dir DIR]
  sanspec status [--dir DIR] [--json] [--details]
  sanspec link cut|restore SERVER SERVER [--dir DIR]
  sanspec site crash [--dir DIR]
  sanspec mirror force-recovery VDISK --copy SERVER [--dir DIR]`;

/** Runs an engine command; resolves to the exit code (0 ok, 1 refused or failed, 2 usage). */
export async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  try {
    if (command === 'group' && sub === 'up') return await groupUp(rest);
    if (command === 'group' && sub === 'down') return await groupDown(rest);
    if (command === 'server') return await serverCommand(sub === undefined ? rest : [sub, ...rest]);
    if (command === 'status') return await status(sub === undefined ? rest : [sub, ...rest]);
    if (command === 'link') return await link(sub === undefined ? rest : [sub, ...rest]);
    if (command === 'site') return await site(sub === undefined ? rest : [sub, ...rest]);
    if (command === 'mirror') return await mirror(sub === undefined ? rest : [sub, ...rest]);
    throw new UsageError(usage);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      err(`sanspec: ${(error as Error).message}`);
      return 2;
    }
    if (error instanceof CommandError) {
      err(`sanspec: ${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
