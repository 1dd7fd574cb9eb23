// JSON over HTTP on 127.0.0.1: the management API of each server and the supervisor's API. Every
// error answer, and every error a caller gets, has one shape: a stable code of contracts/codes.ts,
// a message, and details where evidence helps (the body is contracts/error.ts `errorBody`).
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Static, TSchema } from '@sinclair/typebox';
import { type Code, isCode } from '../../contracts/codes.js';
import { type ErrorBody, errorBody } from '../../contracts/error.js';
import { formatProblems, schemaProblems } from '../../contracts/validate.js';

/** An error a handler throws to answer with a status code and a stable error code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: Code,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  /**
   * An HttpError for a code typed only as a string (a subsystem's own error): kept when it is in
   * the catalogue, else API_INTERNAL quoting it, so that no code outside the catalogue is answered.
   */
  static of(status: number, code: string, message: string): HttpError {
    return isCode(code) ? new HttpError(status, code, message) : new HttpError(500, 'API_INTERNAL', `${code}: ${message}`);
  }
}

/**
 * The body of a request as `schema` has it, or a 400 API_BAD_REQUEST naming every bad field
 * (`details.problems`), e.g. `mode: must be one of writeBack, writeThrough (got "fast")`.
 */
export function parseBody<T extends TSchema>(schema: T, body: unknown, what: string): Static<T> {
  const problems = schemaProblems(schema, body);
  if (problems.length > 0) {
    throw new HttpError(400, 'API_BAD_REQUEST', `invalid ${what}:\n${formatProblems(problems)}`, { problems });
  }
  return body as Static<T>;
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
    if (size > MAX_BODY) throw new HttpError(413, 'API_BAD_REQUEST', `the request body is over ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'API_BAD_REQUEST', 'the request body is not valid JSON');
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
      if (candidates.length === 0) throw new HttpError(404, 'API_NOT_FOUND', `no such endpoint: ${url.pathname}`);
      const chosen = candidates.find((x) => x.r.method === req.method);
      if (!chosen)
        throw new HttpError(
          405,
          'API_NOT_FOUND',
          `${req.method} is not allowed on ${url.pathname}; use ${candidates.map((x) => x.r.method).join(' or ')}`,
        );
      const body = req.method === 'POST' ? await readBody(req) : {};
      const result = await chosen.r.handler(body, chosen.params!, url.searchParams);
      send(200, result ?? { ok: true });
    })().catch((error: unknown) => {
      if (error instanceof HttpError) send(error.status, errorBody(error.code, error.message, error.details));
      else send(500, errorBody('API_INTERNAL', (error as Error)?.stack ?? String(error)));
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

/** An error answer from a JSON API, or no answer (status 0), carrying its code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: Code,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The ApiError of an error answer; a code outside the catalogue is API_BAD_REPLY, quoting it. */
function apiError(status: number, parsed: unknown, raw: string, url: string): ApiError {
  const e = (parsed as Partial<ErrorBody> | null)?.error;
  if (e && typeof e.code === 'string' && typeof e.message === 'string') {
    if (isCode(e.code)) return new ApiError(status, e.code, e.message, e.details);
    return new ApiError(status, 'API_BAD_REPLY', `${url} answered with a code sanspec does not know: ${e.code}: ${e.message}`, e.details);
  }
  return new ApiError(status, 'API_BAD_REPLY', `${url} answered ${status} without the error shape: ${raw.slice(0, 200)}`);
}

/** Calls a JSON API; rejects with ApiError on an error answer, or on no answer (API_NO_ANSWER). */
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
            reject(new ApiError(res.statusCode ?? 0, 'API_BAD_REPLY', `not JSON from ${url}: ${raw.slice(0, 200)}`));
            return;
          }
          if ((res.statusCode ?? 500) >= 400) {
            reject(apiError(res.statusCode ?? 500, parsed, raw, url));
          } else {
            resolve(parsed as T);
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new ApiError(0, 'API_NO_ANSWER', `no answer from ${url} within ${timeoutMs} ms`)));
    req.on('error', (error: NodeJS.ErrnoException) => {
      reject(error instanceof ApiError ? error : new ApiError(0, 'API_NO_ANSWER', `cannot reach ${url}: ${error.code ?? error.message}`));
    });
    req.end(text);
  });
}
