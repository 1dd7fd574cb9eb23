// The data-safety checker: judges a recorded history and the blocks read back at the end against
// SPEC DS-1, DS-3, DS-4, DS-5, DS-7 and DS-8.
//
// Time model. A write with outcome ok took effect somewhere between its invocation and its
// completion; a write with outcome unknown may take effect at any time after its invocation (its
// request may still be on its way), so it never "completed" for ordering purposes; a write with
// outcome fail never took effect. Write A precedes write B when A completed before B was invoked.
// A block may hold the value of write W unless W precedes some write that the block must reflect
// (the "floor"), and a block may be zeros only while its floor is empty.
//
// The floor at time T (the start of a read, or the end of the run for the final contents) holds
// every write acknowledged before T that survived every loss point between its acknowledgement
// and T. A loss point L is an action that happened at some instant between L.from and L.to:
//   - a crash (keeps 'durable'): a write survives it when it was durable by L.from: sent with FUA
//     and acknowledged before L.from, or acknowledged before the invocation of a flush that was
//     itself acknowledged before L.from (DS-3). Writes acknowledged before L.to are exposed to it
//     (the crash may have come after their acknowledgement); writes acknowledged after L.to are not.
//   - an older copy forced online (keeps 'nothing', MIR-11): no earlier write survives it, so
//     after it a block may hold anything written to it before, or zeros (DS-4, DS-5 `forced`).
// With no loss point every acknowledged write is in the floor (DS-1, DS-2; DS-4 for reads).
// `crashes: 'allowed'` is an untimed crash after every operation (a loss point at the end), and
// `forced` an untimed forced recovery that empties every floor. A stale value is a DS-3 violation
// when a floor write it lost had to survive a loss point (it was durable), else DS-1 (final
// contents) or DS-4 (a read). Whatever the floor, a block never holds a value nobody wrote there,
// nor a write that failed (DS-5), nor a write issued while host access was disabled (DS-7), nor
// half of one write (DS-8).

import { createBlockCodec, describeDecoded } from './block-codec.js';
import type { CheckOptions, DecodedBlock, History, HistoryEntry, LossPoint, Violation } from './types.js';

/** Writes to a block cited when no particular one is at fault (the latest ones). */
const EVIDENCE_WRITES = 8;

/** When a write's effect is settled: its completion if ok, never (infinity) if unknown. */
function settledAt(w: HistoryEntry): number {
  return w.outcome === 'ok' ? (w.completedAt ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
}

/** Writes that may have taken effect (ok or unknown). */
const mayHaveHappened = (w: HistoryEntry) => w.outcome === 'ok' || w.outcome === 'unknown';

/** The loss points of the options: the timed ones, then the untimed crash of `crashes: 'allowed'` (after everything). */
function lossPointsOf(options: CheckOptions): LossPoint[] {
  const points = [...(options.lossPoints ?? [])];
  if (options.crashes === 'allowed') points.push({ label: '', from: Number.MAX_VALUE, to: Number.MAX_VALUE, keeps: 'durable' });
  return points;
}

/** The earliest acknowledged flush invoked after `w` completed and completed before `t`: what made `w` durable by `t`. */
function durableFlush(w: HistoryEntry, flushes: readonly HistoryEntry[], t: number): HistoryEntry | undefined {
  const done = settledAt(w);
  let best: HistoryEntry | undefined;
  for (const f of flushes) {
    if (f.outcome !== 'ok' || !(f.invokedAt > done) || !((f.completedAt ?? Number.POSITIVE_INFINITY) < t)) continue;
    if (best === undefined || f.invokedAt < best.invokedAt) best = f;
  }
  return best;
}

/** Whether `w` was durable at time `t`: FUA and acknowledged before `t`, or covered by a flush acknowledged before `t`. */
function durableBy(w: HistoryEntry, t: number, flushes: readonly HistoryEntry[]): boolean {
  if (w.outcome !== 'ok') return false;
  if (w.fua === true) return settledAt(w) < t;
  return durableFlush(w, flushes, t) !== undefined;
}

/** Loss points `w` had to survive to be reflected at time `t`: those that began before `t` and ended after `w` was acknowledged. */
function crossed(w: HistoryEntry, t: number, points: readonly LossPoint[]): LossPoint[] {
  const done = settledAt(w);
  return points.filter((p) => p.to > done && p.from < t);
}

/** Whether a block must reflect `w` at time `t`: acknowledged before `t` and surviving every loss point since. */
function mustReflect(w: HistoryEntry, t: number, points: readonly LossPoint[], flushes: readonly HistoryEntry[]): boolean {
  if (w.outcome !== 'ok' || !(settledAt(w) < t)) return false;
  return crossed(w, t, points).every((p) => p.keeps === 'durable' && durableBy(w, p.from, flushes));
}

/** The writes the block must reflect and the latest invocation among them. */
interface Floor {
  readonly writes: readonly HistoryEntry[];
  /** Latest invocation time among `writes` (-infinity when empty). */
  readonly latestStart: number;
}

function floorOf(writes: readonly HistoryEntry[]): Floor {
  let latestStart = Number.NEGATIVE_INFINITY;
  for (const w of writes) latestStart = Math.max(latestStart, w.invokedAt);
  return { writes, latestStart };
}

/** The floor at time `t`: empty when an untimed forced recovery applies. */
function floorAt(
  writes: readonly HistoryEntry[],
  t: number,
  points: readonly LossPoint[],
  flushes: readonly HistoryEntry[],
  forced: boolean,
): Floor {
  return floorOf(forced ? [] : writes.filter((w) => mustReflect(w, t, points, flushes)));
}

/** Floor writes no other floor write follows: the "latest" ones, for evidence. */
function latestOf(floor: Floor): HistoryEntry[] {
  return floor.writes.filter((w) => !floor.writes.some((o) => o !== w && settledAt(w) < o.invokedAt));
}

/** Values allowed above a floor: write ids not preceding any floor write, and 0 (zeros) if the floor is empty. */
function allowedAbove(writes: readonly HistoryEntry[], floor: Floor): number[] {
  const allowed = writes.filter((w) => mayHaveHappened(w) && !(settledAt(w) < floor.latestStart)).map((w) => w.value ?? w.id);
  return floor.writes.length === 0 ? [0, ...allowed] : allowed;
}

/** The violation a value breaks outright (corrupt, phantom, failed or access-disabled write), whatever the floor. */
function phantom(
  block: number,
  found: DecodedBlock,
  writes: readonly HistoryEntry[],
  notAfter: number,
): { invariant: 'DS-5' | 'DS-7' | 'DS-8'; message: string; evidence: HistoryEntry[] } | null {
  if (found.kind === 'zeros') return null;
  if (found.kind === 'corrupt') {
    const torn = found.damage === 'torn';
    return {
      invariant: torn ? 'DS-8' : 'DS-5',
      message: torn
        ? `block ${block} holds part of one write and part of another: ${found.reason}`
        : `block ${block} holds data no host wrote there: ${found.reason}`,
      evidence: writes.slice(-EVIDENCE_WRITES),
    };
  }
  const w = writes.find((x) => (x.value ?? x.id) === found.writeId);
  if (w === undefined)
    return {
      invariant: 'DS-5',
      message: `block ${block} holds write ${found.writeId}, which no host issued to this block`,
      evidence: writes.slice(-EVIDENCE_WRITES),
    };
  if (w.outcome === 'fail' && w.accessDisabled === true) {
    return {
      invariant: 'DS-7',
      message: `block ${block} holds write ${w.id}, which was issued while host access to the disk was disabled and must not have taken effect`,
      evidence: [w],
    };
  }
  if (w.outcome === 'fail') {
    return {
      invariant: 'DS-5',
      message: `block ${block} holds write ${w.id}, which was reported failed (outcome fail promises it never took effect)`,
      evidence: [w],
    };
  }
  if (w.invokedAt > notAfter) {
    return {
      invariant: 'DS-5',
      message: `block ${block} returned write ${w.id}, which was invoked only after the read had completed`,
      evidence: [w],
    };
  }
  return null;
}

/** Whether the value found is older than the floor allows (zeros above a non-empty floor, or a write preceding a floor write). */
function staleAgainst(found: DecodedBlock, writes: readonly HistoryEntry[], floor: Floor): boolean {
  if (found.kind === 'zeros') return floor.writes.length > 0;
  if (found.kind !== 'value') return false;
  const w = writes.find((x) => (x.value ?? x.id) === found.writeId);
  return w !== undefined && settledAt(w) < floor.latestStart;
}

function foundEntry(found: DecodedBlock, writes: readonly HistoryEntry[]): HistoryEntry[] {
  if (found.kind !== 'value') return [];
  return writes.filter((x) => (x.value ?? x.id) === found.writeId);
}

const list = (ids: readonly number[]) => (ids.length === 0 ? 'nothing' : ids.map((id) => (id === 0 ? 'zeros' : `write ${id}`)).join(', '));

/** Why the floor's latest writes had to be there: durability across loss points, with the flushes as proof. */
function explainFloor(
  latest: readonly HistoryEntry[],
  t: number,
  points: readonly LossPoint[],
  flushes: readonly HistoryEntry[],
): { durable: boolean; why: string; proof: HistoryEntry[] } {
  const proof: HistoryEntry[] = [];
  let durable = false;
  const parts = latest.map((w) => {
    const losses = crossed(w, t, points);
    if (losses.length === 0) return `write ${w.id}`;
    durable = true;
    const first = Math.min(...losses.map((p) => p.from));
    const labels = losses.map((p) => p.label).filter((l) => l !== '');
    const across = labels.length > 0 ? ` across ${labels.join(', ')}` : '';
    if (w.fua === true) return `write ${w.id} (FUA, acknowledged)${across}`;
    const f = durableFlush(w, flushes, first);
    if (f) proof.push(f);
    return `write ${w.id} (acknowledged, then flush ${f?.id} acknowledged)${across}`;
  });
  return { durable, why: parts.join(', '), proof };
}

/** Options of `checkRead`. */
export interface CheckReadOptions extends Pick<CheckOptions, 'forced' | 'lossPoints'> {
  /** The history's flushes (acknowledged ones make writes durable across `lossPoints`). */
  readonly flushes?: readonly HistoryEntry[];
}

/**
 * DS-3, DS-4, DS-5, DS-7, DS-8 for one read during the run: it must return a whole value written
 * to its block, not older than the latest write acknowledged before the read began that survived
 * every loss point since (unless forced). `writes` are the writes to the read's block (more may
 * follow; only their timestamps matter).
 */
export function checkRead(
  read: HistoryEntry,
  found: DecodedBlock,
  writes: readonly HistoryEntry[],
  options: CheckReadOptions = {},
): Violation | null {
  const block = read.block ?? -1;
  const seenBy = { readId: read.id } as const;
  const completed = read.completedAt ?? Number.POSITIVE_INFINITY;
  const bad = phantom(block, found, writes, completed);
  if (bad) return { ...bad, block, seenBy, found, allowed: [], evidence: [read, ...bad.evidence] };
  const points = options.lossPoints ?? [];
  const flushes = options.flushes ?? [];
  const floor = floorAt(writes, read.invokedAt, points, flushes, options.forced === true);
  if (!staleAgainst(found, writes, floor)) return null;
  const allowed = allowedAbove(
    writes.filter((w) => w.invokedAt <= completed),
    floor,
  );
  const latest = latestOf(floor);
  const { durable, why, proof } = explainFloor(latest, read.invokedAt, points, flushes);
  return {
    invariant: durable ? 'DS-3' : 'DS-4',
    block,
    seenBy,
    found,
    allowed,
    message: durable
      ? `lost durable write: read ${read.id} of block ${block} returned ${describeDecoded(found)}, older than the durable ${why}; allowed: ${list(allowed)}`
      : `stale read: read ${read.id} of block ${block} returned ${describeDecoded(found)}, older than ${why} acknowledged before the read began; allowed: ${list(allowed)}`,
    evidence: [read, ...foundEntry(found, writes), ...latest, ...proof],
  };
}

/**
 * Judges a history and the final contents of its blocks. `finalRead(block)` returns the block as
 * read back after the run (see `readBlocks`). Returns every violation found: reads during the run
 * (DS-3, DS-4, DS-5, DS-7, DS-8), then the final value of each block (DS-1, DS-3 across loss
 * points, DS-5, DS-7, DS-8). With `forced`, a block may hold any value written to it, or zeros.
 */
export function checkHistory(history: History, finalRead: (block: number) => Buffer, options: CheckOptions = {}): Violation[] {
  const codec = createBlockCodec({ disk: history.disk, blockSize: history.blockSize });
  const writesByBlock = new Map<number, HistoryEntry[]>();
  const flushes: HistoryEntry[] = [];
  for (const e of history.entries) {
    if (e.kind === 'write' && e.block !== undefined) {
      const list = writesByBlock.get(e.block) ?? [];
      list.push(e);
      writesByBlock.set(e.block, list);
    } else if (e.kind === 'flush' && e.outcome === 'ok') {
      flushes.push(e);
    }
  }
  const writesTo = (block: number) => writesByBlock.get(block) ?? [];
  const points = lossPointsOf(options);
  const forced = options.forced === true;
  const violations: Violation[] = [];

  // Reads during the run.
  for (const r of history.entries) {
    if (r.kind !== 'read' || r.outcome !== 'ok' || r.block === undefined) continue;
    const found: DecodedBlock =
      r.corrupt !== undefined
        ? { kind: 'corrupt', ...r.corrupt }
        : r.value === 0 || r.value === undefined
          ? { kind: 'zeros' }
          : { kind: 'value', block: r.block, writeId: r.value };
    const v = checkRead(r, found, writesTo(r.block), { forced, lossPoints: points, flushes });
    if (v) violations.push(v);
  }

  // The final contents.
  const end = Number.POSITIVE_INFINITY;
  for (let block = 0; block < history.blocks; block++) {
    const writes = writesTo(block);
    const found = codec.decode(finalRead(block), block);
    const bad = phantom(block, found, writes, end);
    if (bad) {
      violations.push({ ...bad, block, seenBy: 'final-read', found, allowed: [] });
      continue;
    }
    if (forced) continue;
    const floor = floorAt(writes, end, points, flushes, false);
    if (!staleAgainst(found, writes, floor)) continue;
    const allowed = allowedAbove(writes, floor);
    const latest = latestOf(floor);
    const { durable, why, proof } = explainFloor(latest, end, points, flushes);
    const since = points.length === 0 ? 'with nothing crashing' : 'and no crash or forced recovery since could lose it';
    violations.push({
      invariant: durable ? 'DS-3' : 'DS-1',
      block,
      seenBy: 'final-read',
      found,
      allowed,
      message: durable
        ? `lost durable write: block ${block} reads ${describeDecoded(found)}, older than the durable ${why}; allowed: ${list(allowed)}`
        : `lost acknowledged write: block ${block} reads ${describeDecoded(found)}, but ${why} was acknowledged ${since}; allowed: ${list(allowed)}`,
      evidence: [...foundEntry(found, writes), ...latest, ...proof],
    });
  }
  return violations;
}
