import type { EventObject } from 'xstate';
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

/** Builds the composed model of a topology (validated first). */
export function createGroupModel(topology: Topology): GroupModel {
  assertTopology(topology);
  const components: Component[] = [];
  const add = (c: Component) => components.push(c) - 1;

  const serverIdx = new Map<string, number>();
  for (const s of topology.servers) {
    serverIdx.set(s.name, add(new Component('server', s.name, serverMachine, { name: s.name, autoRestartLimit: s.autoRestartAttempts })));
  }
  const portsOf = new Map<string, number[]>();
  const frontEndPort = new Map<string, string>();
  for (const s of topology.servers) {
    portsOf.set(s.name, s.ports.map((p) => add(new Component('port', `${s.name}/${p.name}`, portMachine, { server: s.name, ...p }))));
    frontEndPort.set(s.name, s.ports.find((p) => p.roles.includes('frontEnd'))!.name);
  }
  const vdisksOn = (server: string) =>
    topology.virtualDisks.filter((v) => (v.kind === 'single' ? v.server === server : v.copies.includes(server))).map((v) => v.name);
  const pathsOf = new Map<string, number[]>();
  const pathsByPort = new Map<string, number[]>();
  for (const h of topology.hosts) {
    for (const s of topology.servers) {
      const port = frontEndPort.get(s.name)!;
      const i = add(new Component('path', `${h}/${s.name}`, pathMachine, { host: h, server: s.name, port, vdisks: vdisksOn(s.name) }));
      pathsOf.set(s.name, [...(pathsOf.get(s.name) ?? []), i]);
      pathsByPort.set(`${s.name}/${port}`, [...(pathsByPort.get(`${s.name}/${port}`) ?? []), i]);
    }
  }
  const vdiskIdx = new Map<string, number>();
  const singlesOf = new Map<string, number[]>();
  const mirrorsOf = new Map<string, number[]>();
  const links: MirrorLink[] = [];
  const linkOf = new Map<number, number>();
  const linkIdx = (a: string, b: string) => links.findIndex((l) => (l.servers[0] === a && l.servers[1] === b) || (l.servers[0] === b && l.servers[1] === a));
  for (const v of topology.virtualDisks) {
    if (v.kind === 'single') {
      const i = add(new Component('single', v.name, singleDiskMachine, { name: v.name, server: v.server }));
      vdiskIdx.set(v.name, i);
      singlesOf.set(v.server, [...(singlesOf.get(v.server) ?? []), i]);
    } else {
      const i = add(new Component('mirror', v.name, mirrorMachine, { name: v.name, copies: v.copies }));
      vdiskIdx.set(v.name, i);
      for (const s of v.copies) mirrorsOf.set(s, [...(mirrorsOf.get(s) ?? []), i]);
      let l = linkIdx(v.copies[0], v.copies[1]);
      if (l < 0) l = links.push({ servers: [v.copies[0], v.copies[1]] }) - 1;
      linkOf.set(i, l);
    }
  }
  const mirrorsOfLink = links.map((_, l) => [...linkOf].filter(([, x]) => x === l).map(([i]) => i));
  const linkBase = components.length;

  // What a virtual disk's server offers hosts, per snapshot of the disk (PTH-3).
  const accessMemo = new Map<number, Map<number, Alua[]>>();
  const accessOf = (vdisk: number, snap: number, serverPos: number, server: string): Alua => {
    let perSnap = accessMemo.get(vdisk);
    if (!perSnap) accessMemo.set(vdisk, (perSnap = new Map()));
    let row = perSnap.get(snap);
    if (!row) perSnap.set(snap, (row = []));
    let a = row[serverPos];
    if (a === undefined) {
      const c = components[vdisk]!;
      const s = c.snapshot(snap);
      a =
        c.kind === 'single'
          ? s.value === 'online'
            ? 'activeOptimized'
            : 'unavailable'
          : mirrorAccess(s.context as MirrorContext, mirrorPhase(s.value), server);
      row[serverPos] = a;
    }
    return a;
  };
  // For each virtual disk: the paths to each server holding it, with their setAccess events.
  const alua: Alua[] = ['activeOptimized', 'activeNonOptimized', 'unavailable'];
  const accessTargets = new Map<number, Array<{ path: number; server: string; serverPos: number; events: Map<Alua, EventObject> }>>();
  topology.servers.forEach((s, serverPos) => {
    for (const name of vdisksOn(s.name)) {
      const v = vdiskIdx.get(name)!;
      for (const path of pathsOf.get(s.name) ?? []) {
        const events = new Map(alua.map((access) => [access, { type: 'setAccess', vdisk: name, access } as EventObject]));
        accessTargets.set(v, [...(accessTargets.get(v) ?? []), { path, server: s.name, serverPos, events }]);
      }
    }
  });

  /** Sends an event to a component and records its new snapshot; returns what it emitted. */
  const send = (next: number[], part: number, event: EventObject): readonly EventObject[] => {
    const c = components[part]!;
    const r = c.send(next[part]!, c.eventId(event));
    next[part] = r.next;
    return r.emitted;
  };

  // Events the group routes, created once so that components resolve them by identity.
  const pathEvents: Record<string, EventObject> = Object.fromEntries(
    ['portEnabled', 'portDisabled', 'serverRunning', 'serverStopped', 'linkDown', 'linkUp'].map((t) => [t, { type: t }]),
  );
  const copyUp = new Map(topology.servers.map((s) => [s.name, { type: 'copyUp', server: s.name } as EventObject]));
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

  /** Routes a server's notification to its ports, paths and virtual disks. */
  const notify = (next: number[], server: string, n: EventObject, downs: Map<number, CopyDown[]> | null) => {
    const type = n.type;
    for (const port of portsOf.get(server) ?? []) {
      for (const e of send(next, port, n)) {
        for (const path of pathsByPort.get(components[port]!.name) ?? []) send(next, path, pathEvents[e.type]!);
      }
    }
    if (type === 'virtualizationStarted' || type === 'virtualizationStopped') {
      const running = type === 'virtualizationStarted';
      const pathEvent = pathEvents[running ? 'serverRunning' : 'serverStopped']!;
      for (const path of pathsOf.get(server) ?? []) send(next, path, pathEvent);
      for (const v of singlesOf.get(server) ?? []) send(next, v, pathEvent);
      for (const m of mirrorsOf.get(server) ?? []) {
        if (running) {
          send(next, m, copyUp.get(server)!);
        } else {
          const down = { server, crashed: (n as { crashed?: boolean }).crashed === true };
          if (downs) downs.set(m, [...(downs.get(m) ?? []), down]);
          else send(next, m, copiesDown([down]));
        }
      }
    }
  };

  /** Sends a command to a component; a refusal leaves `next` untouched. */
  const command = (next: number[], part: number, event: EventObject): { refusal: Refusal | null; emitted: readonly EventObject[] } => {
    const c = components[part]!;
    const r = c.send(next[part]!, c.eventId(event));
    const refusal = r.emitted.find((e) => e.type === 'refused') as Refusal | undefined;
    if (refusal) return { refusal, emitted: [] };
    next[part] = r.next;
    return { refusal: null, emitted: r.emitted };
  };

  const serverCommand = (next: number[], server: string, event: EventObject, downs: Map<number, CopyDown[]> | null): Refusal | null => {
    const part = serverIdx.get(server);
    if (part === undefined) return unknownName('server', server);
    const { refusal, emitted } = command(next, part, event);
    for (const n of emitted) notify(next, server, n, downs);
    return refusal;
  };

  /** PTH-3: paths report what their server offers for each virtual disk that changed. */
  const refreshAccess = (before: GroupState, next: number[]) => {
    for (const [v, targets] of accessTargets) {
      if (before[v] === next[v]) continue;
      for (const t of targets) send(next, t.path, t.events.get(accessOf(v, next[v]!, t.serverPos, t.server))!);
    }
  };

  /** A group event turned into the component command it sends, once per distinct event. */
  type Compiled = (next: number[]) => Refusal | null;
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
        return (next) => serverCommand(next, event.server, e, null);
      }
      case 'setCache': {
        const e = { type: 'setCache', mode: event.mode };
        return (next) => serverCommand(next, event.server, e, null);
      }
      case 'siteCrash': {
        // MIR-11: every powered-on server crashes at the same instant; mirrors learn of all
        // the crashes at once, so no copy is seen as the survivor of another.
        const e = { type: 'crash' };
        return (next) => {
          const downs = new Map<number, CopyDown[]>();
          let crashed = 0;
          for (const s of topology.servers) {
            if (serverCommand(next, s.name, e, downs) === null) crashed++;
          }
          if (crashed === 0) return { type: 'refused', code: 'SRV_POWERED_OFF', message: 'every server is already powered off' };
          for (const [m, copies] of downs) send(next, m, copiesDown(copies));
          return null;
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
        return (next) => command(next, part, e).refusal;
      }
      case 'linkDown':
      case 'linkUp': {
        const l = linkIdx(event.servers[0], event.servers[1]);
        if (l < 0) return () => unknownName('mirror link between', event.servers.join(' and '));
        const up = event.type === 'linkUp';
        const e = pathEvents[event.type]!;
        return (next) => {
          if ((next[linkBase + l] === 1) === up) {
            return { type: 'refused', code: up ? 'LINK_ALREADY_UP' : 'LINK_ALREADY_DOWN', message: `the mirror link is already ${up ? 'up' : 'down'}` };
          }
          next[linkBase + l] = up ? 1 : 0;
          for (const m of mirrorsOfLink[l]!) send(next, m, e);
          return null;
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
    const next = state.slice();
    const refusal = compiled(event)(next);
    if (refusal) return { state, refusal };
    refreshAccess(state, next);
    return { state: next, refusal: null };
  };

  const initial = [...components.map((c) => c.initial), ...links.map(() => 1)];
  refreshAccess(initial.map(() => -1), initial);


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
