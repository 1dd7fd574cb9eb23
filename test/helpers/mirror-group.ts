// Helpers for mirrored-disk integration tests: waiting for statuses, data patterns, convergence.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GroupStatus } from '../../contracts/status.js';
import type { EngineGroup } from './engine-group.js';

/** A recognisable 4 KiB-aligned pattern for (seed, length). */
export function pattern(seed: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(b, i);
  return b;
}

/** A short description of the mirrored disk's status, for failure messages and assertions. */
export function mirrorLine(s: GroupStatus, vdisk = 'm1'): string {
  const v = s.virtualDisks.find((x) => x.name === vdisk)!;
  const alua = s.paths
    .filter((p) => p.host === s.paths[0]!.host)
    .map((p) => `${p.server}:${p.alua[vdisk]}`)
    .join(',');
  return `${v.status}/${v.hostAccess} ${v.copies.map((c) => `${c.server}=${c.dataStatus}`).join(' ')} [${alua}]`;
}

/** Waits until the status satisfies `ok` (deadline), returning it; the error shows the last status. */
export async function waitStatus(g: EngineGroup, ok: (s: GroupStatus) => boolean, what: string, timeoutMs = 30_000): Promise<GroupStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: GroupStatus | undefined;
  for (;;) {
    last = await g.status();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${mirrorLine(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The mirrored disk is online: both copies up to date, host access through both servers. */
export const online =
  (vdisk = 'm1') =>
  (s: GroupStatus) =>
    s.virtualDisks.find((v) => v.name === vdisk)!.status === 'online';

/** Status predicate on one copy's data status. */
export const copyIs =
  (server: string, ...statuses: string[]) =>
  (s: GroupStatus) =>
    statuses.includes(s.virtualDisks.find((v) => v.name === 'm1')!.copies.find((c) => c.server === server)!.dataStatus);

/** SHA-256 of a copy's backing file. */
export function backendHash(g: EngineGroup, vdisk: string, server: string): string {
  return createHash('sha256')
    .update(readFileSync(g.backingFile(vdisk, server)))
    .digest('hex');
}

/**
 * DS-6: stops both servers gracefully (their caches drain to the backends) and checks that the
 * two copies' backends are byte-identical; then starts them again.
 */
export async function expectConverged(g: EngineGroup, vdisk = 'm1'): Promise<void> {
  await g.server('stop', 's1');
  await g.server('stop', 's2');
  const a = backendHash(g, vdisk, 's1');
  const b = backendHash(g, vdisk, 's2');
  if (a !== b) throw new Error(`DS-6: copies of ${vdisk} differ after recovery: s1 ${a.slice(0, 16)} vs s2 ${b.slice(0, 16)}`);
  await g.server('start', 's1');
  await g.server('start', 's2');
}

/** Details of a server's mirrored volume (role, record, recovery progress). */
export async function volumeDetails(g: EngineGroup, server: string, vdisk = 'm1') {
  const r = await g.report();
  const mirror = r.servers[server]?.details?.mirror as
    | {
        volumes: Array<{
          vdisk: string;
          role: string;
          changedRegions: number;
          recovery: { kind: string; done: number; total: number } | null;
          record: { gen: string; forced: unknown };
        }>;
      }
    | undefined;
  return mirror?.volumes.find((v) => v.vdisk === vdisk);
}
