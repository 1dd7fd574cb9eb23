// The supervisor of a group: `node --import tsx engine/supervisor/main.ts --dir DIR`.
// Started in the background by `sanspec group up`; powers on every server, then serves its API.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadGroupConfig } from '../config/load-config.js';
import { setFaults } from '../faults.js';
import { CacheBodySchema, ForceBodySchema, UpsBodySchema } from '../server/api-bodies.js';
import type { ServerPorts } from '../server/storage-server.js';
import { writeJsonAtomic } from '../util/atomic-file.js';
import { HttpError, parseBody, serveJson, type Route } from '../util/json-http.js';
import { Supervisor } from './supervisor.js';

const { values } = parseArgs({ options: { dir: { type: 'string' } } });
if (!values.dir) {
  process.stderr.write('usage: engine/supervisor/main.ts --dir DIR\n');
  process.exit(2);
}
const dir = values.dir;
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} supervisor ${line}\n`);
const config = loadGroupConfig(JSON.parse(await readFile(join(dir, 'group.json'), 'utf8')), { source: join(dir, 'group.json') });
// Test-only (engine/faults.ts): loadGroupConfig refused any switch the environment does not allow.
setFaults(config.testing.faults);
if (config.testing.faults.length > 0) log(`FAULT SWITCHES ON (test only): ${config.testing.faults.join(', ')}`);
const ports = JSON.parse(await readFile(join(dir, 'ports.json'), 'utf8')) as Record<string, ServerPorts>;
const supervisor = new Supervisor(dir, config, ports, log);
const runtimeFile = join(dir, 'supervisor.json');

const actions: Record<string, (name: string, body: unknown) => Promise<unknown>> = {
  'power-on': (name) => supervisor.powerOn(name),
  crash: (name) => supervisor.crash(name),
  shutdown: (name) => supervisor.shutdown(name),
  restart: (name) => supervisor.restart(name),
  stop: (name) => supervisor.serverCommand(name, '/stop'),
  start: (name) => supervisor.serverCommand(name, '/start'),
  cache: (name, body) => supervisor.serverCommand(name, '/cache', parseBody(CacheBodySchema, body, 'cache settings')),
  ups: async (name, body) => supervisor.ups(name, parseBody(UpsBodySchema, body, 'UPS event').event),
};

let ending = false;
const end = async (code: number) => {
  if (ending) return;
  ending = true;
  log('shutting the group down');
  await supervisor.down();
  await api.close().catch(() => {});
  await rm(runtimeFile, { force: true });
  log('down');
  process.exit(code);
};

const routes: Route[] = [
  { method: 'GET', path: '/status', handler: () => supervisor.report() },
  {
    method: 'POST',
    path: '/servers/:name/:action',
    handler: async (body, params) => {
      const action = Object.hasOwn(actions, params.action!) ? actions[params.action!] : undefined;
      if (!action) throw new HttpError(404, 'API_NOT_FOUND', `no server action ${params.action}; use ${Object.keys(actions).join(', ')}`);
      await action(params.name!, body ?? {});
      return { ok: true };
    },
  },
  { method: 'POST', path: '/site/crash', handler: () => supervisor.siteCrash() },
  {
    method: 'GET',
    path: '/witness/:server',
    handler: async (_body, params, query) => supervisor.witness(params.server!, query.get('from') ?? ''),
  },
  {
    method: 'POST',
    path: '/mirror/:vdisk/force',
    handler: async (body, params) => {
      const { copy } = parseBody(ForceBodySchema, body, 'force request (name the copy to bring online: {"copy": "s2"})');
      await supervisor.forceMirrorRecovery(params.vdisk!, copy);
      return { ok: true };
    },
  },
  {
    method: 'POST',
    path: '/links/:a/:b/:action',
    handler: async (_body, params) => {
      if (params.action !== 'cut' && params.action !== 'restore')
        throw new HttpError(404, 'API_NOT_FOUND', `no link action ${params.action}; use cut or restore`);
      await supervisor.setLink(params.a!, params.b!, params.action === 'restore');
      return { ok: true };
    },
  },
  {
    method: 'POST',
    path: '/down',
    handler: async () => {
      setImmediate(() => void end(0));
      return { ok: true };
    },
  },
];

const api = await serveJson(routes);
supervisor.apiUrl = api.url;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => void end(0));

try {
  log(`powering on ${config.servers.map((s) => s.name).join(', ')}`);
  await supervisor.powerOnAll();
} catch (error) {
  log(`group failed to come up: ${(error as Error).message}`);
  await writeJsonAtomic(runtimeFile, { pid: process.pid, url: api.url, error: (error as Error).message });
  await end(1);
}
// Ready means hosts can use the group: wait (boundedly) until the copies of each mirrored disk
// whose servers all run have met and give host access.
for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
  const { status } = await supervisor.report();
  const running = new Set(status.servers.filter((s) => s.state === 'running').map((s) => s.name));
  const waiting = status.virtualDisks.filter(
    (v) => v.kind === 'mirrored' && v.copies.every((c) => running.has(c.server)) && v.hostAccess !== 'readWrite',
  );
  if (waiting.length === 0) break;
}
await writeJsonAtomic(runtimeFile, { pid: process.pid, url: api.url, startedAt: new Date().toISOString() });
log(`ready; API on ${api.url}`);
