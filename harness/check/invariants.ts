import type { GroupEvent, GroupStatus, PathStatus, ServerStatus } from '../../models/types.js';
import type { StateInvariant, TransitionInvariant } from '../types.js';

const server = (s: GroupStatus, name: string): ServerStatus | undefined => s.servers.find((x) => x.name === name);
const running = (s: GroupStatus, name: string) => server(s, name)?.state === 'running';
const mirrored = (s: GroupStatus) => s.virtualDisks.filter((v) => v.kind === 'mirrored');
const linkUp = (s: GroupStatus, a: string, b: string) => s.mirrorLinks.some((l) => l.up && l.servers.includes(a) && l.servers.includes(b));
const inRecovery = (d: string) => d === 'inLogRecovery' || d === 'inFullRecovery';
const activeAlua = (a: string | undefined) => a === 'activeOptimized' || a === 'activeNonOptimized';
const takesIo = (s: GroupStatus, vdisk: string, srv: string) =>
  s.paths.some((p) => p.server === srv && p.online && activeAlua(p.alua[vdisk]));
/** PTH-1: a path's host is connected (always, in topologies without the hostConnections feature). */
const hostConnected = (p: PathStatus) => p.hostConnected !== false;
/** SRV-14: a server's backend pool is available (always, in topologies without the backendPools feature). */
const poolUp = (s: GroupStatus, name: string) => server(s, name)?.pool !== 'unavailable';
/** A virtual disk's copy on a server can serve: the server runs and its backend pool is available (SRV-14). */
const copyUp = (s: GroupStatus, name: string) => running(s, name) && poolUp(s, name);

/** First problem found by `f` over items, or null. */
function first<T>(items: readonly T[], f: (item: T) => string | null): string | null {
  for (const item of items) {
    const problem = f(item);
    if (problem) return problem;
  }
  return null;
}

/** Safety properties of every reachable state. */
export const stateInvariants: StateInvariant[] = [
  {
    id: 'host-access-needs-up-to-date-copy',
    spec: ['MIR-2', 'MIR-9'],
    description: "host access to a mirrored virtual disk is enabled only while some up-to-date copy's server runs",
    check: (s) =>
      first(mirrored(s), (v) =>
        v.hostAccess === 'readWrite' && !v.copies.some((c) => c.dataStatus === 'upToDate' && copyUp(s, c.server))
          ? `${v.name} grants host access but no running server holds an up-to-date copy`
          : null,
      ),
  },
  {
    id: 'single-disk-served-iff-server-runs',
    spec: ['VD-1', 'SRV-14'],
    description: 'a single virtual disk is accessible iff its server runs (and its backend pool is available)',
    check: (s) =>
      first(
        s.virtualDisks.filter((v) => v.kind === 'single'),
        (v) => {
          const up = copyUp(s, v.copies[0]!.server);
          const accessible = v.hostAccess === 'readWrite' && v.status === 'online';
          return up === accessible
            ? null
            : `${v.name} is ${accessible ? '' : 'not '}accessible while ${v.copies[0]!.server} is ${up ? '' : 'not '}running`;
        },
      ),
  },
  {
    id: 'path-online-iff-port-enabled-and-server-runs',
    spec: ['PTH-1', 'PTH-2', 'SRV-5'],
    description: 'a front-end path is online iff its host is connected, its port is enabled and its server runs',
    check: (s) =>
      first(s.paths, (p) => {
        const port = s.ports.find((x) => x.server === p.server && x.name === p.port);
        const should = hostConnected(p) && !!port?.enabled && running(s, p.server);
        return p.online === should
          ? null
          : `path ${p.host}->${p.server}/${p.port} is ${p.online ? 'online' : 'offline'} but should be ${should ? 'online' : 'offline'}`;
      }),
  },
  {
    id: 'port-enabled-follows-mode',
    spec: ['PRT-2', 'PRT-3', 'SRV-2'],
    description: 'Target Only ports are enabled iff the server runs; other ports iff the machine is on',
    check: (s) =>
      first(s.ports, (p) => {
        const srv = server(s, p.server);
        const should = p.mode === 'targetOnly' ? srv?.state === 'running' : srv?.power === 'on';
        return p.enabled === should
          ? null
          : `port ${p.server}/${p.name} (${p.mode}) is ${p.enabled ? 'enabled' : 'disabled'} with the server ${srv?.power}/${srv?.state}`;
      }),
  },
  {
    id: 'recovery-source-is-up-to-date',
    spec: ['MIR-7', 'MIR-10'],
    description: 'a copy in recovery has an up-to-date copy on a running, connected server as its source',
    check: (s) =>
      first(mirrored(s), (v) =>
        first(v.copies, (c) =>
          inRecovery(c.dataStatus) &&
          !v.copies.some((o) => o !== c && o.dataStatus === 'upToDate' && copyUp(s, o.server) && linkUp(s, o.server, c.server))
            ? `${v.name} copy on ${c.server} is ${c.dataStatus} without an up-to-date source`
            : null,
        ),
      ),
  },
  {
    id: 'no-split-brain',
    spec: ['MIR-13', 'MIR-1'],
    description: 'copies that hosts can write through are up to date, on running servers, and connected to each other',
    check: (s) =>
      first(mirrored(s), (v) => {
        const writable = v.copies.filter((c) => s.paths.some((p) => p.server === c.server && p.online && activeAlua(p.alua[v.name])));
        const bad = writable.find((c) => c.dataStatus !== 'upToDate' || !copyUp(s, c.server));
        if (bad) return `${v.name} takes host writes through ${bad.server} whose copy is ${bad.dataStatus}`;
        for (const a of writable) {
          for (const b of writable) {
            if (a !== b && !linkUp(s, a.server, b.server))
              return `${v.name} takes host writes on ${a.server} and ${b.server} while their mirror link is down`;
          }
        }
        return null;
      }),
  },
  {
    id: 'unknown-disables-access',
    spec: ['MIR-9', 'MIR-11'],
    description: 'a mirrored virtual disk whose state is unknown has host access disabled, and no active path',
    check: (s) =>
      first(mirrored(s), (v) => {
        if (v.status === 'unknown' && v.hostAccess !== 'disabled') return `${v.name} is unknown but grants host access`;
        if (v.hostAccess === 'disabled' && s.paths.some((p) => activeAlua(p.alua[v.name])))
          return `${v.name} has host access disabled but an active path`;
        return null;
      }),
  },
  {
    id: 'online-means-redundant',
    spec: ['MIR-4', 'MIR-7'],
    description: 'a mirrored virtual disk is online only when every copy is up to date on a running server',
    check: (s) =>
      first(mirrored(s), (v) =>
        v.status === 'online' && !v.copies.every((c) => c.dataStatus === 'upToDate' && copyUp(s, c.server))
          ? `${v.name} is online with a copy that is not up to date or not running`
          : null,
      ),
  },
  {
    id: 'one-optimized-path',
    spec: ['PTH-3'],
    description:
      'while a mirrored virtual disk has host access, each connected host has exactly one Active/Optimized path to it, to the preferred server when its copy serves',
    check: (s, t) =>
      first(mirrored(s), (v) =>
        v.hostAccess !== 'readWrite'
          ? null
          : first(t.hosts, (h) => {
              if (!s.paths.some((p) => p.host === h && hostConnected(p))) return null;
              const optimized = s.paths.filter((p) => p.host === h && p.alua[v.name] === 'activeOptimized');
              if (optimized.length !== 1) return `${h} has ${optimized.length} Active/Optimized paths to ${v.name}`;
              const preferred = v.copies.find((c) => c.preferred)!;
              const preferredServes = s.paths.some((p) => p.host === h && p.server === preferred.server && activeAlua(p.alua[v.name]));
              return preferredServes && optimized[0]!.server !== preferred.server
                ? `${h} is optimized to ${optimized[0]!.server} while the preferred copy on ${preferred.server} serves`
                : null;
            }),
      ),
  },
  {
    id: 'no-recovery-on-stopped-server',
    spec: ['SRV-4'],
    description: 'a copy whose server is not running is never pending or in recovery: nothing that needs drivers runs while stopped',
    check: (s) =>
      first(mirrored(s), (v) =>
        first(v.copies, (c) =>
          (inRecovery(c.dataStatus) || c.dataStatus === 'logRecoveryPending' || c.dataStatus === 'fullRecoveryPending') &&
          !running(s, c.server)
            ? `${v.name} copy on ${c.server} is ${c.dataStatus} while its server is ${server(s, c.server)?.power === 'off' ? 'off' : 'stopped'}`
            : null,
        ),
      ),
  },
  {
    id: 'write-through-on-battery',
    spec: ['SRV-13'],
    description: 'the effective cache of a server on battery is write-through',
    check: (s) =>
      first(s.servers, (x) =>
        x.ups === 'battery' && x.cache.effective !== 'writeThrough' ? `${x.name} is on battery with the cache ${x.cache.effective}` : null,
      ),
  },
  {
    id: 'no-io-without-pool',
    spec: ['SRV-14'],
    description:
      'nothing is served from a server whose backend pool is unavailable: no path takes host I/O for its disks, and no copy on it is pending or in recovery',
    check: (s) =>
      first(
        s.servers.filter((x) => x.pool === 'unavailable'),
        (x) => {
          const io = s.virtualDisks.find((v) => takesIo(s, v.name, x.name));
          if (io) return `${io.name} takes host I/O on ${x.name}, whose backend pool is unavailable`;
          return first(mirrored(s), (v) =>
            first(v.copies, (c) =>
              c.server === x.name &&
              (inRecovery(c.dataStatus) || c.dataStatus === 'logRecoveryPending' || c.dataStatus === 'fullRecoveryPending')
                ? `${v.name} copy on ${x.name} is ${c.dataStatus} while its backend pool is unavailable`
                : null,
            ),
          );
        },
      ),
  },
  {
    id: 'seen-as-follows-state',
    spec: ['SRV-1', 'SRV-7'],
    description: 'a powered-on server is seen as Running while it runs and Stopped otherwise',
    check: (s) =>
      first(s.servers, (x) => {
        if (x.power === 'off') return null;
        const should = x.state === 'running' ? 'Running' : 'Stopped';
        return x.seenAs === should ? null : `${x.name} is ${x.state} but seen as ${x.seenAs}`;
      }),
  },
];

const isServerEvent = (e: GroupEvent): e is Extract<GroupEvent, { server: string }> => 'server' in e;

/** Properties of every transition. */
export const transitionInvariants: TransitionInvariant[] = [
  {
    id: 'no-auto-start-after-crash',
    spec: ['SRV-10'],
    description: 'after an unexpected restart a server comes up stopped, unless it uses one of its automatic restart attempts',
    events: ['powerOn'],
    check: (before, event, after, t) => {
      if (event.type !== 'powerOn') return null;
      const b = server(before, event.server);
      const a = server(after, event.server);
      if (!b || !a || b.seenAs !== 'Failed' || a.state !== 'running') return null;
      const limit = t.servers.find((x) => x.name === event.server)?.autoRestartAttempts ?? 0;
      return a.autoRestartsUsed === b.autoRestartsUsed + 1 && a.autoRestartsUsed <= limit
        ? null
        : `${event.server} started by itself after a crash (automatic restarts used ${b.autoRestartsUsed} -> ${a.autoRestartsUsed}, allowed ${limit})`;
    },
  },
  {
    id: 'cache-settings-apply-at-start',
    spec: ['SRV-6'],
    description: 'applied cache settings change only when virtualization starts, and then to the pending settings',
    events: [
      'start',
      'restart',
      'powerOn',
      'stop',
      'shutdown',
      'crash',
      'siteCrash',
      'setCache',
      'onBattery',
      'mainsRestored',
      'batteryLow',
    ],
    check: (before, event, after) =>
      first(after.servers, (a) => {
        const b = server(before, a.name);
        if (!b || b.cache.applied === a.cache.applied) return null;
        const started = a.state === 'running' && (b.state !== 'running' || (event.type === 'restart' && event.server === a.name));
        return started && b.cache.pending === a.cache.applied
          ? null
          : `${a.name} applied cache ${b.cache.applied} -> ${a.cache.applied} on ${event.type} without a start`;
      }),
  },
  {
    id: 'failover-keeps-access',
    spec: ['MIR-2'],
    description:
      'when one server goes down, hosts keep access to a mirrored virtual disk through another running server with an up-to-date, connected copy',
    events: ['stop', 'shutdown', 'restart', 'crash', 'batteryLow', 'poolFail'],
    check: (before, event, after) => {
      if (!isServerEvent(event)) return null;
      return first(mirrored(before), (v) => {
        const a = after.virtualDisks.find((x) => x.name === v.name)!;
        if (v.hostAccess !== 'readWrite' || a.hostAccess === 'readWrite') return null;
        const survivor = v.copies.find(
          (c) => c.server !== event.server && c.dataStatus === 'upToDate' && copyUp(before, c.server) && copyUp(after, c.server),
        );
        return survivor
          ? `${v.name} lost host access on ${event.type} ${event.server} although ${survivor.server} kept an up-to-date copy`
          : null;
      });
    },
  },
  {
    id: 'inapplicable-commands-refused',
    spec: ['SRV-12'],
    description:
      'start while running, stop while stopped, start, stop, restart or shutdown while off, and power-on while on are refused and change nothing',
    events: ['stop', 'start', 'shutdown', 'restart', 'powerOn'],
    // Refused events are not transitions: any accepted one that does not apply is a violation.
    check: (before, event) => {
      if (!isServerEvent(event)) return null;
      const b = server(before, event.server);
      if (!b) return null;
      const applies =
        b.power === 'off'
          ? event.type === 'powerOn'
          : event.type === 'stop'
            ? b.state === 'running'
            : event.type === 'start'
              ? b.state !== 'running'
              : event.type !== 'powerOn';
      return applies ? null : `${event.type} ${event.server} was accepted with the server ${b.power}/${b.state}; it must be refused`;
    },
  },
  {
    id: 'start-needs-pool',
    spec: ['SRV-14', 'SRV-12'],
    description:
      'virtualization never starts on a server whose backend pool is unavailable: start and restart are refused, power-on comes up stopped',
    events: ['start', 'restart', 'powerOn'],
    check: (before, event, after) => {
      if (!isServerEvent(event)) return null;
      const b = server(before, event.server);
      const a = server(after, event.server);
      if (!a || !b || a.pool !== 'unavailable' || a.state !== 'running') return null;
      return b.state !== 'running' || event.type === 'restart'
        ? `${event.type} ${event.server} started virtualization although its backend pool is unavailable`
        : null;
    },
  },
  {
    id: 'host-connection-follows-host-events',
    spec: ['PTH-1'],
    description:
      "a host disconnect takes every path from that host offline and marks it disconnected; a reconnect marks them connected; other hosts' paths keep their connection",
    events: ['hostDisconnect', 'hostReconnect'],
    check: (before, event, after) => {
      if (event.type !== 'hostDisconnect' && event.type !== 'hostReconnect') return null;
      const connected = event.type === 'hostReconnect';
      return first(after.paths, (p) => {
        const b = before.paths.find((x) => x.host === p.host && x.server === p.server);
        const should = p.host === event.host ? connected : b?.hostConnected;
        if (p.hostConnected !== should) {
          return `after ${event.type} ${event.host}, path ${p.host}->${p.server} reports hostConnected ${p.hostConnected}, not ${should}`;
        }
        return p.host === event.host && !connected && p.online
          ? `after hostDisconnect ${event.host}, path ${p.host}->${p.server} is online`
          : null;
      });
    },
  },
  {
    id: 'restart-restores-state',
    spec: ['SRV-9'],
    description: 'an intentional restart brings the server back in the state it had: running if it ran, stopped if it was stopped',
    events: ['restart'],
    check: (before, event, after) => {
      if (event.type !== 'restart') return null;
      const b = server(before, event.server);
      const a = server(after, event.server);
      return b && a && (a.power !== 'on' || a.state !== b.state)
        ? `restart ${event.server} took it from ${b.power}/${b.state} to ${a.power}/${a.state}`
        : null;
    },
  },
  {
    id: 'battery-low-stops',
    spec: ['SRV-13'],
    description: 'battery low on a running server ends with it stopped gracefully, powered on and seen as Stopped',
    events: ['batteryLow'],
    check: (_before, event, after) => {
      if (event.type !== 'batteryLow') return null;
      const a = server(after, event.server);
      return a && (a.power !== 'on' || a.state !== 'stopped' || a.seenAs !== 'Stopped')
        ? `batteryLow ${event.server} left it ${a.power}/${a.state}, seen as ${a.seenAs}`
        : null;
    },
  },
  {
    id: 'partition-keeps-preferred-side',
    spec: ['MIR-13'],
    description:
      'when the mirror link fails between two copies that both serve hosts, only the preferred copy keeps host access; the other reports unavailable',
    events: ['linkDown'],
    check: (before, event, after) => {
      if (event.type !== 'linkDown') return null;
      return first(mirrored(before), (v) => {
        if (!v.copies.every((c) => event.servers.includes(c.server))) return null;
        if (!v.copies.every((c) => takesIo(before, v.name, c.server))) return null;
        const wrong = v.copies.find((c) => takesIo(after, v.name, c.server) !== c.preferred);
        return wrong
          ? `after linkDown ${event.servers.join('-')}, ${v.name} on ${wrong.server} (${wrong.preferred ? 'preferred' : 'not preferred'}) ${wrong.preferred ? 'lost' : 'kept'} host access`
          : null;
      });
    },
  },
];

/** The fully healthy state: every server running, every disk online, every path online, every link up. */
export function healthy(s: GroupStatus): boolean {
  return (
    s.servers.every((x) => x.state === 'running') &&
    s.virtualDisks.every((v) => v.status === 'online') &&
    s.paths.every((p) => p.online) &&
    s.mirrorLinks.every((l) => l.up)
  );
}

/** Faults the world injects; recoverability asks whether the rest of the events repair everything. */
export const faultEvents: ReadonlySet<GroupEvent['type']> = new Set(['crash', 'siteCrash', 'linkDown', 'onBattery', 'batteryLow']);
