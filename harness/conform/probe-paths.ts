// Probes of what the status claims about paths (PTH-3, VD-1): a read over the single path from a
// host to a server must be served when the path reports Active (Optimized or not) for the disk,
// and must fail within the I/O timeout when it reports unavailable, as a copy in recovery does.
// Never trusting the report alone: a server that says "unavailable" but answers hosts, or "active"
// but refuses them, is caught here. Reads that are served go into the disk's history, so the
// bytes each path returns are judged too (a stale copy answering is a DS-4 violation).

import type { GroupStatus } from '../../models/types.js';
import { closeQuietly } from './device-pool.js';
import { hostRead, opFinding, type Opener } from './host-io.js';
import { agreedAlua } from './model-view.js';
import { PathFailed } from './path-failed.js';
import type { PathRuntime } from './path-runtime.js';
import type { HostDevice } from '../../adapters/types.js';

/** Reads once over every path and disk the status reports an ALUA state for, concurrently; fails on the first probe that contradicts it. */
export async function probePaths(rt: PathRuntime, status: GroupStatus): Promise<void> {
  const probes: Promise<void>[] = [];
  for (const p of status.paths) {
    for (const [vdisk, reported] of Object.entries(p.alua)) {
      const expected = agreedAlua(rt.predictor, rt.states, p.host, p.server, vdisk);
      const disk = rt.histories.get(vdisk);
      // Candidates that disagree (a recovery that may complete any moment) leave nothing to judge.
      if (expected === null || expected !== reported || !disk) continue;
      probes.push(
        (async () => {
          let device: Promise<HostDevice> | undefined;
          const open: Opener = () =>
            (device ??= rt.sut.pathDevice(p.host, p.server, vdisk, { ioTimeoutMs: rt.settings.ioTimeoutMs, retryForMs: 1 }));
          try {
            const op = await hostRead(rt, disk, p.host, open, disk.usedBlock(rt.random));
            const active = reported !== 'unavailable';
            if (active === op.ok && !op.hung) return;
            const single = rt.topology.virtualDisks.find((v) => v.name === vdisk)?.kind === 'single';
            const copy = status.virtualDisks.find((v) => v.name === vdisk)?.copies.find((c) => c.server === p.server);
            const what = op.hung ? `got no answer within ${rt.settings.opDeadlineMs} ms` : op.ok ? 'was served' : `failed: ${op.error}`;
            throw new PathFailed({
              rule: single ? 'VD-1' : 'PTH-3',
              step: rt.step,
              message: `the status reports path ${p.host}->${p.server} ${reported} for ${vdisk}${copy ? ` (copy ${copy.dataStatus})` : ''}, but a read over that path alone ${what}`,
              data: [
                opFinding(disk, op, op.ok ? 'served' : (op.error ?? 'no answer'), active ? 'served' : 'an error within the I/O timeout'),
              ],
            });
          } finally {
            if (device) await closeQuietly(device);
          }
        })(),
      );
    }
  }
  const results = await Promise.allSettled(probes);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
