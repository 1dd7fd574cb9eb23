import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GroupUpOutput } from '../../contracts/cli-output.js';
import type { GroupStatus } from '../../contracts/status.js';
import { checkLoopSupport, listLoopDevices } from '../../engine/storage/index.js';
import type { GroupReport } from '../../engine/supervisor/supervisor.js';
import { callJson, ApiError } from '../../engine/util/json-http.js';
import { connect, type NbdClient } from '../../harness/host/index.js';
import { runTool, type ToolResult } from './debian-tools.js';

/** What `sanspec ARGS` did (the one result type of a process a test runs). */
export type CliResult = ToolResult;

/** Runs `sanspec ARGS` (bin/sanspec.mjs) and returns its exit code and output. */
export function sanspec(args: string[], timeoutMs = 180_000): Promise<CliResult> {
  return runTool(process.execPath, ['bin/sanspec.mjs', ...args], timeoutMs);
}

/** Why the loop backend cannot be tested here, or null when it can. */
export async function loopUnavailable(): Promise<string | null> {
  const s = await checkLoopSupport();
  return s.ok ? null : s.reason;
}

export interface EngineGroup {
  dir: string;
  /** What `group up --json` printed. */
  up: GroupUpOutput;
  /** Supervisor API base URL. */
  url: string;
  /** The group status (CF-2). */
  status(): Promise<GroupStatus>;
  /** Status with operator details. */
  report(): Promise<GroupReport>;
  /** POST to the supervisor; resolves, or rejects with ApiError carrying the code. */
  post(path: string, body?: unknown): Promise<unknown>;
  /** A server command (stop, start, crash, power-on, shutdown, restart, cache, ups). */
  server(action: string, name: string, body?: unknown): Promise<unknown>;
  /** The refusal code of a command that must be refused. */
  refused(action: string, name: string, body?: unknown): Promise<string>;
  /** NBD URI of a disk on a server's first FE port. */
  uri(vdisk: string, server: string): string;
  /** Connects an NBD client; closed by `down`. */
  connect(vdisk: string, server: string, timeoutMs?: number): Promise<NbdClient>;
  /** Path of a copy's backing file. */
  backingFile(vdisk: string, server: string): string;
  /** Runs `sanspec ARGS --dir DIR`. */
  cli(...args: string[]): Promise<CliResult>;
  /** `sanspec group down`, closes clients, removes the directory; checks nothing is left behind. */
  down(): Promise<void>;
}

/** Brings a group up through the CLI. `config` is a group configuration (default: SPEC.md's). */
export async function startGroup(options: { config?: unknown; backend?: 'file' | 'loop' } = {}): Promise<EngineGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'sanspec-group-'));
  const clients: NbdClient[] = [];
  const args = ['group', 'up', '--dir', dir, '--json'];
  if (options.backend) args.push('--backend', options.backend);
  if (options.config) {
    const file = join(dir, 'config.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify(options.config));
    args.push('--config', file);
  }
  const up = await sanspec(args);
  if (up.code !== 0) {
    await sanspec(['group', 'down', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`group up failed (${up.code}): ${up.stderr}${up.stdout}`);
  }
  const summary = JSON.parse(up.stdout) as GroupUpOutput;
  const ports = JSON.parse(readFileSync(join(dir, 'ports.json'), 'utf8')) as Record<string, { ports: Record<string, number> }>;
  const g: EngineGroup = {
    dir,
    up: summary,
    url: summary.supervisorUrl,
    status: async () => (await callJson<GroupReport>(`${summary.supervisorUrl}/status`, 'GET')).status,
    report: () => callJson<GroupReport>(`${summary.supervisorUrl}/status`, 'GET'),
    post: (path, body = {}) => callJson(`${summary.supervisorUrl}${path}`, 'POST', body, 300_000),
    server: (action, name, body = {}) => g.post(`/servers/${name}/${action}`, body),
    refused: async (action, name, body = {}) => {
      try {
        await g.server(action, name, body);
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) return error.code;
        throw error;
      }
      throw new Error(`${action} ${name} was accepted but should have been refused`);
    },
    uri: (vdisk, server) => `nbd://127.0.0.1:${ports[server]!.ports.fe1}/${vdisk}`,
    connect: async (vdisk, server, timeoutMs = 10_000) => {
      const c = await connect({ uri: g.uri(vdisk, server), timeoutMs });
      clients.push(c);
      return c;
    },
    backingFile: (vdisk, server) => join(dir, 'servers', server, 'disks', `${vdisk}.img`),
    cli: (...a) => sanspec([...a, '--dir', dir]),
    down: async () => {
      for (const c of clients) c.destroy();
      const r = await sanspec(['group', 'down', '--dir', dir]);
      if (r.code !== 0) throw new Error(`group down failed: ${r.stderr}`);
      const leftovers: string[] = [];
      for (const name of ['s1', 's2', 's3']) {
        const pidFile = join(dir, 'servers', name, 'pid');
        if (existsSync(pidFile)) leftovers.push(`pid file of ${name}`);
      }
      if ((await checkLoopSupport()).ok) leftovers.push(...(await listLoopDevices(dir)).map((d) => `loop device ${d.device}`));
      rmSync(dir, { recursive: true, force: true });
      if (leftovers.length > 0) throw new Error(`group down left behind: ${leftovers.join(', ')}`);
    },
  };
  return g;
}
