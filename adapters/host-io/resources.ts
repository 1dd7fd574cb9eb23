// What a system under test has handed out (devices, copy readers), so that `close()` releases
// every one of them, even those the caller forgot.

/** Something that must be closed. */
export interface Closable {
  close(): Promise<void>;
}

/** A set of open resources; each leaves the set when it is closed. */
export class Resources {
  private readonly open = new Set<Closable>();

  /** Tracks `resource`: its `close()` also removes it from the set. */
  track<T extends Closable>(resource: T): T {
    const close = resource.close.bind(resource);
    const tracked = Object.create(resource, {
      close: {
        value: async () => {
          this.open.delete(tracked);
          await close();
        },
      },
    }) as T;
    this.open.add(tracked);
    return tracked;
  }

  /** Closes everything still open; errors are returned, not thrown, so that every one is tried. */
  async closeAll(): Promise<unknown[]> {
    const all = [...this.open];
    this.open.clear();
    const results = await Promise.allSettled(all.map((r) => r.close()));
    return results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
  }
}
