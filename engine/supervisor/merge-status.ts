import { disksOn, portMode } from '../config/load-config.js';
import type { GroupConfig } from '../config/types.js';
import { fault } from '../faults.js';
import type { PersistedServerState } from '../server/persisted-state.js';
import type { ServerReport } from '../server/storage-server.js';
import type { GroupStatus, MirrorLinkStatus, ServerStatus, VirtualDiskStatus } from '../../contracts/status.js';

/** What the supervisor knows of a machine that is powered off. */
export interface OffMachine {
  /** The server's persisted record (undefined if it never ran). */
  persisted: PersistedServerState | undefined;
  ups: 'mains' | 'battery';
}

/**
 * The group status (CF-2) from the running servers' reports and what the supervisor knows of
 * the machines that are off (their persisted records). For a mirrored disk, the report of a
 * running server holding a copy is authoritative (they exchange state over the mirror link);
 * with no such server, the disk's state is unknown (MIR-9).
 */
export function mergeStatus(
  config: GroupConfig,
  reports: Map<string, ServerReport>,
  off: Map<string, OffMachine>,
  windowMs: number,
  /** Mirror links as the supervisor's fault switch has them (MIR-13): a physical fact, not a connection state. */
  mirrorLinks: MirrorLinkStatus[],
): GroupStatus {
  const servers: ServerStatus[] = config.servers.map((s) => {
    const r = reports.get(s.name);
    if (r) return r.server;
    const m = off.get(s.name);
    const p = m?.persisted;
    const applied = p?.cacheApplied.mode ?? s.cache.mode;
    const pending = p?.cachePending && p.cachePending.mode !== applied ? p.cachePending.mode : null;
    return {
      name: s.name,
      power: 'off',
      state: 'stopped',
      seenAs: p?.cleanShutdown === false || fault('cleanShutdownFailed') ? 'Failed' : 'Unavailable',
      ups: m?.ups ?? 'mains',
      cache: { applied, pending, effective: m?.ups === 'battery' ? 'writeThrough' : applied },
      autoRestartsUsed: (p?.autoRestarts ?? []).filter((t) => Date.now() - t < windowMs).length,
    };
  });
  const ports = config.servers.flatMap(
    (s) =>
      reports.get(s.name)?.ports ??
      s.ports.map((p) => ({ server: s.name, name: p.name, roles: p.roles, mode: portMode(p), enabled: false })),
  );
  // Host-major, like the model: every host's path to every server.
  const paths = config.hosts.flatMap((host) =>
    config.servers.map((s) => {
      const fromReport = reports.get(s.name)?.paths.find((p) => p.host === host);
      if (fromReport) return fromReport;
      const fe = s.ports.find((p) => p.roles.includes('frontEnd'))!;
      return {
        host,
        server: s.name,
        port: fe.name,
        online: false,
        alua: Object.fromEntries(disksOn(config, s.name).map((v) => [v.name, 'unavailable' as const])),
      };
    }),
  );
  const virtualDisks: VirtualDiskStatus[] = config.virtualDisks.map((v) => {
    if (v.kind === 'single') {
      const r = reports.get(v.server)?.virtualDisks.find((x) => x.name === v.name);
      return (
        r ?? {
          name: v.name,
          kind: 'single',
          status: 'offline',
          hostAccess: 'disabled',
          copies: [{ server: v.server, preferred: true, dataStatus: 'upToDate' }],
        }
      );
    }
    const views = v.copies.flatMap((s) => reports.get(s)?.virtualDisks.find((x) => x.name === v.name) ?? []);
    // Prefer a view that grants access, then any view of a running holder.
    const serving = views.find((x) => x.hostAccess === 'readWrite');
    if (serving) {
      // A copy whose server runs but cannot join the serving copy (the link is down) waits:
      // its recovery is pending, not needed (MIR-4, MIR-13).
      const cutOff = (server: string) => {
        const own = reports.get(server);
        return own?.server.state === 'running' && own.virtualDisks.find((x) => x.name === v.name)?.hostAccess === 'disabled';
      };
      const pending: Partial<Record<string, VirtualDiskStatus['copies'][number]['dataStatus']>> = {
        upToDate: 'logRecoveryPending',
        logRecoveryNeeded: 'logRecoveryPending',
        fullRecoveryNeeded: 'fullRecoveryPending',
      };
      return {
        ...serving,
        copies: serving.copies.map((c) => (cutOff(c.server) && pending[c.dataStatus] ? { ...c, dataStatus: pending[c.dataStatus]! } : c)),
      };
    }
    // No access: a running holder knows the disk's state (doubleFailure, recovery waiting); a
    // stopped one only reports what it cannot see (MIR-9, MIR-11).
    const running = v.copies.flatMap((s) =>
      reports.get(s)?.server.state === 'running' ? (reports.get(s)?.virtualDisks.find((x) => x.name === v.name) ?? []) : [],
    );
    return (
      running[0] ??
      views[0] ?? {
        name: v.name,
        kind: 'mirrored',
        status: 'unknown',
        hostAccess: 'disabled',
        copies: v.copies.map((server, i) => ({ server, preferred: i === 0, dataStatus: 'unknown' })),
      }
    );
  });
  return { servers, ports, paths, virtualDisks, mirrorLinks };
}
