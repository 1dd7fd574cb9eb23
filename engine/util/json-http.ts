import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error a handler throws to answer with a status code and a stable error code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Handler = (body: unknown, params: Record<string, string>, query: URLSearchParams) => Promise<unknown>;

/** A route: method and path pattern with `:name` parameters. */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handler: Handler;
}

const MAX_BODY = 1 << 20;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'HTTP_BODY_TOO_LARGE', `request body over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'HTTP_BAD_JSON', 'the request body is not valid JSON');
  }
}

function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const a = path.split('/');
  if (p.length !== a.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = decodeURIComponent(a[i]!);
    else if (p[i] !== a[i]) return null;
  }
  return params;
}

/**
 * A small JSON-over-HTTP server on 127.0.0.1. Unknown routes get 404, wrong methods 405,
 * malformed bodies 400, handler errors their HttpError status (500 otherwise): never a crash.
 */
export async function serveJson(routes: Route[], port = 0): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const candidates = routes.map((r) => ({ r, params: match(r.path, url.pathname) })).filter((x) => x.params);
      if (candidates.length === 0) throw new HttpError(404, 'HTTP_NOT_FOUND', `no such endpoint: ${url.pathname}`);
      const chosen = candidates.find((x) => x.r.method === req.method);
      if (!chosen)
        throw new HttpError(
          405,
          'HTTP_METHOD_NOT_ALLOWED',
          `${req.method} is not allowed on ${url.pathname}; use ${candidates.map((x) => x.r.method).join(' or ')}`,
        );
      const body = req.method === 'POST' ? await readBody(req) : {};
      const result = await chosen.r.handler(body, chosen.params!, url.searchParams);
      send(200, result ?? { ok: true });
    })().catch((error: unknown) => {
      if (error instanceof HttpError) send(error.status, { error: { code: error.code, message: error.message } });
      else send(500, { error: { code: 'INTERNAL', message: (error as Error)?.message ?? String(error) } });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An error answer from a JSON API, carrying its code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Calls a JSON API; rejects with ApiError on an error answer. */
export function callJson<T>(url: string, method: 'GET' | 'POST', body?: unknown, timeoutMs = 60_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const req = request(
      url,
      { method, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = raw ? JSON.parse(raw) : {};
          } catch {
            reject(new ApiError(res.statusCode ?? 0, 'HTTP_BAD_REPLY', `not JSON from ${url}: ${raw.slice(0, 200)}`));
            return;
          }
          if ((res.statusCode ?? 500) >= 400) {
            const e = (parsed as { error?: { code?: string; message?: string } }).error ?? {};
            reject(new ApiError(res.statusCode ?? 500, e.code ?? 'HTTP_ERROR', e.message ?? raw));
          } else {
            resolve(parsed as T);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new ApiError(0, 'HTTP_TIMEOUT', `no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(text);
  });
}
