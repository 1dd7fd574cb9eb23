import type { AnyStateMachine, EventObject } from 'xstate';
import { Component } from './component.js';
import { mirrorAccess, mirrorMachine, mirrorPhase, type CopyDown, type MirrorContext } from './mirror-machine.js';
import { pathMachine } from './path-machine.js';
import { portMachine } from './port-machine.js';
import type { Refusal } from './refusal.js';
import { serverMachine } from './server-machine.js';
import { singleDiskMachine } from './single-disk-machine.js';
import { assertTopology } from './topology.js';
import type { Alua, CacheMode, GroupEvent, Topology } from './types.js';

/**
 * A state of the composed group: the interned snapshot id of every component, then one entry
 * per mirror link (1 up, 0 down). Compact, so that exploring millions of them is cheap.
 */
export type GroupState = readonly number[];

/** The outcome of one group event. */
export interface StepResult {
  /** The next state; the same state when the event was refused. */
  state: GroupState;
  /** Why the event was refused (SRV-12), or null when it applied. */
  refusal: Refusal | null;
}

/** A mirror link between two servers that share mirrored virtual disks. */
export interface MirrorLink {
  servers: [string, string];
}

/** The composed model of a server group. */
export interface GroupModel {
  readonly topology: Topology;
  /** Every component, in state order: servers, ports, paths, virtual disks. */
  readonly components: readonly Component[];
  /** Mirror links, in state order after the components. */
  readonly links: readonly MirrorLink[];
  /** The initial state: every server powered on and running, every copy up to date. */
  readonly initial: GroupState;
  /** Every event of this topology, in a fixed order (the order breadth-first search tries them). */
  readonly alphabet: readonly GroupEvent[];
  /** Applies one event. */
  step(state: GroupState, event: GroupEvent): StepResult;
  /** A string that identifies the state. */
  key(state: GroupState): string;
}

const unknownName = (what: string, name: string): Refusal => ({
  type: 'refused',
  code: 'GROUP_UNKNOWN_NAME',
  message: `no ${what} named ${JSON.stringify(name)} in this topology`,
});

/** The component machines a group is composed of; tests swap in deliberately broken ones. */
export interface GroupMachines {
  server: AnyStateMachine;
  port: AnyStateMachine;
  path: AnyStateMachine;
  single: AnyStateMachine;
  mirror: AnyStateMachine;
}

export const defaultMachines: GroupMachines = {
  server: serverMachine,
  port: portMachine,
  path: pathMachine,
  single: singleDiskMachine,
  mirror: mirrorMachine,
};

/** Builds the composed model of a topology (validated first). */
export function createGroupModel(topology: Topology, machines: Partial<GroupMachines> = {}): GroupModel {
  assertTopology(topology);
  const {
    server: serverLogic,
    port: portLogic,
    path: pathLogic,
    single: singleLogic,
    mirror: mirrorLogic,
  } = {
    ...defaultMachines,
    ...machines,
  };
  const components: Component[] = [];
  const add = (c: Component) => components.push(c) - 1;

  const serverIdx = new Map<string, number>();
  for (const s of topology.servers) {
    serverIdx.set(s.name, add(new Component('server', s.name, serverLogic, { name: s.name, autoRestartLimit: s.autoRestartAttempts })));
  }
  const portsOf = new Map<string, number[]>();
  const frontEndPort = new Map<string, string>();
  for (const s of topology.servers) {
    portsOf.set(
      s.name,
      s.ports.map((p) => add(new Component('port', `${s.name}/${p.name}`, portLogic, { server: s.name, ...p }))),
    );
    frontEndPort.set(s.name, s.ports.find((p) => p.roles.includes('frontEnd'))!.name);
  }
  const vdisksOn = (server: string) =>
    topology.virtualDisks.filter((v) => (v.kind === 'single' ? v.server === server : v.copies.includes(server))).map((v) => v.name);
  const pathsOf = new Map<string, number[]>();
  const pathsByPort = new Map<string, number[]>();
  for (const h of topology.hosts) {
    for (const s of topology.servers) {
      const port = frontEndPort.get(s.name)!;
      const i = add(new Component('path', `${h}/${s.name}`, pathLogic, { host: h, server: s.name, port, vdisks: vdisksOn(s.name) }));
      pathsOf.set(s.name, [...(pathsOf.get(s.name) ?? []), i]);
      pathsByPort.set(`${s.name}/${port}`, [...(pathsByPort.get(`${s.name}/${port}`) ?? []), i]);
    }
  }
  const vdiskIdx = new Map<string, number>();
  const singlesOf = new Map<string, number[]>();
  const mirrorsOf = new Map<string, number[]>();
  const links: MirrorLink[] = [];
  const linkOf = new Map<number, number>();
  const linkIdx = (a: string, b: string) =>
    links.findIndex((l) => (l.servers[0] === a && l.servers[1] === b) || (l.servers[0] === b && l.servers[1] === a));
  for (const v of topology.virtualDisks) {
    if (v.kind === 'single') {
      const i = add(new Component('single', v.name, singleLogic, { name: v.name, server: v.server }));
      vdiskIdx.set(v.name, i);
      singlesOf.set(v.server, [...(singlesOf.get(v.server) ?? []), i]);
    } else {
      const i = add(new Component('mirror', v.name, mirrorLogic, { name: v.name, copies: v.copies }));
      vdiskIdx.set(v.name, i);
      for (const s of v.copies) mirrorsOf.set(s, [...(mirrorsOf.get(s) ?? []), i]);
      let l = linkIdx(v.copies[0], v.copies[1]);
      if (l < 0) l = links.push({ servers: [v.copies[0], v.copies[1]] }) - 1;
      linkOf.set(i, l);
    }
  }
  const mirrorsOfLink = links.map((_, l) => [...linkOf].filter(([, x]) => x === l).map(([i]) => i));
  const linkBase = components.length;

  /** Sends an event (by id) to a component; records its new snapshot, returns what it emitted. */
  const send = (next: number[], part: number, eventId: number): readonly EventObject[] => {
    const r = components[part]!.send(next[part]!, eventId);
    next[part] = r.next;
    return r.emitted;
  };
  /** A precomputed send: which component, and the id of the event it receives. */
  interface Route {
    part: number;
    event: number;
  }
  const route = (part: number, event: EventObject): Route => ({ part, event: components[part]!.eventId(event) });

  // Routing of server notifications, resolved once: kind 0 powerOn, 1 powerOff,
  // 2 virtualization started, 3 stopped gracefully, 4 stopped by a crash.
  const notes: EventObject[] = [
    { type: 'powerOn' },
    { type: 'powerOff' },
    { type: 'virtualizationStarted' },
    { type: 'virtualizationStopped', crashed: false } as EventObject,
    { type: 'virtualizationStopped', crashed: true } as EventObject,
  ];
  const noteKind = (n: EventObject): number =>
    n.type === 'powerOn'
      ? 0
      : n.type === 'powerOff'
        ? 1
        : n.type === 'virtualizationStarted'
          ? 2
          : (n as { crashed?: boolean }).crashed
            ? 4
            : 3;
  const copiesDownEvents = new Map<string, EventObject>();
  const copiesDown = (copies: CopyDown[]): EventObject => {
    const key = JSON.stringify(copies);
    let e = copiesDownEvents.get(key);
    if (!e) {
      e = { type: 'copiesDown', copies } as EventObject;
      copiesDownEvents.set(key, e);
    }
    return e;
  };
  interface NoteRoutes {
    /** The server's ports receive the notification; ports that change notify their paths. */
    ports: Route[];
    /** Paths, single disks and mirrors that receive a follow-up event directly. */
    direct: Route[];
    /** Mirrors told that this server's copy went down (stop or crash). */
    downs: Array<{ mirror: number; down: CopyDown; route: Route }>;
  }
  const routes: NoteRoutes[][] = topology.servers.map((s) =>
    notes.map((n, kind) => {
      const ports = (portsOf.get(s.name) ?? []).map((p) => route(p, n));
      const direct: Route[] = [];
      const downs: NoteRoutes['downs'] = [];
      if (kind >= 2) {
        const pathEvent = { type: kind === 2 ? 'serverRunning' : 'serverStopped' };
        for (const p of pathsOf.get(s.name) ?? []) direct.push(route(p, pathEvent));
        for (const v of singlesOf.get(s.name) ?? []) direct.push(route(v, pathEvent));
        for (const m of mirrorsOf.get(s.name) ?? []) {
          if (kind === 2) {
            direct.push(route(m, { type: 'copyUp', server: s.name } as EventObject));
          } else {
            const down = { server: s.name, crashed: kind === 4 };
            downs.push({ mirror: m, down, route: route(m, copiesDown([down])) });
          }
        }
      }
      return { ports, direct, downs };
    }),
  );
  // Paths that follow each port when it is enabled or disabled.
  const portFollowers = new Map<number, { portEnabled: Route[]; portDisabled: Route[] }>();
  for (const ports of portsOf.values()) {
    for (const p of ports) {
      const paths = pathsByPort.get(components[p]!.name) ?? [];
      portFollowers.set(p, {
        portEnabled: paths.map((x) => route(x, { type: 'portEnabled' })),
        portDisabled: paths.map((x) => route(x, { type: 'portDisabled' })),
      });
    }
  }

  /** Routes a server's notification to its ports, paths and virtual disks. */
  const notify = (next: number[], server: number, n: EventObject, downs: Map<number, CopyDown[]> | null) => {
    const r = routes[server]![noteKind(n)]!;
    for (const p of r.ports) {
      for (const e of send(next, p.part, p.event)) {
        const followers = portFollowers.get(p.part)![e.type as 'portEnabled' | 'portDisabled'];
        for (const f of followers) send(next, f.part, f.event);
      }
    }
    for (const d of r.direct) send(next, d.part, d.event);
    for (const d of r.downs) {
      if (downs) downs.set(d.mirror, [...(downs.get(d.mirror) ?? []), d.down]);
      else send(next, d.route.part, d.route.event);
    }
  };

  // PTH-3: what a virtual disk's server offers hosts, per snapshot of the disk, memoized.
  const alua: Alua[] = ['activeOptimized', 'activeNonOptimized', 'unavailable'];
  const accessOf = (vdisk: number, snap: number, server: string): Alua => {
    const c = components[vdisk]!;
    const s = c.snapshot(snap);
    if (c.kind === 'single') return s.value === 'online' ? 'activeOptimized' : 'unavailable';
    return mirrorAccess(s.context as MirrorContext, mirrorPhase(s.value), server);
  };
  interface AccessTarget {
    path: number;
    server: string;
    /** Event id of setAccess for each ALUA state. */
    events: Record<Alua, number>;
    /** memo[snapshot of the disk]: event id to send. */
    memo: number[];
  }
  const accessTargets: Array<[number, AccessTarget[]]> = topology.virtualDisks.map((v) => {
    const part = vdiskIdx.get(v.name)!;
    const servers = v.kind === 'single' ? [v.server] : v.copies;
    const targets = servers.flatMap((server) =>
      (pathsOf.get(server) ?? []).map((path) => ({
        path,
        server,
        events: Object.fromEntries(
          alua.map((access) => [access, components[path]!.eventId({ type: 'setAccess', vdisk: v.name, access } as EventObject)]),
        ) as Record<Alua, number>,
        memo: [] as number[],
      })),
    );
    return [part, targets];
  });

  /**
   * Sends a command to a component of `state`: the refusal, or a new state with what the
   * component emitted. Most explored events are refused, so the state is copied only on accept.
   */
  const command = (state: GroupState, part: number, event: EventObject): Refusal | { next: number[]; emitted: readonly EventObject[] } => {
    const c = components[part]!;
    const r = c.send(state[part]!, c.eventId(event));
    for (const e of r.emitted) if (e.type === 'refused') return e as Refusal;
    const next = state.slice();
    next[part] = r.next;
    return { next, emitted: r.emitted };
  };

  // Servers are the first components, so a server's component index is its position.
  const serverCommand = (
    state: GroupState,
    server: string,
    event: EventObject,
    downs: Map<number, CopyDown[]> | null,
  ): Refusal | number[] => {
    const part = serverIdx.get(server);
    if (part === undefined) return unknownName('server', server);
    const r = command(state, part, event);
    if ('type' in r) return r;
    for (const n of r.emitted) notify(r.next, part, n, downs);
    return r.next;
  };

  /** PTH-3: paths report what their server offers for each virtual disk that changed. */
  const refreshAccess = (before: GroupState, next: number[]) => {
    for (const [v, targets] of accessTargets) {
      const snap = next[v]!;
      if (before[v] === snap) continue;
      for (const t of targets) {
        let event = t.memo[snap];
        if (event === undefined) event = t.memo[snap] = t.events[accessOf(v, snap, t.server)];
        send(next, t.path, event);
      }
    }
  };

  /** A group event turned into the component command it sends, once per distinct event. */
  type Compiled = (state: GroupState) => Refusal | number[];
  const compiledByObject = new WeakMap<GroupEvent, Compiled>();
  const compiledByKey = new Map<string, Compiled>();
  const compile = (event: GroupEvent): Compiled => {
    switch (event.type) {
      case 'stop':
      case 'start':
      case 'shutdown':
      case 'restart':
      case 'crash':
      case 'powerOn':
      case 'onBattery':
      case 'mainsRestored':
      case 'batteryLow':
      case 'autoRestartWindowElapsed': {
        const e = { type: event.type };
        return (state) => serverCommand(state, event.server, e, null);
      }
      case 'setCache': {
        const e = { type: 'setCache', mode: event.mode };
        return (state) => serverCommand(state, event.server, e, null);
      }
      case 'siteCrash': {
        // MIR-11: every powered-on server crashes at the same instant; mirrors learn of all
        // the crashes at once, so no copy is seen as the survivor of another.
        const e = { type: 'crash' };
        return (state) => {
          const downs = new Map<number, CopyDown[]>();
          let next: number[] | null = null;
          for (const s of topology.servers) {
            const r = serverCommand(next ?? state, s.name, e, downs);
            if (Array.isArray(r)) next = r;
          }
          if (!next) return { type: 'refused', code: 'SRV_POWERED_OFF', message: 'every server is already powered off' };
          for (const [m, copies] of downs) send(next, m, components[m]!.eventId(copiesDown(copies)));
          return next;
        };
      }
      case 'write':
      case 'flush':
      case 'recoveryComplete':
      case 'forceMirrorRecovery': {
        const part = vdiskIdx.get(event.vdisk);
        if (part === undefined) return () => unknownName('virtual disk', event.vdisk);
        if (event.type === 'forceMirrorRecovery' && components[part]!.kind !== 'mirror') {
          return () => ({ type: 'refused', code: 'VD_NOT_MIRRORED', message: `${event.vdisk} is a single virtual disk; nothing to force` });
        }
        const e = event.type === 'forceMirrorRecovery' ? { type: event.type, copy: event.copy } : { type: event.type };
        return (state) => {
          const r = command(state, part, e);
          return 'type' in r ? r : r.next;
        };
      }
      case 'linkDown':
      case 'linkUp': {
        const l = linkIdx(event.servers[0], event.servers[1]);
        if (l < 0) return () => unknownName('mirror link between', event.servers.join(' and '));
        const up = event.type === 'linkUp';
        const e = mirrorsOfLink[l]!.map((m) => route(m, { type: event.type }));
        const refusal: Refusal = {
          type: 'refused',
          code: up ? 'LINK_ALREADY_UP' : 'LINK_ALREADY_DOWN',
          message: `the mirror link is already ${up ? 'up' : 'down'}`,
        };
        return (state) => {
          if ((state[linkBase + l] === 1) === up) return refusal;
          const next = state.slice();
          next[linkBase + l] = up ? 1 : 0;
          for (const r of e) send(next, r.part, r.event);
          return next;
        };
      }
    }
  };
  const compiled = (event: GroupEvent): Compiled => {
    let f = compiledByObject.get(event);
    if (f) return f;
    const key = JSON.stringify(event);
    f = compiledByKey.get(key);
    if (!f) compiledByKey.set(key, (f = compile(event)));
    compiledByObject.set(event, f);
    return f;
  };

  const step = (state: GroupState, event: GroupEvent): StepResult => {
    const next = compiled(event)(state);
    if (!Array.isArray(next)) return { state, refusal: next as Refusal };
    refreshAccess(state, next);
    return { state: next, refusal: null };
  };

  const initial = [...components.map((c) => c.initial), ...links.map(() => 1)];
  refreshAccess(
    initial.map(() => -1),
    initial,
  );

  return {
    topology,
    components,
    links,
    initial,
    alphabet: groupAlphabet(topology, links),
    step,
    key: (state) => String.fromCharCode(...state),
  };
}

/** Every event of a topology, in a fixed order. */
export function groupAlphabet(topology: Topology, links: readonly MirrorLink[]): GroupEvent[] {
  const events: GroupEvent[] = [];
  const excluded = new Set(topology.exclude ?? []);
  const modes: CacheMode[] = ['writeBack', 'writeThrough'];
  for (const s of topology.servers) {
    const server = s.name;
    for (const type of ['stop', 'start', 'shutdown', 'restart', 'crash', 'powerOn'] as const) events.push({ type, server });
    for (const mode of modes) events.push({ type: 'setCache', server, mode });
    if (s.ups) for (const type of ['onBattery', 'mainsRestored', 'batteryLow'] as const) events.push({ type, server });
    if (s.autoRestartAttempts > 0) events.push({ type: 'autoRestartWindowElapsed', server });
  }
  if (topology.servers.length > 1) events.push({ type: 'siteCrash' });
  for (const v of topology.virtualDisks) {
    events.push({ type: 'write', vdisk: v.name }, { type: 'flush', vdisk: v.name });
    if (v.kind === 'mirrored') {
      events.push({ type: 'recoveryComplete', vdisk: v.name });
      for (const copy of v.copies) events.push({ type: 'forceMirrorRecovery', vdisk: v.name, copy });
    }
  }
  for (const l of links) events.push({ type: 'linkDown', servers: l.servers }, { type: 'linkUp', servers: l.servers });
  return events.filter((e) => !excluded.has(e.type));
}
