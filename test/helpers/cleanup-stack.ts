// The one cleanup stack of the tests and the benchmarks: registered releases run in reverse order,
// every one of them, even when some fail (citty's runCommand cleanups). Tests rethrow the first
// failure afterwards; a benchmark passes `report` to log each failure and carry on. `run` is
// shared: a signal handler and the normal `finally` both wait for the same complete drain.
// No vitest import, so that bench/ may use it.

/** A failed release: what it released and why it failed. */
export type ReportCleanupFailure = (what: string, error: unknown) => void;

/** Collects releases (servers, sockets, processes, temp dirs) and runs them in reverse. */
export class CleanupStack {
  private readonly stack: Array<{ what: string; release: () => unknown }> = [];
  private draining: Promise<void> | null = null;

  /** `report`: log failed releases instead of rethrowing the first one after the drain. */
  constructor(private readonly options: { report?: ReportCleanupFailure } = {}) {}

  /** Registers a release of `value`; returns the value for chaining. */
  add<T>(value: T, release: (value: T) => unknown, what = 'a resource'): T {
    this.stack.push({ what, release: () => release(value) });
    return value;
  }

  /** Registers a release named `what` (for the report). */
  defer(what: string, release: () => unknown): void {
    this.stack.push({ what, release });
  }

  /** Runs every release (last registered first) and empties the stack; concurrent calls share one drain. */
  run(): Promise<void> {
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drain(): Promise<void> {
    const errors: unknown[] = [];
    while (this.stack.length > 0) {
      const { what, release } = this.stack.pop()!;
      try {
        await release();
      } catch (error) {
        if (this.options.report) this.options.report(what, error);
        else errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
