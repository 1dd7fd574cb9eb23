import type { CacheSettings } from '../config/types.js';
import { HttpError, serveJson, type Route } from '../util/json-http.js';
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

type Obj = Record<string, unknown>;

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
      handler: (body) =>
        guarded(async () => {
          const b = (body ?? {}) as Obj;
          const settings: Partial<CacheSettings> = {};
          if (b.mode !== undefined) {
            if (b.mode !== 'writeBack' && b.mode !== 'writeThrough')
              throw new HttpError(400, 'BAD_CACHE_MODE', 'mode must be writeBack or writeThrough');
            settings.mode = b.mode;
          }
          if (b.sizeMiB !== undefined) {
            if (typeof b.sizeMiB !== 'number' || !Number.isInteger(b.sizeMiB) || b.sizeMiB < 1)
              throw new HttpError(400, 'BAD_CACHE_SIZE', 'sizeMiB must be a positive integer');
            settings.sizeMiB = b.sizeMiB;
          }
          if (Object.keys(settings).length === 0) throw new HttpError(400, 'BAD_CACHE_SETTINGS', 'give mode and/or sizeMiB');
          await server.setCache(settings);
        }),
    },
    {
      method: 'POST',
      path: '/ups',
      handler: (body) =>
        guarded(async () => {
          const event = ((body ?? {}) as Obj).event;
          if (event !== 'battery' && event !== 'mains' && event !== 'low')
            throw new HttpError(400, 'BAD_UPS_EVENT', 'event must be battery, mains or low');
          await server.setUps(event);
        }),
    },
    ...extra,
  ];
  return serveJson(routes, port);
}
