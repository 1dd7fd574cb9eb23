// The data-safety checker: judges a recorded history and the blocks read back at the end against
// SPEC DS-1, DS-3, DS-4, DS-5 and DS-8.
//
// Time model. A write with outcome ok took effect somewhere between its invocation and its
// completion; a write with outcome unknown may take effect at any time after its invocation (its
// request may still be on its way), so it never "completed" for ordering purposes; a write with
// outcome fail never took effect. Write A precedes write B when A completed before B was invoked.
// A block may hold the value of write W unless W precedes some write that the block must reflect
// (the "floor"): the acknowledged writes (no crash, DS-1), the durable writes (crashes, DS-3), or,
// for a read during the run, the writes acknowledged before that read began (DS-4).

import { createBlockCodec, describeDecoded } from './block-codec.js';
import type { CheckOptions, DecodedBlock, History, HistoryEntry, Violation } from './types.js';

/** Writes to a block cited when no particular one is at fault (the latest ones). */
const EVIDENCE_WRITES = 8;

/** When a write's effect is settled: its completion if ok, never (infinity) if unknown. */
function settledAt(w: HistoryEntry): number {
  return w.outcome === 'ok' ? (w.completedAt ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
}

/** Writes that may have taken effect (ok or unknown). */
const mayHaveHappened = (w: HistoryEntry) => w.outcome === 'ok' || w.outcome === 'unknown';

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

/** Floor writes no other floor write follows: the "latest" ones, for evidence. */
function latestOf(floor: Floor): HistoryEntry[] {
  return floor.writes.filter((w) => !floor.writes.some((o) => o !== w && settledAt(w) < o.invokedAt));
}

/** Values allowed above a floor: write ids not preceding any floor write, and 0 (zeros) if the floor is empty. */
function allowedAbove(writes: readonly HistoryEntry[], floor: Floor): number[] {
  const allowed = writes.filter((w) => mayHaveHappened(w) && !(settledAt(w) < floor.latestStart)).map((w) => w.value ?? w.id);
  return floor.writes.length === 0 ? [0, ...allowed] : allowed;
}

/** The violation a value breaks outright (corrupt, phantom, failed write), whatever the floor. */
function phantom(
  block: number,
  found: DecodedBlock,
  writes: readonly HistoryEntry[],
  notAfter: number,
): { invariant: 'DS-5' | 'DS-8'; message: string; evidence: HistoryEntry[] } | null {
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

/**
 * DS-4, DS-5, DS-8 for one read during the run: it must return a whole value written to its
 * block, not older than the latest write acknowledged before the read began (unless forced).
 * `writes` are the writes to the read's block (more may follow; only their timestamps matter).
 */
export function checkRead(
  read: HistoryEntry,
  found: DecodedBlock,
  writes: readonly HistoryEntry[],
  options: Pick<CheckOptions, 'forced'> = {},
): Violation | null {
  const block = read.block ?? -1;
  const seenBy = { readId: read.id } as const;
  const completed = read.completedAt ?? Number.POSITIVE_INFINITY;
  const bad = phantom(block, found, writes, completed);
  if (bad) return { ...bad, block, seenBy, found, allowed: [], evidence: [read, ...bad.evidence] };
  const floor = floorOf(options.forced === true ? [] : writes.filter((w) => w.outcome === 'ok' && settledAt(w) < read.invokedAt));
  if (!staleAgainst(found, writes, floor)) return null;
  const allowed = allowedAbove(
    writes.filter((w) => w.invokedAt <= completed),
    floor,
  );
  const latest = latestOf(floor);
  return {
    invariant: 'DS-4',
    block,
    seenBy,
    found,
    allowed,
    message: `stale read: read ${read.id} of block ${block} returned ${describeDecoded(found)}, older than ${list(latest.map((w) => w.id))} acknowledged before the read began; allowed: ${list(allowed)}`,
    evidence: [read, ...foundEntry(found, writes), ...latest],
  };
}

/** Flushes acknowledged, with the earliest invocation after `t` first found. */
function flushAfter(flushes: readonly HistoryEntry[], t: number): HistoryEntry | undefined {
  let best: HistoryEntry | undefined;
  for (const f of flushes) if (f.invokedAt > t && (best === undefined || f.invokedAt < best.invokedAt)) best = f;
  return best;
}

/**
 * Judges a history and the final contents of its blocks. `finalRead(block)` returns the block as
 * read back after the run (see `readBlocks`). Returns every violation found: reads during the run
 * (DS-4, DS-5, DS-8), then the final value of each block (DS-1 with no crashes, DS-3 with crashes
 * allowed, DS-5, DS-8). With `forced`, a block may hold any value written to it, or zeros.
 */
export function checkHistory(history: History, finalRead: (block: number) => Buffer, options: CheckOptions): Violation[] {
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
    const v = checkRead(r, found, writesTo(r.block), options);
    if (v) violations.push(v);
  }

  // The final contents.
  let latestFlushStart = Number.NEGATIVE_INFINITY;
  for (const f of flushes) latestFlushStart = Math.max(latestFlushStart, f.invokedAt);
  const durable = (w: HistoryEntry) => w.outcome === 'ok' && (w.fua === true || settledAt(w) < latestFlushStart);
  for (let block = 0; block < history.blocks; block++) {
    const writes = writesTo(block);
    const found = codec.decode(finalRead(block), block);
    const bad = phantom(block, found, writes, Number.POSITIVE_INFINITY);
    if (bad) {
      violations.push({ ...bad, block, seenBy: 'final-read', found, allowed: [] });
      continue;
    }
    if (options.forced === true) continue;
    const crash = options.crashes === 'allowed';
    const floor = floorOf(writes.filter((w) => (crash ? durable(w) : w.outcome === 'ok')));
    if (!staleAgainst(found, writes, floor)) continue;
    const allowed = allowedAbove(writes, floor);
    const latest = latestOf(floor);
    const why = crash
      ? latest
          .map((w) =>
            w.fua === true
              ? `write ${w.id} (FUA, acknowledged)`
              : `write ${w.id} (acknowledged, then flush ${flushAfter(flushes, settledAt(w))?.id} acknowledged)`,
          )
          .join(', ')
      : list(latest.map((w) => w.id));
    const proof = crash
      ? latest.flatMap((w) => (w.fua === true ? [] : [flushAfter(flushes, settledAt(w))].filter((f): f is HistoryEntry => f !== undefined)))
      : [];
    violations.push({
      invariant: crash ? 'DS-3' : 'DS-1',
      block,
      seenBy: 'final-read',
      found,
      allowed,
      message: crash
        ? `lost durable write: block ${block} reads ${describeDecoded(found)}, older than the durable ${why}; allowed: ${list(allowed)}`
        : `lost acknowledged write: block ${block} reads ${describeDecoded(found)}, but ${why} was acknowledged with nothing crashing; allowed: ${list(allowed)}`,
      evidence: [...foundEntry(found, writes), ...latest, ...proof],
    });
  }
  return violations;
}
