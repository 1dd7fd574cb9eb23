import { join } from 'node:path';
import type { CacheSettings } from '../config/types.js';
import { readJson, writeJsonAtomic } from '../util/atomic-file.js';

/**
 * What a server remembers across power cycles and crashes. Written with write-then-rename and
 * fsync (writeJsonAtomic), so a kill at any instant leaves the old or the new record.
 */
export interface PersistedServerState {
  version: 1;
  /** The last intended state: what a clean power-on restores (SRV-8, SRV-9). */
  resumeAs: 'running' | 'stopped';
  /** Written true by a graceful shutdown, false at power-on: false at power-on means a crash (SRV-10). */
  cleanShutdown: boolean;
  /** Cache settings in force since the last start (SRV-6). */
  cacheApplied: CacheSettings;
  /** Cache settings that apply at the next start, or null (SRV-6). */
  cachePending: CacheSettings | null;
  /** When automatic restarts happened (ms since epoch), to count them within the window (SRV-10). */
  autoRestarts: number[];
  /** Power-on count, for logs. */
  boots: number;
}

/** Paths of a server's files inside the group directory. */
export function serverPaths(groupDir: string, server: string) {
  const dir = join(groupDir, 'servers', server);
  return {
    dir,
    state: join(dir, 'state.json'),
    disks: join(dir, 'disks'),
    mirror: join(dir, 'mirror'),
    log: join(dir, 'server.log'),
    pid: join(dir, 'pid'),
    socket: (port: string) => join(dir, `${port}.sock`),
  };
}

export async function loadServerState(path: string, initialCache: CacheSettings): Promise<PersistedServerState | undefined> {
  const s = await readJson<PersistedServerState>(path);
  if (s === undefined) return undefined;
  if (s.version !== 1 || (s.resumeAs !== 'running' && s.resumeAs !== 'stopped')) {
    throw new Error(`${path} is not a server state record this engine understands; move it away to start afresh`);
  }
  return { ...s, cacheApplied: s.cacheApplied ?? initialCache, autoRestarts: s.autoRestarts ?? [] };
}

export function saveServerState(path: string, state: PersistedServerState): Promise<void> {
  return writeJsonAtomic(path, state);
}
