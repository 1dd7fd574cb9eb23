// DS-6: after a recovery completes, the copies of a mirrored disk are byte-identical. Whenever the
// model says every copy is up to date (after a completed recovery, and at the end), the runner
// flushes the disk through a host and reads each copy's backend through the copy reader: the whole
// disk when it is small, else the blocks the path used plus a sample spread over the disk. The
// first differing blocks are reported decoded (which write each copy holds).

import type { CopyReader } from '../../adapters/types.js';
import { describeDecoded } from '../workload/block-codec.js';
import type { DiskHistory } from './disk-history.js';
import { hostFlush, requireOk } from './host-io.js';
import { errorText, PathFailed } from './path-failed.js';
import type { PathRuntime } from './path-runtime.js';
import { timed } from './timed.js';
import type { DataFinding } from './types.js';

/** Disks up to this size are compared whole. */
const WHOLE_DISK_BYTES = 8 * 1024 * 1024;
/** Blocks sampled across a larger disk, besides those the path used. */
const SAMPLE_BLOCKS = 64;
/** Blocks read per request. */
const CHUNK_BLOCKS = 64;
/** Differing blocks reported. */
const REPORTED = 5;

/** The blocks to compare: every block of a small disk; else those used, the history's range, and a spread sample. */
function blocksToCompare(disk: DiskHistory, size: number, random: () => number): number[] {
  const total = Math.floor(size / disk.blockSize);
  if (size <= WHOLE_DISK_BYTES) return Array.from({ length: total }, (_, b) => b);
  const set = new Set<number>(disk.used);
  for (let b = 0; b < disk.blocks; b++) set.add(b);
  for (let i = 0; i < SAMPLE_BLOCKS; i++) set.add(Math.floor(random() * total));
  return [...set].filter((b) => b < total).sort((a, b) => a - b);
}

/** Consecutive runs of blocks, at most CHUNK_BLOCKS long. */
function runsOf(blocks: readonly number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const b of blocks) {
    const last = runs.at(-1);
    if (last && last[0] + last[1] === b && last[1] < CHUNK_BLOCKS) last[1]++;
    else runs.push([b, 1]);
  }
  return runs;
}

/** Flushes `vdisk` through a host, then compares its copies block by block (DS-6). */
export async function compareCopies(rt: PathRuntime, vdisk: string): Promise<void> {
  const spec = rt.topology.virtualDisks.find((v) => v.name === vdisk);
  const disk = rt.histories.get(vdisk);
  if (!rt.capabilities.copyReader || spec?.kind !== 'mirrored' || !disk) return;
  const host = rt.topology.hosts[0]!;
  requireOk(rt, disk, [await hostFlush(rt, disk, host, () => rt.devices.get(host, vdisk))]);
  const [a, b] = spec.copies;
  const readers: CopyReader[] = [];
  const fail = (error: unknown) =>
    new PathFailed({
      rule: 'CF-2',
      code: 'SANSPEC_ADAPTER_FAILED',
      step: rt.step,
      message: `the copy readers of ${vdisk} failed: ${errorText(error)}`,
    });
  try {
    for (const server of [a, b]) {
      const r = await timed(rt.settings.opDeadlineMs, () => rt.sut.copyReader(vdisk, server));
      if (!r.ok) throw fail(r.error);
      readers.push(r.value);
    }
    const size = Math.min(readers[0]!.size, readers[1]!.size);
    const compared = blocksToCompare(disk, size, rt.random);
    const differing: number[] = [];
    const contents = new Map<number, [Buffer, Buffer]>();
    for (const [first, count] of runsOf(compared)) {
      const offset = first * disk.blockSize;
      const length = count * disk.blockSize;
      const r = await timed(rt.settings.opDeadlineMs, () => Promise.all(readers.map((x) => x.read(offset, length))));
      rt.ioOps += 2;
      if (!r.ok) throw fail(r.error);
      const [x, y] = r.value;
      for (let i = 0; i < count; i++) {
        const bx = x!.subarray(i * disk.blockSize, (i + 1) * disk.blockSize);
        const by = y!.subarray(i * disk.blockSize, (i + 1) * disk.blockSize);
        if (bx.equals(by)) continue;
        differing.push(first + i);
        if (contents.size < REPORTED) contents.set(first + i, [Buffer.from(bx), Buffer.from(by)]);
      }
    }
    if (readers[0]!.size !== readers[1]!.size || differing.length > 0) {
      const findings: DataFinding[] = [...contents].map(([block, [x, y]]) => ({
        vdisk,
        block,
        found: `${a}: ${describeDecoded(disk.codec.decode(x, block))}, ${b}: ${describeDecoded(disk.codec.decode(y, block))}`,
        allowed: ['identical copies'],
        evidence: disk.writesTo(block).slice(-4),
      }));
      const first = findings[0];
      const sizes = readers[0]!.size !== readers[1]!.size ? ` (sizes ${readers[0]!.size} and ${readers[1]!.size} bytes)` : '';
      throw new PathFailed({
        rule: 'DS-6',
        step: rt.step,
        message: `the model says both copies of ${vdisk} are up to date, but they differ in ${differing.length} of ${compared.length} blocks compared${sizes}${first ? `: first block ${first.block} (${first.found})` : ''}`,
        data: findings,
      });
    }
    rt.log(`step ${rt.step}: copies of ${vdisk} identical over ${compared.length} blocks`);
  } finally {
    await Promise.all(readers.map((r) => r.close().catch(() => undefined)));
  }
}
