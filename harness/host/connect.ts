// Opening NBD connections: TCP or Unix socket, then the handshake.

import { connect as netConnect, type Socket } from 'node:net';
import { NbdConnectError, NbdConnectionRefusedError, NbdHandshakeError } from './errors.js';
import { listOnSocket, negotiate } from './handshake.js';
import { NbdClient } from './nbd-client.js';
import { NBD_DEFAULT_PORT, parseNbdUri, type NbdEndpoint } from './nbd-uri.js';
import type { NbdConnectOptions, NbdListedExport, NbdTarget } from './types.js';

const DEFAULT_TIMEOUT_MS = 30_000;

function endpointOf(target: NbdTarget, exportName: string | undefined): NbdEndpoint {
  if ('uri' in target) {
    const parsed = parseNbdUri(target.uri);
    return exportName === undefined ? parsed : { ...parsed, exportName };
  }
  if ('path' in target) return { path: target.path, exportName: exportName ?? '' };
  return { host: target.host, port: target.port ?? NBD_DEFAULT_PORT, exportName: exportName ?? '' };
}

function describe(endpoint: NbdEndpoint): string {
  return 'path' in endpoint ? `unix:${endpoint.path}` : `${endpoint.host}:${endpoint.port}`;
}

/** Opens a socket; connection errors become NbdConnectionRefusedError or NbdConnectError. */
function openSocket(endpoint: NbdEndpoint, timeoutMs: number): Promise<Socket> {
  const address = describe(endpoint);
  return new Promise((resolve, reject) => {
    const socket = 'path' in endpoint ? netConnect({ path: endpoint.path }) : netConnect({ host: endpoint.host, port: endpoint.port });
    // Stays attached for the socket's life: a late error must never become an uncaught exception.
    socket.on('error', () => {});
    let timer: NodeJS.Timeout | undefined;
    const fail = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      const code = err.code ?? 'UNKNOWN';
      if (code === 'ECONNREFUSED' || code === 'ENOENT') reject(new NbdConnectionRefusedError(address, code));
      else reject(new NbdConnectError(address, code, err.message));
    };
    socket.once('error', fail);
    if (timeoutMs > 0) {
      timer = setTimeout(() => {
        socket.off('error', fail);
        socket.destroy();
        reject(new NbdConnectError(address, 'ETIMEDOUT', `no connection within ${timeoutMs} ms`));
      }, timeoutMs);
    }
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

async function withHandshakeTimeout<T>(socket: Socket, timeoutMs: number, work: Promise<T>): Promise<T> {
  if (timeoutMs <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new NbdHandshakeError('timeout', `the NBD handshake did not finish within ${timeoutMs} ms`));
      socket.destroy();
    }, timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function normalize(target: string | NbdConnectOptions): NbdConnectOptions {
  return typeof target === 'string' ? { uri: target } : target;
}

/**
 * Connects to an NBD server and opens an export (NBD_OPT_GO, falling back to
 * NBD_OPT_EXPORT_NAME). Accepts an NBD URI or options naming host/port, a Unix socket path or a URI.
 */
export async function connect(target: string | NbdConnectOptions): Promise<NbdClient> {
  const options = normalize(target);
  const endpoint = endpointOf(options, options.exportName);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const connectTimeoutMs = options.connectTimeoutMs ?? timeoutMs;
  const started = Date.now();
  const socket = await openSocket(endpoint, connectTimeoutMs);
  const left = connectTimeoutMs > 0 ? Math.max(1, connectTimeoutMs - (Date.now() - started)) : 0;
  try {
    const { info, leftover } = await withHandshakeTimeout(socket, left, negotiate(socket, endpoint.exportName));
    return new NbdClient(socket, info, leftover, { timeoutMs, validateRequests: options.validateRequests ?? true });
  } catch (err) {
    socket.destroy();
    throw err;
  }
}

/** Lists a server's exports (NBD_OPT_LIST), then ends the session with NBD_OPT_ABORT. */
export async function listExports(target: string | NbdConnectOptions): Promise<NbdListedExport[]> {
  const options = normalize(target);
  const endpoint = endpointOf(options, options.exportName);
  const timeoutMs = options.connectTimeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const socket = await openSocket(endpoint, timeoutMs);
  try {
    return await withHandshakeTimeout(socket, timeoutMs, listOnSocket(socket));
  } finally {
    // NBD_OPT_ABORT was sent with end(); the server closes its side.
    if (!socket.destroyed) setTimeout(() => socket.destroy(), 1000).unref();
  }
}
