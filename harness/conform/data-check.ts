// The data-safety check at the end of a path: every disk's blocks are read back through a host and
// the checker judges the path's whole history of that disk (every host, every step) against them,
// with the loss points the model predicted (DS-1..DS-8, see harness/workload/check-history.ts).
// The failure cites the final read's first violation when there is one (the loss stands at the
// end), else the first read during the run that broke a rule.

import { checkHistory } from '../workload/check-history.js';
import { describeDecoded } from '../workload/block-codec.js';
import type { Violation } from '../workload/types.js';
import type { DiskHistory } from './disk-history.js';
import { accessRule } from './host-io.js';
import { agreedAccess } from './model-view.js';
import { errorText, PathFailed } from './path-failed.js';
import type { PathRuntime } from './path-runtime.js';
import { timed } from './timed.js';
import type { DataFinding } from './types.js';

/** Blocks read back per request. */
const CHUNK_BLOCKS = 64;
/** Findings kept in a failure. */
const FINDINGS = 12;

/** Reads blocks 0..blocks-1 of the disk through a host; fails the path if the model grants access and the read fails. */
async function readBack(rt: PathRuntime, disk: DiskHistory): Promise<Buffer[]> {
  const host = rt.topology.hosts[0]!;
  const out: Buffer[] = [];
  for (let first = 0; first < disk.blocks; first += CHUNK_BLOCKS) {
    const count = Math.min(CHUNK_BLOCKS, disk.blocks - first);
    const r = await timed(rt.settings.opDeadlineMs, async () => {
      const device = await rt.devices.get(host, disk.vdisk);
      return device.read(first * disk.blockSize, count * disk.blockSize);
    });
    rt.ioOps++;
    if (!r.ok) {
      throw new PathFailed({
        rule: accessRule(rt, disk.vdisk),
        step: rt.step,
        message: `the model grants hosts access to ${disk.vdisk} at the end of the path, but ${host}'s final read of blocks ${first}..${first + count - 1} ${r.hung ? 'got no answer' : `failed: ${errorText(r.error)}`}`,
      });
    }
    for (let i = 0; i < count; i++) out.push(r.value.subarray(i * disk.blockSize, (i + 1) * disk.blockSize));
  }
  return out;
}

/** A violation as a finding of the report. */
function finding(disk: DiskHistory, v: Violation): DataFinding {
  const seen = v.seenBy === 'final-read' ? 'final read' : `read ${v.seenBy.readId}`;
  return {
    vdisk: disk.vdisk,
    block: v.block,
    found: `${describeDecoded(v.found)} (${seen}, ${v.invariant})`,
    allowed: v.allowed.map((id) => (id === 0 ? 'zeros' : `write ${id}`)),
    evidence: v.evidence,
  };
}

/** Reads back every disk the model grants access to and judges every disk's history; fails the path on the first violation. */
export async function finalDataCheck(rt: PathRuntime): Promise<void> {
  const found: Array<{ disk: DiskHistory; v: Violation }> = [];
  for (const disk of rt.histories.values()) {
    const readable = agreedAccess(rt.predictor, rt.states, disk.vdisk) === 'readWrite';
    const final = readable ? await readBack(rt, disk) : null;
    if (!readable) rt.log(`final read-back of ${disk.vdisk} skipped: host access is disabled at the end of the path`);
    const history = final ? disk.history() : { ...disk.history(), blocks: 0 };
    const violations = checkHistory(history, (b) => final![b]!, { lossPoints: disk.lossPoints });
    for (const v of violations) found.push({ disk, v });
  }
  if (found.length === 0) return;
  const primary = found.find((f) => f.v.seenBy === 'final-read') ?? found[0]!;
  const { disk, v } = primary;
  const mirrored = rt.topology.virtualDisks.find((x) => x.name === disk.vdisk)?.kind === 'mirrored';
  // DS-2: the acknowledged write was lost on a mirrored disk that a partner kept serving through a crash.
  const rule = v.invariant === 'DS-1' && mirrored && disk.survivedCrashes.length > 0 ? 'DS-2' : v.invariant;
  const readStep =
    v.seenBy === 'final-read'
      ? rt.step
      : (disk.entries.find((e) => v.seenBy !== 'final-read' && e.id === v.seenBy.readId)?.step ?? rt.step);
  const after = rule === 'DS-2' ? ` (after ${disk.survivedCrashes.join(', ')}, which a partner survived)` : '';
  const more = found.length > 1 ? ` (${found.length - 1} more violation(s) below)` : '';
  throw new PathFailed({
    rule,
    step: readStep,
    message: `${disk.vdisk}: ${v.message}${after}${more}`,
    data: [primary, ...found.filter((f) => f !== primary)].slice(0, FINDINGS).map((f) => finding(f.disk, f.v)),
  });
}
