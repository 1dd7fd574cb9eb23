// Host operations with a deadline: I/O must answer (succeed or fail) within the I/O timeout (VD-1:
// "within the configured I/O timeout, never hangs"); an operation still pending at the deadline is
// abandoned as hung, its outcome unknown.

/** The outcome of an operation run with a deadline. */
export type Timed<T> =
  | { readonly ok: true; readonly value: T; readonly ms: number }
  | { readonly ok: false; readonly error: unknown; readonly hung: boolean; readonly ms: number };

/** Runs `f` with a deadline of `ms`; never rejects. A hung operation keeps running unobserved. */
export async function timed<T>(ms: number, f: () => Promise<T>): Promise<Timed<T>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const work = (async () => f())().then(
    (value) => ({ ok: true as const, value, ms: performance.now() - started }),
    (error: unknown) => ({ ok: false as const, error, hung: false, ms: performance.now() - started }),
  );
  const deadline = new Promise<Timed<T>>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, error: new Error(`no answer within ${ms} ms`), hung: true, ms: performance.now() - started }),
      ms,
    );
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits `ms`, or less when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
