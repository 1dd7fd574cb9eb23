// Host I/O of a path: single operations recorded in the disk's history (invoke, then ok, fail or
// unknown), and the two batches the runner uses: I/O where the model grants access, which must
// succeed (VD-1 for single disks, MIR-2 for mirrored ones), and I/O where it does not, which must
// fail within the I/O timeout, never return data, and never take effect (DS-7).

import type { HostDevice } from '../../adapters/types.js';
import { describeDecoded } from '../workload/block-codec.js';
import type { HistoryEntry } from '../workload/types.js';
import { closeQuietly } from './device-pool.js';
import type { DiskHistory } from './disk-history.js';
import { errorText, PathFailed } from './path-failed.js';
import type { PathRuntime } from './path-runtime.js';
import { timed, type Timed } from './timed.js';
import type { DataFinding } from './types.js';

/** Opens (or returns) the device an operation uses; a failure to open is the operation failing. */
export type Opener = () => Promise<HostDevice>;

/** One host operation, completed. */
export interface OpResult {
  readonly entry: HistoryEntry;
  readonly ok: boolean;
  /** No answer within the deadline. */
  readonly hung: boolean;
  readonly error?: string;
}

function complete(entry: HistoryEntry, r: Timed<string | null | undefined>, accessDisabled: boolean): OpResult {
  if (r.ok) {
    entry.completedAt = performance.now();
    entry.outcome = 'ok';
    if (r.value) entry.path = r.value;
    return { entry, ok: true, hung: false };
  }
  const error = errorText(r.error);
  entry.error = error;
  if (!r.hung) entry.completedAt = performance.now();
  const outcome = (r.error as { outcome?: unknown } | null)?.outcome;
  // DS-7: with access disabled no write may take effect, so a write there is recorded as failed
  // whatever the client could tell; its value showing up later is then a DS-7 violation.
  entry.outcome = accessDisabled ? 'fail' : !r.hung && outcome === 'fail' ? 'fail' : 'unknown';
  return { entry, ok: false, hung: r.hung, error };
}

/** Writes block `block` of `disk` through `open()` as `host`, with its self-describing value. */
export async function hostWrite(
  rt: PathRuntime,
  disk: DiskHistory,
  host: string,
  open: Opener,
  block: number,
  options: { fua?: boolean; accessDisabled?: boolean } = {},
): Promise<OpResult> {
  const fua = options.fua === true;
  const entry = disk.begin('write', { block, fua, host, step: rt.step, accessDisabled: options.accessDisabled });
  const data = disk.codec.encode(block, entry.id);
  rt.ioOps++;
  disk.busy.add(block);
  const r = await timed(rt.settings.opDeadlineMs, async () => {
    const d = await open();
    await d.write(block * disk.blockSize, data, { fua });
    return d.activePath;
  });
  disk.busy.delete(block);
  return complete(entry, r, options.accessDisabled === true);
}

/** Reads block `block` of `disk` and records what it decodes to. */
export async function hostRead(
  rt: PathRuntime,
  disk: DiskHistory,
  host: string,
  open: Opener,
  block: number,
  options: { accessDisabled?: boolean } = {},
): Promise<OpResult> {
  const entry = disk.begin('read', { block, host, step: rt.step, accessDisabled: options.accessDisabled });
  rt.ioOps++;
  let data: Buffer | undefined;
  const r = await timed(rt.settings.opDeadlineMs, async () => {
    const d = await open();
    data = await d.read(block * disk.blockSize, disk.blockSize);
    return d.activePath;
  });
  const result = complete(entry, r, false);
  if (result.ok && data) {
    const decoded = disk.codec.decode(data, block);
    if (decoded.kind === 'corrupt') entry.corrupt = { damage: decoded.damage, reason: decoded.reason };
    else entry.value = decoded.kind === 'zeros' ? 0 : decoded.writeId;
  }
  return result;
}

/** Flushes `disk` through `open()` as `host`. */
export async function hostFlush(
  rt: PathRuntime,
  disk: DiskHistory,
  host: string,
  open: Opener,
  options: { accessDisabled?: boolean } = {},
): Promise<OpResult> {
  const entry = disk.begin('flush', { host, step: rt.step, accessDisabled: options.accessDisabled });
  rt.ioOps++;
  const r = await timed(rt.settings.opDeadlineMs, async () => {
    const d = await open();
    await d.flush();
    return d.activePath;
  });
  return complete(entry, r, false);
}

/** What a recorded operation was, for messages: `h1's write of block 7 (FUA)`. */
export function opText(e: HistoryEntry): string {
  const what = e.kind === 'flush' ? 'flush' : `${e.kind} of block ${e.block}`;
  return `${e.host ?? 'the host'}'s ${what}${e.fua ? ' (FUA)' : ''}`;
}

/** A finding citing one operation. */
export function opFinding(disk: DiskHistory, op: OpResult, found: string, allowed: string): DataFinding {
  return { vdisk: disk.vdisk, block: op.entry.block ?? -1, found, allowed: [allowed], evidence: [op.entry] };
}

/** The rule promising host access where the model grants it: VD-1 for single disks, MIR-2 for mirrored ones. */
export function accessRule(rt: PathRuntime, vdisk: string): 'VD-1' | 'MIR-2' {
  return rt.topology.virtualDisks.find((v) => v.name === vdisk)?.kind === 'single' ? 'VD-1' : 'MIR-2';
}

/** Fails the path unless every operation succeeded (the model grants host access to the disk). */
export function requireOk(rt: PathRuntime, disk: DiskHistory, ops: readonly OpResult[]): void {
  const bad = ops.find((o) => !o.ok);
  if (!bad) return;
  const how = bad.hung ? `got no answer within ${rt.settings.opDeadlineMs} ms` : `failed: ${bad.error}`;
  throw new PathFailed({
    rule: accessRule(rt, disk.vdisk),
    step: rt.step,
    message: `the model grants hosts access to ${disk.vdisk} (readWrite), but ${opText(bad.entry)} ${how}`,
    data: [opFinding(disk, bad, bad.hung ? 'no answer' : `error: ${bad.error}`, 'success')],
  });
}

/** Fails the path unless every operation failed in time and no read returned data (host access is disabled, DS-7). */
export function requireDenied(rt: PathRuntime, disk: DiskHistory, ops: readonly OpResult[], why: string): void {
  for (const o of ops) {
    if (!o.ok && !o.hung) continue;
    const e = o.entry;
    const what = o.hung
      ? `got no answer within ${rt.settings.opDeadlineMs} ms instead of failing`
      : e.kind === 'read'
        ? `returned data (${e.corrupt ? `corrupt: ${e.corrupt.reason}` : e.value === 0 ? 'zeros' : `write ${e.value}`})`
        : 'was acknowledged';
    throw new PathFailed({
      rule: 'DS-7',
      step: rt.step,
      message: `host access to ${disk.vdisk} is disabled (${why}), but ${opText(e)} ${what}`,
      data: [opFinding(disk, o, o.hung ? 'no answer' : 'success', 'an error within the I/O timeout')],
    });
  }
}

/** Host I/O where the model grants access: `writes` writes (the last with FUA when `fua`), then reads of them and of used blocks; each must succeed. */
export async function accessibleIo(
  rt: PathRuntime,
  disk: DiskHistory,
  host: string,
  options: { writes: number; reads: number; fua: boolean },
): Promise<void> {
  const open = () => rt.devices.get(host, disk.vdisk);
  const written: number[] = [];
  const ops: OpResult[] = [];
  for (let i = 0; i < options.writes; i++) {
    const block = disk.freeBlock(rt.random);
    ops.push(await hostWrite(rt, disk, host, open, block, { fua: options.fua && i === options.writes - 1 }));
    written.push(block);
    requireOk(rt, disk, ops);
  }
  const toRead = [...written];
  while (toRead.length < options.reads) toRead.push(disk.usedBlock(rt.random));
  for (const block of toRead) {
    ops.push(await hostRead(rt, disk, host, open, block));
    requireOk(rt, disk, ops);
  }
}

/** Host I/O where the model denies access: on a fresh device, writes and a read (or a flush), all of which must fail in time (DS-7). */
export async function deniedIo(
  rt: PathRuntime,
  disk: DiskHistory,
  host: string,
  options: { writes: number; reads: number; flush?: boolean; why: string },
): Promise<void> {
  let device: Promise<HostDevice> | undefined;
  const open: Opener = () =>
    (device ??= rt.sut.device(host, disk.vdisk, {
      ioTimeoutMs: rt.settings.ioTimeoutMs,
      retryForMs: Math.min(rt.settings.retryForMs, 100),
    }));
  try {
    const ops = await Promise.all([
      ...Array.from({ length: options.writes }, () =>
        hostWrite(rt, disk, host, open, disk.freeBlock(rt.random), { accessDisabled: true, fua: false }),
      ),
      ...Array.from({ length: options.reads }, () => hostRead(rt, disk, host, open, disk.usedBlock(rt.random), { accessDisabled: true })),
      ...(options.flush ? [hostFlush(rt, disk, host, open, { accessDisabled: true })] : []),
    ]);
    requireDenied(rt, disk, ops, options.why);
  } finally {
    if (device) await closeQuietly(device);
  }
}

/** A decoded block for messages. */
export function describeBlock(disk: DiskHistory, data: Buffer, block: number): string {
  return describeDecoded(disk.codec.decode(data, block));
}
