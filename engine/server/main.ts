// One storage server process: `node --import tsx engine/server/main.ts --dir DIR --name NAME [--ups battery]`.
// The supervisor starts it (power-on) and kills it (crash); SIGTERM is a graceful machine shutdown.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadGroupConfig } from '../config/load-config.js';
import { setFaults } from '../faults.js';
import { ServerMirrors } from '../mirror/mirror-service.js';
import { serveManagementApi } from './management-api.js';
import { StorageServer, type ServerPorts } from './storage-server.js';

const { values } = parseArgs({
  options: { dir: { type: 'string' }, name: { type: 'string' }, ups: { type: 'string' }, supervisor: { type: 'string' } },
});
if (!values.dir || !values.name) {
  process.stderr.write('usage: engine/server/main.ts --dir DIR --name NAME [--ups mains|battery] [--supervisor URL]\n');
  process.exit(2);
}
const dir = values.dir;
const name = values.name;
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${name} ${line}\n`);

const config = loadGroupConfig(JSON.parse(await readFile(join(dir, 'group.json'), 'utf8')), { source: join(dir, 'group.json') });
// Test-only (engine/faults.ts): loadGroupConfig refused any switch the environment does not allow.
setFaults(config.testing.faults);
if (config.testing.faults.length > 0) log(`FAULT SWITCHES ON (test only): ${config.testing.faults.join(', ')}`);
const allPorts = JSON.parse(await readFile(join(dir, 'ports.json'), 'utf8')) as Record<string, ServerPorts>;
const ports = allPorts[name];
if (!ports) throw new Error(`no ports allocated for ${name} in ${join(dir, 'ports.json')}`);

const server = await StorageServer.powerOn({
  groupDir: dir,
  config,
  name,
  ports,
  ups: values.ups === 'battery' ? 'battery' : 'mains',
  mirrors: (s) => new ServerMirrors(s, { groupDir: dir, ports: allPorts, supervisorUrl: values.supervisor }, log),
  log,
});

let exiting = false;
const exit = async (code: number) => {
  if (exiting) return;
  exiting = true;
  await api.close().catch(() => {});
  log(`exit ${code}`);
  process.exit(code);
};
const api = await serveManagementApi(server, ports.management, () => void exit(0), server.mirrorRoutes());
log(`management API on ${api.url}`);

// SRV-8: a machine shutdown (SIGTERM, Ctrl-C) stops virtualization cleanly first.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    log(`${signal}: graceful shutdown`);
    server.shutdown().then(
      () => void exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${(error as Error).stack ?? String(error)}`);
        void exit(1);
      },
    );
  });
}
