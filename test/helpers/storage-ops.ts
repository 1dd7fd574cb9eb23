// Random block-device requests for the cache property tests: generators, a filter that keeps a
// batch's requests from overlapping a modifying one, and a runner that checks them against a
// ReferenceDisk.

import fc from 'fast-check';
import type { BlockDevice } from '../../engine/types.js';
import { firstDifference, pattern } from './storage-fixtures.js';
import type { ReferenceDisk } from './storage-reference-model.js';

const BS = 4096;

/** One host request. */
export type Op =
  | { kind: 'write'; offset: number; length: number; fua: boolean; seed: number }
  | { kind: 'read'; offset: number; length: number }
  | { kind: 'flush' }
  | { kind: 'trim'; offset: number; length: number; fua: boolean }
  | { kind: 'zero'; offset: number; length: number; fua: boolean };

/** Requests on a disk of `diskBytes`: aligned and unaligned, from 1 byte to 24 blocks. */
export function opArbitrary(diskBytes: number): fc.Arbitrary<Op> {
  const range = fc
    .tuple(
      fc.oneof(
        fc.nat({ max: diskBytes / BS - 1 }).map((b) => b * BS),
        fc.nat({ max: diskBytes - 1 }),
      ),
      fc.oneof(
        fc.integer({ min: 1, max: 3 * BS }),
        fc.integer({ min: 1, max: 24 * BS }).map((n) => Math.ceil(n / BS) * BS),
      ),
    )
    .map(([offset, length]) => ({ offset, length: Math.min(length, diskBytes - offset) }));
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .record({ r: range, fua: fc.boolean(), seed: fc.nat() })
        .map(({ r, fua, seed }) => ({ kind: 'write' as const, ...r, fua, seed })),
    },
    { weight: 3, arbitrary: range.map((r) => ({ kind: 'read' as const, ...r })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
    { weight: 1, arbitrary: fc.record({ r: range, fua: fc.boolean() }).map(({ r, fua }) => ({ kind: 'trim' as const, ...r, fua })) },
    { weight: 1, arbitrary: fc.record({ r: range, fua: fc.boolean() }).map(({ r, fua }) => ({ kind: 'zero' as const, ...r, fua })) },
  );
}

/** Blocks an op touches, or null for a flush. */
function blocksOf(op: Op): [number, number] | null {
  if (op.kind === 'flush' || op.length === 0) return null;
  return [Math.floor(op.offset / BS), Math.floor((op.offset + op.length - 1) / BS)];
}

/** Keeps the ops of a batch that do not overlap a modifying op of the same batch, so every read has one expected result. */
export function disjoint(batch: readonly Op[]): Op[] {
  const kept: Op[] = [];
  for (const op of batch) {
    const mine = blocksOf(op);
    const clash =
      mine !== null &&
      kept.some((other) => {
        const theirs = blocksOf(other);
        if (theirs === null || (op.kind === 'read' && other.kind === 'read')) return false;
        return mine[0] <= theirs[1] && theirs[0] <= mine[1];
      });
    if (!clash) kept.push(op);
  }
  return kept;
}

/** A readable label for failure messages and the model's history. */
export function label(op: Op, batch: number): string {
  return op.kind === 'flush'
    ? `batch ${batch} flush`
    : `batch ${batch} ${op.kind} ${op.length}@${op.offset}${'fua' in op && op.fua ? ' fua' : ''}`;
}

/**
 * Starts every op of a (disjoint) batch at once against `device`; each read is checked against
 * the model as it was when the batch started, each acknowledgement is recorded in the model
 * (values, FLUSH and FUA durability; every write is durable on ack when `durableOnAck`).
 */
export function runBatch(
  device: BlockDevice,
  model: ReferenceDisk,
  batch: readonly Op[],
  n: number,
  durableOnAck: boolean,
): Promise<void[]> {
  const positions = model.positions();
  return Promise.all(
    batch.map(async (op) => {
      const name = label(op, n);
      switch (op.kind) {
        case 'write': {
          await device.write(op.offset, pattern(op.length, op.seed), { fua: op.fua });
          model.write(op.offset, pattern(op.length, op.seed), name);
          if (op.fua || durableOnAck) model.durable(op.offset, op.length);
          return;
        }
        case 'read': {
          const expected = model.read(op.offset, op.length);
          const got = await device.read(op.offset, op.length);
          const at = firstDifference(got, expected);
          if (at >= 0) {
            throw new Error(
              `${name}: byte ${op.offset + at} (block ${Math.floor((op.offset + at) / BS)}) reads ${got[at]}, the model says ${expected[at]}`,
            );
          }
          return;
        }
        case 'flush':
          await device.flush();
          model.flushed(positions);
          return;
        case 'trim': {
          await device.trim(op.offset, op.length, { fua: op.fua });
          model.trim(op.offset, op.length, name);
          const first = Math.ceil(op.offset / BS) * BS;
          const end = Math.floor((op.offset + op.length) / BS) * BS;
          if ((op.fua || durableOnAck) && end > first) model.durable(first, end - first);
          return;
        }
        case 'zero':
          await device.writeZeroes(op.offset, op.length, { fua: op.fua });
          model.zero(op.offset, op.length, name);
          if (op.fua || durableOnAck) model.durable(op.offset, op.length);
          return;
      }
    }),
  );
}
