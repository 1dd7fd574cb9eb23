// Range operations: discards (trim, long zero writes) and write-arounds go to the backend directly,
// over whole blocks. While one runs, its blocks must not be destaged, loaded or read from the
// backend, or stale data could overwrite it or be cached over it.

import type { LoadTokens } from './load-tokens.js';
import type { RangeOp } from './types.js';

/**
 * The range operations in progress.
 *
 * Invariants:
 * - While an operation is registered, nothing starts a destage, a load or a backend read of its
 *   blocks: callers check `over()` and wait for its `done` (dirty blocks it covers wait in the
 *   index's `deferred` list).
 * - Loads of its blocks that started before it began or ended are invalidated at both moments
 *   (`LoadTokens.invalidate`), so no load overlapping it installs what it read.
 * - `done` resolves once the operation has left the registry, whether it succeeded or not.
 */
export class RangeOps {
  private readonly ops = new Set<RangeOp>();

  constructor(private readonly tokens: LoadTokens) {}

  /** Any operation is in progress (the common case, none, costs one comparison). */
  get any(): boolean {
    return this.ops.size > 0;
  }

  /** Registers an operation over whole blocks [first, end). End it with `end()`, in a `finally`. */
  begin(first: number, end: number): RangeOp {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const op: RangeOp = { first, end, done, finish };
    this.ops.add(op);
    this.tokens.invalidate(first, end);
    return op;
  }

  /** Unregisters `op` (its `done` is resolved by the caller once it moved its deferred blocks back). */
  end(op: RangeOp): void {
    this.ops.delete(op);
    this.tokens.invalidate(op.first, op.end);
  }

  /** An operation overlapping blocks [first, end), or null. */
  over(first: number, end: number): RangeOp | null {
    for (const op of this.ops) if (op.first < end && op.end > first) return op;
    return null;
  }

  /** The `done` of every operation overlapping blocks [first, last]. */
  doneOver(first: number, last: number): Set<Promise<unknown>> {
    const waits = new Set<Promise<unknown>>();
    for (const op of this.ops) if (op.first <= last && op.end > first) waits.add(op.done);
    return waits;
  }
}
