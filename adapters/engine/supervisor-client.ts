// Requests to a group's supervisor API (engine/supervisor/main.ts): JSON over HTTP on 127.0.0.1,
// a fresh connection per request (no keep-alive race with the server's idle timeout). Answers are
// returned whole, status and body, so that callers decide what is a refusal and keep the rest as
// evidence.

import { request } from 'node:http';

/** An answer of the supervisor. */
export interface ApiAnswer {
  /** HTTP status. */
  readonly status: number;
  /** The body, parsed as JSON when it is JSON, else the text. */
  readonly body: unknown;
}

/** Sends one request; rejects only when no answer arrives (connection refused, timeout, abort). */
export function callSupervisor(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; timeoutMs: number; signal?: AbortSignal },
): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const text = options.body === undefined ? '' : JSON.stringify(options.body);
    const req = request(
      `${url}${path}`,
      {
        method,
        agent: false,
        timeout: options.timeoutMs,
        signal: options.signal,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let body: unknown = raw;
          try {
            body = raw === '' ? null : JSON.parse(raw);
          } catch {
            // not JSON: kept as text, for the evidence
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer to ${method} ${path} within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(text);
  });
}

/** The `{"error": {"code", "message"}}` of an error answer, if it has that shape. */
export function errorOf(body: unknown): { code: string; message: string } | null {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (typeof e?.code !== 'string') return null;
  return { code: e.code, message: typeof e.message === 'string' ? e.message : '' };
}
