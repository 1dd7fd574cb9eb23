// Cleanup stack for NBD tests: registered releases run in reverse order, all of them, even when
// some fail; the first failure is rethrown afterwards.

/** Collects releases (servers, sockets, processes, temp dirs) and runs them in reverse. */
export class CleanupStack {
  private readonly stack: (() => unknown)[] = [];

  /** Registers a release; returns the value for chaining. */
  add<T>(value: T, release: (value: T) => unknown): T {
    this.stack.push(() => release(value));
    return value;
  }

  /** Runs every release (last registered first) and empties the stack. */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    while (this.stack.length > 0) {
      const release = this.stack.pop();
      try {
        await release?.();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}
