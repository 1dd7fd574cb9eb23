import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorBodySchema } from '../../../../contracts/error.js';
import { ApiError, callJson, HttpError, parseBody, serveJson } from '../../../../engine/util/json-http.js';

describe('JSON APIs answer every error in the one error shape, with a code of the catalogue', () => {
  const Body = Type.Object({ mode: Type.Union([Type.Literal('a'), Type.Literal('b')]) }, { additionalProperties: false });
  let api: Awaited<ReturnType<typeof serveJson>>;
  beforeAll(async () => {
    api = await serveJson([
      { method: 'POST', path: '/set', handler: async (body) => ({ mode: parseBody(Body, body, 'settings').mode }) },
      {
        method: 'POST',
        path: '/refuse',
        handler: async () => {
          throw new HttpError(409, 'SRV_ALREADY_RUNNING', 'the server is already running');
        },
      },
      {
        method: 'POST',
        path: '/foreign',
        handler: async () => Promise.reject(HttpError.of(409, 'MIRROR_SOMETHING', 'a code of no catalogue')),
      },
      {
        method: 'GET',
        path: '/bug',
        handler: async () => {
          throw new TypeError('x is undefined');
        },
      },
    ]);
  });
  afterAll(() => api.close());

  const raw = async (path: string, method: string, body?: string) => {
    const res = await fetch(`${api.url}${path}`, { method, body, headers: { 'content-type': 'application/json' } });
    const json = (await res.json()) as unknown;
    if (res.status >= 400) expect(Value.Check(ErrorBodySchema, json), JSON.stringify(json)).toBe(true);
    return { status: res.status, body: json as { error: { code: string; message: string; details?: unknown } } };
  };

  it('a bad body is API_BAD_REQUEST naming the field, with the problems as details', async () => {
    expect(await raw('/set', 'POST', '{"mode":"a"}')).toEqual({ status: 200, body: { mode: 'a' } });
    const bad = await raw('/set', 'POST', '{"mode":"c","extra":1}');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toEqual({
      code: 'API_BAD_REQUEST',
      message: 'invalid settings:\n  extra: unknown field (known: mode)\n  mode: must be one of a, b (got "c")',
      details: {
        problems: [
          { field: 'extra', problem: 'unknown field (known: mode)' },
          { field: 'mode', problem: 'must be one of a, b (got "c")' },
        ],
      },
    });
    expect(await raw('/set', 'POST', '{not json')).toMatchObject({ status: 400, body: { error: { code: 'API_BAD_REQUEST' } } });
  });

  it('unknown routes and methods are API_NOT_FOUND; refusals keep their code; failures are API_INTERNAL', async () => {
    expect(await raw('/nope', 'GET')).toMatchObject({ status: 404, body: { error: { code: 'API_NOT_FOUND' } } });
    expect(await raw('/set', 'GET')).toMatchObject({
      status: 405,
      body: { error: { code: 'API_NOT_FOUND', message: expect.stringContaining('use POST') } },
    });
    expect(await raw('/refuse', 'POST')).toMatchObject({ status: 409, body: { error: { code: 'SRV_ALREADY_RUNNING' } } });
    expect(await raw('/foreign', 'POST')).toMatchObject({
      status: 500,
      body: { error: { code: 'API_INTERNAL', message: 'MIRROR_SOMETHING: a code of no catalogue' } },
    });
    expect(await raw('/bug', 'GET')).toMatchObject({
      status: 500,
      body: { error: { code: 'API_INTERNAL', message: expect.stringContaining('x is undefined') } },
    });
  });

  it('callJson rejects with ApiError carrying the code and details, or API_NO_ANSWER / API_BAD_REPLY', async () => {
    await expect(callJson(`${api.url}/refuse`, 'POST', {})).rejects.toMatchObject({ status: 409, code: 'SRV_ALREADY_RUNNING' });
    await expect(callJson(`${api.url}/set`, 'POST', { mode: 'c' })).rejects.toMatchObject({
      code: 'API_BAD_REQUEST',
      details: { problems: [{ field: 'mode' }] },
    });
    // Nobody listens: the port of a server that was closed.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await callJson(`http://127.0.0.1:${port}/status`, 'GET').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 0, code: 'API_NO_ANSWER', message: expect.stringContaining('ECONNREFUSED') });
    // An answer without the error shape.
    const odd = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"oops":true}');
    });
    await new Promise<void>((r) => odd.listen(0, '127.0.0.1', r));
    try {
      await expect(callJson(`http://127.0.0.1:${(odd.address() as AddressInfo).port}/x`, 'GET')).rejects.toMatchObject({
        status: 503,
        code: 'API_BAD_REPLY',
      });
    } finally {
      await new Promise((r) => odd.close(r));
    }
  });
});
