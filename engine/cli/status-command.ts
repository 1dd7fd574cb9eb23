// `sanspec status`: the group status (CF-2), for people or as JSON.
import { Type } from '@sinclair/typebox';
import { defineCommand } from '../../contracts/cli.js';
import { StatusDetailsOutputSchema, StatusOutputSchema } from '../../contracts/cli-output.js';
import type { GroupStatus } from '../../contracts/status.js';
import { loadGroupApi } from './options.js';
import type { GroupReport } from '../supervisor/supervisor.js';
import { dirOption } from './options.js';

/** The status for people: one line per server, virtual disk, path, port and mirror link. */
export function formatStatus(s: GroupStatus): string {
  const lines = ['servers'];
  for (const x of s.servers) {
    const pending = x.cache.pending ? ` (pending ${x.cache.pending})` : '';
    lines.push(
      `  ${x.name}  power ${x.power}  ${x.state}  seen as ${x.seenAs}  cache ${x.cache.applied}${pending} effective ${x.cache.effective}  ups ${x.ups}`,
    );
  }
  lines.push('virtual disks');
  for (const v of s.virtualDisks) {
    const copies = v.copies.map((c) => `${c.server}=${c.dataStatus}${c.preferred && v.kind === 'mirrored' ? '(preferred)' : ''}`);
    lines.push(`  ${v.name}  ${v.kind}  ${v.status}  host access ${v.hostAccess}  ${copies.join(' ')}`);
  }
  lines.push('paths');
  for (const p of s.paths) {
    const alua = Object.entries(p.alua).map(([v, a]) => `${v}:${a}`);
    lines.push(`  ${p.host} -> ${p.server}/${p.port}  ${p.online ? 'online' : 'offline'}  ${alua.join(' ')}`);
  }
  lines.push('ports');
  for (const p of s.ports) lines.push(`  ${p.server}/${p.name}  ${p.mode}  ${p.enabled ? 'enabled' : 'disabled'}`);
  if (s.mirrorLinks.length > 0)
    lines.push('mirror links', ...s.mirrorLinks.map((l) => `  ${l.servers.join('-')}  ${l.up ? 'up' : 'down'}`));
  return lines.join('\n');
}

export const statusCommand = defineCommand({
  name: 'status',
  summary: 'print the status of the group: servers, virtual disks, paths, ports, mirror links (CF-2)',
  description:
    'Prints the status of the group (CF-2): the one shape every system under test reports. When the supervisor is gone ' +
    'but server processes of the group still run, it says which (ENGINE_NOT_RESPONDING, exit 1): end them with group down.',
  options: [dirOption, { name: 'details', description: 'also what each running server reports for operators (exports, caches, links)' }],
  examples: [
    { command: 'sanspec status', description: 'the status of the group in ./.sanspec' },
    { command: 'sanspec status --json | jq .virtualDisks', description: 'the CF-2 status as JSON (contracts/status.ts)' },
    { command: 'sanspec status --details --json', description: 'the status with each server’s details' },
  ],
  output: Type.Union([StatusOutputSchema, StatusDetailsOutputSchema]),
  async action({ options }, io) {
    const { callSupervisor } = await loadGroupApi();
    const report = await callSupervisor<GroupReport>(options.dir, 'GET', '/status', undefined, 30_000);
    if (options.details) io.result(report, JSON.stringify(report, null, 2));
    else io.result(report.status, formatStatus(report.status));
    return 0;
  },
});
