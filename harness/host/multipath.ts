// A host multipath layer over NBD paths to the copies of one (mirrored) virtual disk: I/O goes to
// the most preferred working path (the ALUA-optimized one, PTH-3); when it fails, the path is
// marked failed and the operation is retried on the next working path within a bounded time
// (MIR-2); failed paths that are more preferred than the active one are probed and, once one
// accepts a connection again, I/O fails back to it (PTH-3). Outcomes stay honest: an operation
// that finally fails is 'unknown' if any attempt may have reached a server, 'fail' only if none
// could have taken effect. Many operations may be in flight at once.

import { performance } from 'node:perf_hooks';
import { connect } from './connect.js';
import { NbdInvalidRequestError, NbdNotConnectedError, NbdRequestError, type NbdCommandName, type NbdOutcome } from './errors.js';
import type { NbdClient } from './nbd-client.js';
import { parseNbdUri } from './nbd-uri.js';

/** One path to the disk: a name for events and history, and the NBD URI of the export on that server. */
export interface MultipathPath {
  readonly name: string;
  readonly uri: string;
}

/** Something the multipath layer did, for logs, tests and benchmarks. */
export interface MultipathEvent {
  /** path-failed: a path stopped working; failover: I/O moved to a less preferred path; failback: back to a more preferred one. */
  readonly type: 'path-failed' | 'failover' | 'failback';
  /** The path concerned (for failover and failback, the path now in use). */
  readonly path: string;
  /** Why, when known (the error that failed the path, or the path left). */
  readonly reason?: string;
  /** Monotonic time (performance.now()). */
  readonly at: number;
}

/** Options of `openMultipath`. */
export interface MultipathOptions {
  /** Paths in preference order: the ALUA-preferred (Active/Optimized) path first (PTH-3). */
  readonly paths: readonly MultipathPath[];
  /** Export to open on every path; overrides the URIs' export names. */
  readonly exportName?: string;
  /** Per attempt: reply timeout, and connect + handshake timeout, in ms (default 5000). */
  readonly ioTimeoutMs?: number;
  /** How long an operation (or opening the device) keeps retrying across paths, in ms (default 30000). */
  readonly retryForMs?: number;
  /** How often failed paths more preferred than the active one are probed, in ms (default 250). */
  readonly failbackProbeMs?: number;
  /** Observer of path events; must not throw (errors it throws are ignored). */
  readonly onEvent?: (e: MultipathEvent) => void;
}

/** A disk reached over several paths. */
export interface MultipathDevice {
  /** Size in bytes (every path must report the same). */
  readonly size: number;
  /** The path I/O goes to now, or null while none works. */
  readonly activePath: string | null;
  read(offset: number, length: number): Promise<Buffer>;
  write(offset: number, data: Buffer, options?: { fua?: boolean }): Promise<void>;
  flush(): Promise<void>;
  /** Stops probing, refuses new operations, disconnects every path (waiting for requests in flight). */
  close(): Promise<void>;
}

/** Stable codes of multipath errors. */
export type MultipathErrorCode =
  | 'MPATH_NO_PATH' // no path accepted a connection within retryForMs; nothing was sent by the last attempts
  | 'MPATH_IO_FAILED' // attempts reached servers but none succeeded within retryForMs
  | 'MPATH_REFUSED' // a server refused the request itself (EINVAL, EPERM, ENOSPC...): retrying elsewhere would not help
  | 'MPATH_CLOSED' // close() was called
  | 'MPATH_INVALID_OPTIONS';

/** One try of an operation on one path. */
export interface MultipathAttempt {
  readonly path: string;
  /** 'fail': certainly no effect (never sent, or refused by the server); 'unknown': may have taken effect. */
  readonly outcome: NbdOutcome;
  /** The error's stable code (NBD_..., or 'ERROR' for foreign errors). */
  readonly code: string;
  readonly message: string;
}

/** An operation or open that did not succeed; `attempts` lists every try, in order. */
export class MultipathError extends Error {
  constructor(
    readonly code: MultipathErrorCode,
    /** 'unknown' if any attempt may have reached a server and taken effect; 'fail' if none could have. */
    readonly outcome: NbdOutcome,
    /** What was attempted ('open' for openMultipath). */
    readonly command: NbdCommandName | 'open',
    readonly attempts: readonly MultipathAttempt[],
    message: string,
  ) {
    super(message);
    this.name = 'MultipathError';
  }
}

/** What is known of one path. */
interface PathState {
  readonly name: string;
  readonly uri: string;
  /** Position in preference order (0 = preferred). */
  readonly rank: number;
  /** The open connection, if any. */
  client: NbdClient | null;
  /** A connection being made (shared by every operation and the prober). */
  connecting: Promise<ConnectResult> | null;
  /** A failback check (connect + read) is running. */
  checking: boolean;
  /** Set when the path failed; cleared when it is used again (connected by an operation, or a failback check passed). */
  failed: { readonly at: number; readonly reason: string } | null;
}

type ConnectResult = { readonly ok: true; readonly client: NbdClient } | { readonly ok: false; readonly attempt: MultipathAttempt };

/** How an attempt's error is handled. */
interface Verdict {
  /** 'path': the path failed, try another; 'final': the request itself was refused. */
  readonly kind: 'path' | 'final';
  readonly attempt: MultipathAttempt;
}

const codeOf = (error: unknown) => String((error as { code?: unknown } | null)?.code ?? 'ERROR');
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** An error from a request that was handed to a connection. */
function judge(path: string, error: unknown): Verdict {
  const base = { path, code: codeOf(error), message: messageOf(error) };
  if (error instanceof NbdRequestError) {
    // EIO or ESHUTDOWN: this copy cannot serve now (or failed mid-way; a write may have been
    // applied before the error): the path failed, the outcome is uncertain.
    if (error.errno === 'EIO' || error.errno === 'ESHUTDOWN') return { kind: 'path', attempt: { ...base, outcome: 'unknown' } };
    return { kind: 'final', attempt: { ...base, outcome: 'fail' } };
  }
  if (error instanceof NbdInvalidRequestError) return { kind: 'final', attempt: { ...base, outcome: 'fail' } };
  if (error instanceof NbdNotConnectedError) return { kind: 'path', attempt: { ...base, outcome: 'fail' } };
  // Timeout, connection lost, anything else: it may have happened.
  return { kind: 'path', attempt: { ...base, outcome: 'unknown' } };
}

/** Opens a multipath device; resolves once some path works, rejects (MPATH_NO_PATH, outcome fail) after retryForMs. */
export async function openMultipath(options: MultipathOptions): Promise<MultipathDevice> {
  const device = new Multipath(options);
  try {
    await device.open();
  } catch (error) {
    await device.close();
    throw error;
  }
  return device;
}

class Multipath implements MultipathDevice {
  private readonly paths: PathState[];
  private readonly exportName: string | undefined;
  private readonly ioTimeoutMs: number;
  private readonly retryForMs: number;
  private readonly probeMs: number;
  private readonly onEvent: ((e: MultipathEvent) => void) | undefined;
  private active: PathState | null = null;
  /** The path last used, to tell failover from failback. */
  private lastActive: PathState | null = null;
  private knownSize: number | null = null;
  private closed = false;
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(options: MultipathOptions) {
    const invalid = (detail: string) =>
      new MultipathError('MPATH_INVALID_OPTIONS', 'fail', 'open', [], `invalid multipath options: ${detail}`);
    if (options.paths.length === 0) throw invalid('no paths; give at least one { name, uri }');
    const names = new Set<string>();
    for (const p of options.paths) {
      if (names.has(p.name)) throw invalid(`two paths are named '${p.name}'; path names must be unique`);
      names.add(p.name);
      try {
        parseNbdUri(p.uri);
      } catch (error) {
        throw invalid(`path '${p.name}': ${messageOf(error)}`);
      }
    }
    const positive = (name: string, value: number | undefined, fallback: number) => {
      const v = value ?? fallback;
      if (!Number.isFinite(v) || v <= 0) throw invalid(`${name} must be a positive number of ms, got ${v}`);
      return v;
    };
    this.ioTimeoutMs = positive('ioTimeoutMs', options.ioTimeoutMs, 5000);
    this.retryForMs = positive('retryForMs', options.retryForMs, 30_000);
    this.probeMs = positive('failbackProbeMs', options.failbackProbeMs, 250);
    this.exportName = options.exportName;
    this.onEvent = options.onEvent;
    this.paths = options.paths.map((p, rank) => ({
      name: p.name,
      uri: p.uri,
      rank,
      client: null,
      connecting: null,
      checking: false,
      failed: null,
    }));
  }

  get size(): number {
    return this.knownSize ?? 0;
  }

  get activePath(): string | null {
    return this.active?.name ?? null;
  }

  async open(): Promise<void> {
    const attempts: MultipathAttempt[] = [];
    const usable = await this.acquire(performance.now() + this.retryForMs, attempts);
    if (usable === null) {
      throw new MultipathError(
        'MPATH_NO_PATH',
        'fail',
        'open',
        attempts,
        `no path to the disk accepted a connection within ${this.retryForMs} ms: ${summary(attempts)}`,
      );
    }
    this.probeTimer = setInterval(() => this.probe(), this.probeMs);
    this.probeTimer.unref();
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.run('read', offset, length, (c) => c.read(offset, length));
  }

  write(offset: number, data: Buffer, options?: { fua?: boolean }): Promise<void> {
    const fua = options?.fua === true;
    return this.run('write', offset, data.length, (c) => c.write(offset, data, { fua }));
  }

  flush(): Promise<void> {
    return this.run('flush', 0, 0, (c) => c.flush());
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.probeTimer !== null) clearInterval(this.probeTimer);
    this.probeTimer = null;
    this.active = null;
    await Promise.all(
      this.paths.map(async (p) => {
        if (p.connecting !== null) await p.connecting;
        const client = p.client;
        p.client = null;
        if (client !== null) await client.disconnect().catch(() => client.destroy());
      }),
    );
  }

  // ---- operations -------------------------------------------------------------------------------

  /** Runs one operation: on the active path, failing over within retryForMs. */
  private async run<T>(command: NbdCommandName, offset: number, length: number, attempt: (c: NbdClient) => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.retryForMs;
    const attempts: MultipathAttempt[] = [];
    let sent = false;
    const what = command === 'flush' ? 'flush' : `${command} of ${length} bytes at offset ${offset}`;
    const give = (code: MultipathErrorCode, why: string) => {
      const outcome: NbdOutcome = attempts.some((a) => a.outcome === 'unknown') ? 'unknown' : 'fail';
      const note = outcome === 'unknown' ? 'outcome unknown: an attempt may have reached a server' : 'no attempt could have taken effect';
      return new MultipathError(code, outcome, command, attempts, `multipath ${what}: ${why} (${note}): ${summary(attempts)}`);
    };
    for (;;) {
      if (this.closed) throw give('MPATH_CLOSED', 'the device was closed');
      const target = await this.acquire(deadline, attempts);
      if (target === null) {
        if (this.closed) throw give('MPATH_CLOSED', 'the device was closed');
        throw give(sent ? 'MPATH_IO_FAILED' : 'MPATH_NO_PATH', `no path worked within ${this.retryForMs} ms`);
      }
      const client = target.client;
      if (client === null) continue;
      try {
        sent = true;
        return await attempt(client);
      } catch (error) {
        const verdict = judge(target.name, error);
        attempts.push(verdict.attempt);
        if (verdict.kind === 'final') throw give('MPATH_REFUSED', 'the server refused the request');
        this.markFailed(target, client, verdict.attempt.message);
        if (performance.now() >= deadline) throw give('MPATH_IO_FAILED', `no path worked within ${this.retryForMs} ms`);
      }
    }
  }

  /**
   * The path to use: the active one while its connection is open, else the most preferred path
   * that accepts a connection (paths not marked failed first, then failed ones), rounds repeated
   * until the deadline. Null when none worked in time or the device was closed.
   */
  private async acquire(deadline: number, attempts: MultipathAttempt[]): Promise<PathState | null> {
    for (;;) {
      if (this.closed) return null;
      const current = this.usableActive();
      if (current !== null) return current;
      const order = [...this.paths.filter((p) => p.failed === null), ...this.paths.filter((p) => p.failed !== null)];
      for (const p of order) {
        if (this.closed) return null;
        const now = this.usableActive();
        if (now !== null) return now;
        if (p.client?.isOpen === true) {
          this.activate(p);
          return p;
        }
        const left = deadline - performance.now();
        if (left <= 0) return null;
        const result = await this.connectPath(p, Math.min(this.ioTimeoutMs, left));
        if (result.ok) {
          const other = this.usableActive();
          if (other !== null && other.rank < p.rank) return other;
          this.activate(p);
          return p;
        }
        attempts.push(result.attempt);
      }
      const left = deadline - performance.now();
      if (left <= 0 || this.closed) return null;
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.probeMs, left)));
    }
  }

  /** The active path if its connection is open. */
  private usableActive(): PathState | null {
    const a = this.active;
    return a?.client?.isOpen ? a : null;
  }

  /** Connects a path (one connection attempt at a time per path). */
  private connectPath(p: PathState, timeoutMs: number): Promise<ConnectResult> {
    if (p.connecting !== null) return p.connecting;
    const options = { uri: p.uri, timeoutMs: this.ioTimeoutMs, connectTimeoutMs: Math.max(1, Math.ceil(timeoutMs)) };
    const attempt = connect(this.exportName === undefined ? options : { ...options, exportName: this.exportName }).then(
      (client): ConnectResult => {
        if (this.closed) {
          client.destroy();
          return { ok: false, attempt: { path: p.name, outcome: 'fail', code: 'MPATH_CLOSED', message: 'the device was closed' } };
        }
        if (this.knownSize === null) this.knownSize = client.size;
        if (client.size !== this.knownSize) {
          client.destroy();
          const message = `path ${p.name} serves ${client.size} bytes, other paths ${this.knownSize}: not the same disk`;
          this.markFailed(p, null, message);
          return { ok: false, attempt: { path: p.name, outcome: 'fail', code: 'MPATH_SIZE_MISMATCH', message } };
        }
        p.client?.destroy();
        p.client = client;
        void client.closed.then((detail) => {
          if (p.client === client && !this.closed) this.markFailed(p, client, `connection closed: ${detail}`);
        });
        return { ok: true, client };
      },
      (error: unknown): ConnectResult => {
        const message = messageOf(error);
        this.markFailed(p, null, message);
        return { ok: false, attempt: { path: p.name, outcome: 'fail', code: codeOf(error), message } };
      },
    );
    p.connecting = attempt.finally(() => {
      p.connecting = null;
    });
    return p.connecting;
  }

  /** Makes `p` the active path, reporting failover or failback when it changes. */
  private activate(p: PathState): void {
    p.failed = null;
    if (this.active === p) return;
    const previous = this.lastActive;
    this.active = p;
    this.lastActive = p;
    if (previous === null || previous === p) return;
    if (p.rank < previous.rank)
      this.emit({ type: 'failback', path: p.name, reason: `${p.name} is more preferred than ${previous.name} and accepts I/O again` });
    else this.emit({ type: 'failover', path: p.name, reason: `${previous.name} failed: ${previous.failed?.reason ?? 'unknown reason'}` });
  }

  /**
   * A path failed. `client` is the connection the failure was seen on (null: connecting): a
   * failure seen on an old connection does not fail a newer one. The connection is dropped, so
   * every request in flight on it fails over too.
   */
  private markFailed(p: PathState, client: NbdClient | null, reason: string): void {
    if (client !== null) {
      if (p.client !== client) return;
      p.client = null;
      client.destroy();
    }
    if (this.active === p) this.active = null;
    if (p.failed === null) {
      p.failed = { at: performance.now(), reason };
      this.emit({ type: 'path-failed', path: p.name, reason });
    }
  }

  /**
   * Failback (PTH-3): probes failed paths more preferred than the active one, like a
   * dm-multipath path checker: the path must accept a connection (an engine copy that must not
   * serve refuses the export) and answer a small read within ioTimeoutMs; then I/O moves to it.
   */
  private probe(): void {
    if (this.closed) return;
    const limit = this.active?.rank ?? this.paths.length;
    for (const p of this.paths) {
      if (p.rank >= limit) break;
      if (p.connecting !== null || p.checking) continue;
      p.checking = true;
      void this.check(p).finally(() => {
        p.checking = false;
      });
    }
  }

  private async check(p: PathState): Promise<void> {
    let client = p.client?.isOpen ? p.client : null;
    if (client === null) {
      const result = await this.connectPath(p, this.ioTimeoutMs);
      if (!result.ok) return;
      client = result.client;
    }
    try {
      await client.read(0, Math.min(this.size, 4096), { timeoutMs: this.ioTimeoutMs });
    } catch (error) {
      this.markFailed(p, client, `path check: ${messageOf(error)}`);
      return;
    }
    if (this.closed || p.client !== client) return;
    const active = this.usableActive();
    if (active === null || p.rank < active.rank) this.activate(p);
  }

  private emit(e: Omit<MultipathEvent, 'at'>): void {
    try {
      this.onEvent?.({ ...e, at: performance.now() });
    } catch {
      // An observer's failure must not disturb I/O.
    }
  }
}

function summary(attempts: readonly MultipathAttempt[]): string {
  if (attempts.length === 0) return 'no attempt was made';
  const shown = attempts.slice(-6).map((a) => `${a.path}: ${a.code} (${a.message})`);
  return (attempts.length > 6 ? `${attempts.length} attempts, the last: ` : '') + shown.join('; ');
}
