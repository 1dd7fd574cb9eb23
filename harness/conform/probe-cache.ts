// Probes of the cache mode the model predicts (SRV-6, SRV-13), for adapters that can show it
// (Capabilities.cacheProbe): a write acknowledged by a server in write-through must already be on
// that server's backend, read through the copy reader right after the acknowledgement; a write
// acknowledged by a server in write-back must not be there yet (the adapter configures a destage
// delay long enough to tell the two apart). Only disks where a write leaves the model's
// prediction unchanged are written, so the probe never changes what the model predicts.

import type { GroupStatus } from '../../models/types.js';
import { describeBlock, hostWrite, requireOk } from './host-io.js';
import { agreedAccess, agreedCache, writeKeepsState } from './model-view.js';
import { errorText, PathFailed } from './path-failed.js';
import type { PathRuntime } from './path-runtime.js';
import { timed } from './timed.js';

/** One cache probe per running server whose effective cache mode every candidate agrees on. */
export async function probeCaches(rt: PathRuntime, status: GroupStatus): Promise<void> {
  if (!rt.capabilities.cacheProbe || !rt.capabilities.copyReader) return;
  for (const server of rt.topology.servers) {
    const cache = agreedCache(rt.predictor, rt.states, server.name);
    if (!cache) continue;
    // A disk this server serves with an up-to-date copy, which hosts may write without changing the prediction.
    const target = rt.topology.virtualDisks
      .filter((v) => (v.kind === 'single' ? v.server === server.name : v.copies.includes(server.name)))
      .sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'single' ? -1 : 1))
      .find((v) => {
        const copy = status.virtualDisks.find((x) => x.name === v.name)?.copies.find((c) => c.server === server.name);
        return (
          copy?.dataStatus === 'upToDate' &&
          agreedAccess(rt.predictor, rt.states, v.name) === 'readWrite' &&
          writeKeepsState(rt.predictor, rt.states, v.name) &&
          rt.histories.has(v.name)
        );
      });
    if (!target) continue;
    const disk = rt.histories.get(target.name)!;
    const host = rt.topology.hosts[0]!;
    const block = disk.freeBlock(rt.random);
    const op = await hostWrite(rt, disk, host, () => rt.devices.get(host, target.name), block);
    requireOk(rt, disk, [op]);
    const read = await timed(rt.settings.opDeadlineMs, async () => {
      const reader = await rt.sut.copyReader(target.name, server.name);
      try {
        return await reader.read(block * disk.blockSize, disk.blockSize);
      } finally {
        await reader.close();
      }
    });
    rt.ioOps++;
    if (!read.ok) {
      throw new PathFailed({
        rule: 'CF-2',
        code: 'SANSPEC_ADAPTER_FAILED',
        step: rt.step,
        message: `the copy reader of ${target.name} on ${server.name} failed: ${errorText(read.error)}`,
      });
    }
    const found = disk.codec.decode(read.value, block);
    const onBackend = found.kind === 'value' && found.writeId === op.entry.id;
    const writeThrough = cache.mode === 'writeThrough';
    if (onBackend === writeThrough) continue;
    const rule = cache.battery ? 'SRV-13' : 'SRV-6';
    const mode = `${cache.mode}${cache.battery ? ' (on battery)' : ''}`;
    throw new PathFailed({
      rule,
      step: rt.step,
      message: writeThrough
        ? `${server.name}'s effective cache mode is ${mode}, but write ${op.entry.id} to ${target.name} block ${block}, acknowledged, was not on its backend yet (it holds ${describeBlock(disk, read.value, block)})`
        : `${server.name}'s effective cache mode is ${mode}, but write ${op.entry.id} to ${target.name} block ${block} was already on its backend right after the acknowledgement: nothing was cached`,
      data: [
        {
          vdisk: target.name,
          block,
          found: `${server.name}'s backend: ${describeBlock(disk, read.value, block)}`,
          allowed: [writeThrough ? `write ${op.entry.id}` : `anything but write ${op.entry.id}`],
          evidence: [op.entry],
        },
      ],
    });
  }
}
