// How a server's notifications reach the parts that follow it: its ports (and, through ports
// that change, the paths behind them), its paths, its single virtual disks and the mirrored
// virtual disks it holds a copy of. Resolved once per model into a table of precomputed sends,
// so that a step of the group only looks routes up.

import type { EventObject } from 'xstate';
import type { Component } from './component.js';
import type { GroupLayout } from './group-layout.js';
import type { CopyDown } from './mirror-machine.js';

/** A precomputed delivery: which component, and the id of the event it receives. */
export interface Route {
  part: number;
  event: number;
}

/** The route that delivers `event` to component `part`. */
export function route(components: readonly Component[], part: number, event: EventObject): Route {
  return { part, event: components[part]!.eventId(event) };
}

/** Sends an event (by id) to a component of `next`; records its new snapshot, returns what it emitted. */
export function deliver(components: readonly Component[], next: number[], part: number, eventId: number): readonly EventObject[] {
  const r = components[part]!.send(next[part]!, eventId);
  next[part] = r.next;
  return r.emitted;
}

/**
 * What a server tells the parts that follow it (server-machine.ts `ServerEmitted`, refusals
 * aside): the machine powered on or off, virtualization started, virtualization stopped
 * gracefully or by a crash (SRV-11: the volatile cache is lost), or the backend pool failed or
 * came back under running virtualization (SRV-14).
 */
export type ServerNotification = 'powerOn' | 'powerOff' | 'started' | 'stopped' | 'crashed' | 'poolLost' | 'poolBack';

/** Every notification kind, in the order the table lists them. */
export const serverNotifications: readonly ServerNotification[] = [
  'powerOn',
  'powerOff',
  'started',
  'stopped',
  'crashed',
  'poolLost',
  'poolBack',
];

/** The event a server emits for each notification kind (its ports receive it as is). */
const notificationEvents: Record<ServerNotification, EventObject> = {
  powerOn: { type: 'powerOn' },
  powerOff: { type: 'powerOff' },
  started: { type: 'virtualizationStarted' },
  stopped: { type: 'virtualizationStopped', crashed: false } as EventObject,
  crashed: { type: 'virtualizationStopped', crashed: true } as EventObject,
  poolLost: { type: 'poolLost' },
  poolBack: { type: 'poolBack' },
};

/** The kind of a server's notification. */
export function notificationKind(n: EventObject): ServerNotification {
  switch (n.type) {
    case 'powerOn':
      return 'powerOn';
    case 'powerOff':
      return 'powerOff';
    case 'virtualizationStarted':
      return 'started';
    case 'poolLost':
      return 'poolLost';
    case 'poolBack':
      return 'poolBack';
    default:
      return (n as { crashed?: boolean }).crashed ? 'crashed' : 'stopped';
  }
}

/** A mirror told that a copy went down, with the notification it stands for. */
export interface CopyDownRoute {
  mirror: number;
  down: CopyDown;
  route: Route;
}

/** The deliveries one notification of one server makes. */
export interface NotificationRoutes {
  /** The server's ports receive the notification; ports that change notify their paths. */
  ports: Route[];
  /** Paths, single disks and mirrors that receive a follow-up event directly. */
  direct: Route[];
  /** Mirrors told that this server's copy went down (stop or crash). */
  downs: CopyDownRoute[];
}

/** Paths that follow a port when it is enabled or disabled. */
interface PortFollowers {
  portEnabled: Route[];
  portDisabled: Route[];
}

/** `copiesDown` events, one object per distinct list of copies (so that components intern them once). */
export class CopiesDownEvents {
  private readonly events = new Map<string, EventObject>();

  of(copies: CopyDown[]): EventObject {
    const key = JSON.stringify(copies);
    let e = this.events.get(key);
    if (!e) {
      e = { type: 'copiesDown', copies } as EventObject;
      this.events.set(key, e);
    }
    return e;
  }
}

/** The routes of every server's notifications, resolved once. */
export class RoutingTable {
  /** byServer[component index of the server][kind]. */
  private readonly byServer: Array<Record<ServerNotification, NotificationRoutes>> = [];
  private readonly portFollowers = new Map<number, PortFollowers>();
  private readonly components: readonly Component[];

  constructor(layout: GroupLayout, copiesDown: CopiesDownEvents) {
    const { components } = layout;
    this.components = components;
    const to = (part: number, event: EventObject) => route(components, part, event);
    for (const s of layout.topology.servers) {
      const table = {} as Record<ServerNotification, NotificationRoutes>;
      for (const kind of serverNotifications) {
        const n = notificationEvents[kind];
        const pool = kind === 'poolLost' || kind === 'poolBack';
        // Ports follow the machine and virtualization, not the storage behind them.
        const ports = pool ? [] : (layout.portsOf.get(s.name) ?? []).map((p) => to(p, n));
        const direct: Route[] = [];
        const downs: CopyDownRoute[] = [];
        if (pool) {
          // SRV-14: the server's disks lose or regain their storage (the notification, forwarded);
          // its ports and paths stay as they are.
          for (const v of layout.singlesOf.get(s.name) ?? []) direct.push(to(v, n));
          for (const m of layout.mirrorsOf.get(s.name) ?? []) direct.push(to(m, { type: n.type, server: s.name } as EventObject));
        } else if (kind === 'started' || kind === 'stopped' || kind === 'crashed') {
          const pathEvent = { type: kind === 'started' ? 'serverRunning' : 'serverStopped' };
          for (const p of layout.pathsOf.get(s.name) ?? []) direct.push(to(p, pathEvent));
          for (const v of layout.singlesOf.get(s.name) ?? []) direct.push(to(v, pathEvent));
          for (const m of layout.mirrorsOf.get(s.name) ?? []) {
            if (kind === 'started') {
              direct.push(to(m, { type: 'copyUp', server: s.name } as EventObject));
            } else {
              const down = { server: s.name, crashed: kind === 'crashed' };
              downs.push({ mirror: m, down, route: to(m, copiesDown.of([down])) });
            }
          }
        }
        table[kind] = { ports, direct, downs };
      }
      this.byServer[layout.serverIdx.get(s.name)!] = table;
    }
    for (const ports of layout.portsOf.values()) {
      for (const p of ports) {
        const paths = layout.pathsByPort.get(components[p]!.name) ?? [];
        this.portFollowers.set(p, {
          portEnabled: paths.map((x) => to(x, { type: 'portEnabled' })),
          portDisabled: paths.map((x) => to(x, { type: 'portDisabled' })),
        });
      }
    }
  }

  /**
   * Routes a server's notification to its ports, paths and virtual disks. With `downs`, the
   * copies that went down are collected there instead of sent (a site crash tells each mirror
   * of every crash at once).
   */
  notify(next: number[], server: number, n: EventObject, downs: Map<number, CopyDown[]> | null): void {
    const r = this.byServer[server]![notificationKind(n)];
    const components = this.components;
    for (const p of r.ports) {
      for (const e of deliver(components, next, p.part, p.event)) {
        const followers = this.portFollowers.get(p.part)![e.type as keyof PortFollowers];
        for (const f of followers) deliver(components, next, f.part, f.event);
      }
    }
    for (const d of r.direct) deliver(components, next, d.part, d.event);
    for (const d of r.downs) {
      if (downs) {
        const list = downs.get(d.mirror);
        if (list) list.push(d.down);
        else downs.set(d.mirror, [d.down]);
      } else deliver(components, next, d.route.part, d.route.event);
    }
  }
}
