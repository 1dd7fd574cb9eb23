import { HttpError, parseBody, serveJson, type Route } from '../util/json-http.js';
import { CacheBodySchema, UpsBodySchema } from './api-bodies.js';
import { RefusedError, type StorageServer } from './storage-server.js';

/** Maps refusals (SRV-12) to 409 answers carrying the stable code. */
async function guarded<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (error) {
    if (error instanceof RefusedError) throw new HttpError(409, error.code, error.message);
    throw error;
  }
}

/**
 * The management API of one server, HTTP + JSON on 127.0.0.1: status, stop, start, shutdown,
 * cache settings, UPS events, and whatever the mirror layer adds. `onShutdown` runs after a
 * graceful shutdown has been answered (the process then exits).
 */
export function serveManagementApi(server: StorageServer, port: number, onShutdown: () => void, extra: Route[] = []) {
  const routes: Route[] = [
    { method: 'GET', path: '/status', handler: async () => server.report() },
    { method: 'POST', path: '/stop', handler: () => guarded(() => server.stop()) },
    { method: 'POST', path: '/start', handler: () => guarded(() => server.start()) },
    {
      method: 'POST',
      path: '/shutdown',
      handler: async () => {
        await server.shutdown();
        setImmediate(onShutdown);
        return { ok: true };
      },
    },
    {
      method: 'POST',
      path: '/cache',
      handler: (body) => guarded(() => server.setCache(parseBody(CacheBodySchema, body, 'cache settings'))),
    },
    {
      method: 'POST',
      path: '/ups',
      handler: (body) => guarded(() => server.setUps(parseBody(UpsBodySchema, body, 'UPS event').event)),
    },
    ...extra,
  ];
  return serveJson(routes, port);
}
