// The NBD server object: listening, the set of connections, graceful and hard stops.

import { createServer, type Server, type Socket } from 'node:net';
import { NbdConnection, type ConnectionHost } from './connection.js';
import { NbdServerError } from './errors.js';
import type {
  NbdAddress,
  NbdConnectionInfo,
  NbdListenTarget,
  NbdServer,
  NbdServerEvent,
  NbdServerOptions,
  NbdShutdownOptions,
  NbdShutdownReport,
} from './types.js';

/** 32 MiB: the largest READ/WRITE every client can be expected to honour (proto.md). */
export const NBD_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 128;
const DEFAULT_MAX_IN_FLIGHT_BYTES = 64 * 1024 * 1024;
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 60_000;
const DEFAULT_GRACE_MS = 10_000;

function positiveInteger(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new NbdServerError('NBD_INVALID_OPTIONS', `createNbdServer: ${name} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

/** Creates an NBD server (fixed newstyle, simple replies, no TLS) over the given exports. */
export function createNbdServer(options: NbdServerOptions): NbdServer {
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  if (!Number.isFinite(handshakeTimeoutMs) || handshakeTimeoutMs < 0) {
    throw new NbdServerError('NBD_INVALID_OPTIONS', `createNbdServer: handshakeTimeoutMs must be >= 0, got ${handshakeTimeoutMs}`);
  }
  const onEvent = options.onEvent;
  let shuttingDown = false;
  let stopped = false;
  let nextId = 1;
  let bound: NbdAddress | undefined;
  const connections = new Map<number, NbdConnection>();

  const host: ConnectionHost = {
    maxRequestBytes: positiveInteger('maxRequestBytes', options.maxRequestBytes, NBD_MAX_REQUEST_BYTES, NBD_MAX_REQUEST_BYTES),
    maxInFlightRequests: positiveInteger('maxInFlightRequests', options.maxInFlightRequests, DEFAULT_MAX_IN_FLIGHT_REQUESTS),
    maxInFlightBytes: positiveInteger('maxInFlightBytes', options.maxInFlightBytes, DEFAULT_MAX_IN_FLIGHT_BYTES),
    handshakeTimeoutMs,
    lookup: (name) => options.exports(name),
    list: options.listExports === undefined ? undefined : () => options.listExports?.() ?? [],
    isShuttingDown: () => shuttingDown,
    emit(event: NbdServerEvent) {
      if (onEvent === undefined) return;
      try {
        onEvent(event);
      } catch {
        // An observer must not break the server.
      }
    },
  };

  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket: Socket) => {
    if (stopped || shuttingDown) {
      socket.destroy();
      return;
    }
    const id = nextId++;
    const conn = new NbdConnection(id, socket, host);
    connections.set(id, conn);
    void conn.closed.then(() => connections.delete(id));
  });
  server.on('error', () => {
    // Listen errors are reported by listen(); later errors (EMFILE on accept) must not crash.
  });

  let serverClosed: Promise<void> | undefined;
  function stopListening(): Promise<void> {
    serverClosed ??= new Promise<void>((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
    });
    return serverClosed;
  }

  async function drainConnections(selected: NbdConnection[], graceMs: number): Promise<NbdShutdownReport> {
    for (const conn of selected) conn.drain();
    const inTransmission = selected.filter((c) => c.inTransmission);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    await Promise.race([Promise.all(inTransmission.map((c) => c.closed)), timedOut]);
    clearTimeout(timer);
    let abandoned = 0;
    for (const conn of selected) {
      if (!conn.isClosed) {
        abandoned += conn.pendingRequests;
        conn.destroy('shutdown');
      }
    }
    await Promise.all(selected.map((c) => c.closed));
    return {
      connections: selected.length,
      refused: selected.reduce((sum, c) => sum + c.refused, 0),
      abandoned,
    };
  }

  function graceOf(opts: NbdShutdownOptions | undefined): number {
    const graceMs = opts?.graceMs ?? DEFAULT_GRACE_MS;
    if (!Number.isFinite(graceMs) || graceMs < 0) {
      throw new NbdServerError('NBD_INVALID_OPTIONS', `graceMs must be a finite number >= 0, got ${graceMs}`);
    }
    return graceMs;
  }

  return {
    get address() {
      return bound;
    },

    listen(target: NbdListenTarget): Promise<NbdAddress> {
      if (stopped || shuttingDown) {
        return Promise.reject(new NbdServerError('NBD_SERVER_CLOSED', 'listen() after shutdown() or close(); create a new server'));
      }
      if (server.listening || bound !== undefined) {
        return Promise.reject(
          new NbdServerError('NBD_ALREADY_LISTENING', 'listen() was already called; create another server for another address'),
        );
      }
      return new Promise<NbdAddress>((resolve, reject) => {
        const onError = (err: Error) => {
          const where = 'path' in target ? target.path : `${target.host}:${target.port}`;
          reject(
            new NbdServerError(
              'NBD_LISTEN_FAILED',
              `cannot listen on ${where}: ${err.message}; choose a free port or remove a stale socket file`,
              { cause: err },
            ),
          );
        };
        server.once('error', onError);
        const done = () => {
          server.off('error', onError);
          const addr = server.address();
          if ('path' in target) bound = { kind: 'unix', path: target.path };
          else if (addr !== null && typeof addr === 'object') bound = { kind: 'tcp', host: addr.address, port: addr.port };
          else bound = { kind: 'tcp', host: target.host, port: target.port };
          resolve(bound);
        };
        if ('path' in target) server.listen(target.path, done);
        else server.listen(target.port, target.host, done);
      });
    },

    connections(): NbdConnectionInfo[] {
      return [...connections.values()].map((c) => c.info());
    },

    async disconnectExport(exportName: string, opts?: NbdShutdownOptions): Promise<NbdShutdownReport> {
      const graceMs = graceOf(opts);
      const selected = [...connections.values()].filter((c) => c.selectedExport === exportName && !c.isClosed);
      return drainConnections(selected, graceMs);
    },

    async shutdown(opts?: NbdShutdownOptions): Promise<NbdShutdownReport> {
      const graceMs = graceOf(opts);
      shuttingDown = true;
      const listening = stopListening();
      const report = await drainConnections([...connections.values()], graceMs);
      stopped = true;
      await listening;
      return report;
    },

    async close(): Promise<void> {
      stopped = true;
      const listening = stopListening();
      const open = [...connections.values()];
      for (const conn of open) conn.destroy('closed');
      await Promise.all(open.map((c) => c.closed));
      await listening;
    },
  };
}
