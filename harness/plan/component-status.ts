// A component's observable status: its entry in the CF-2 status (a server, a port, a path, a
// virtual disk), written as one short line. The line is injective: two entries of one component
// instance get the same line only if they are equal, so lines can stand for the entries when
// component transitions are counted and named.

import type { CacheMode, GroupStatus, PathStatus, PortStatus, ServerStatus, VirtualDiskStatus } from '../../models/types.js';

/** The component kinds whose status transitions the `components` criterion covers. */
export type ComponentKind = 'server' | 'port' | 'path' | 'single disk' | 'mirrored disk';

/** The sections of the CF-2 status that hold one entry per component, in a fixed order. */
export const componentSections = ['servers', 'ports', 'paths', 'virtualDisks'] as const;
export type ComponentSection = (typeof componentSections)[number];

/** One component instance: which section and position of the status, its kind and its name. */
export interface ComponentRef {
  readonly section: ComponentSection;
  readonly position: number;
  readonly kind: ComponentKind;
  /** `s1`, `s1/fe1`, `h1/s2`, `m1`. */
  readonly name: string;
}

/** The component instances of a status, in section order. */
export function componentsOf(s: GroupStatus): ComponentRef[] {
  return [
    ...s.servers.map((x, position) => ({ section: 'servers' as const, position, kind: 'server' as const, name: x.name })),
    ...s.ports.map((x, position) => ({ section: 'ports' as const, position, kind: 'port' as const, name: `${x.server}/${x.name}` })),
    ...s.paths.map((x, position) => ({ section: 'paths' as const, position, kind: 'path' as const, name: `${x.host}/${x.server}` })),
    ...s.virtualDisks.map((x, position) => ({
      section: 'virtualDisks' as const,
      position,
      kind: x.kind === 'mirrored' ? ('mirrored disk' as const) : ('single disk' as const),
      name: x.name,
    })),
  ];
}

/** The entry of a component in a status. */
export function entryOf(s: GroupStatus, c: ComponentRef): unknown {
  return s[c.section][c.position];
}

const cache = (m: CacheMode) => (m === 'writeBack' ? 'wb' : 'wt');
const alua = { activeOptimized: 'AO', activeNonOptimized: 'ANO', unavailable: 'U' } as const;

/** One line for a component's entry, e.g. `on/stopped/Stopped cache wb->wt`, `offline m1=U`. */
export function entryLine(kind: ComponentKind, entry: unknown): string {
  switch (kind) {
    case 'server': {
      const s = entry as ServerStatus;
      const c = s.cache;
      return [
        `${s.power}/${s.state}/${s.seenAs}`,
        s.ups === 'battery' ? 'battery' : '',
        `cache ${cache(c.applied)}${c.pending ? `->${cache(c.pending)}` : ''}${c.effective !== c.applied ? ` (effective ${cache(c.effective)})` : ''}`,
        s.autoRestartsUsed > 0 ? `autoRestarts ${s.autoRestartsUsed}` : '',
      ]
        .filter(Boolean)
        .join(' ');
    }
    case 'port':
      return (entry as PortStatus).enabled ? 'enabled' : 'disabled';
    case 'path': {
      const p = entry as PathStatus;
      return [p.online ? 'online' : 'offline', ...Object.entries(p.alua).map(([v, a]) => `${v}=${alua[a]}`)].join(' ');
    }
    case 'single disk':
    case 'mirrored disk': {
      const v = entry as VirtualDiskStatus;
      const copies = v.copies.map((c) => `${c.server} ${c.dataStatus}`).join(', ');
      return `${v.status}/${v.hostAccess === 'readWrite' ? 'rw' : 'disabled'} [${copies}]`;
    }
  }
}

/** The name of a component transition: `path h1/s1: online m1=AO -> offline m1=U on stop s1`. */
export function componentTransitionKey(c: ComponentRef, before: string, event: string, after: string): string {
  return `${c.kind} ${c.name}: ${before} -> ${after} on ${event}`;
}
