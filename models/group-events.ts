// The event compiler: turns each group event, once per distinct event, into a function from a
// group state to the next state (or a refusal). A compiled event sends its command to the
// component that takes it and routes what that component emits (group-routing.ts).

import type { EventObject } from 'xstate';
import type { GroupLayout } from './group-layout.js';
import { type CopiesDownEvents, deliver, route, type RoutingTable } from './group-routing.js';
import type { CopyDown } from './mirror-machine.js';
import type { Refusal } from './refusal.js';
import type { GroupEvent } from './types.js';

/** A group state (see group.ts `GroupState`). */
type State = readonly number[];

/** A group event compiled: the next state, or why it was refused. */
export type Compiled = (state: State) => Refusal | number[];

const unknownName = (what: string, name: string): Refusal => ({
  type: 'refused',
  code: 'GROUP_UNKNOWN_NAME',
  message: `no ${what} named ${JSON.stringify(name)} in this topology`,
});

/** Compiles group events against one layout, memoized by event object and by value. */
export class EventCompiler {
  private readonly byObject = new WeakMap<GroupEvent, Compiled>();
  private readonly byKey = new Map<string, Compiled>();

  constructor(
    private readonly layout: GroupLayout,
    private readonly routing: RoutingTable,
    private readonly copiesDown: CopiesDownEvents,
  ) {}

  /** The compiled form of `event`. */
  compiled(event: GroupEvent): Compiled {
    let f = this.byObject.get(event);
    if (f) return f;
    const key = JSON.stringify(event);
    f = this.byKey.get(key);
    if (!f) this.byKey.set(key, (f = this.compile(event)));
    this.byObject.set(event, f);
    return f;
  }

  /**
   * Sends a command to a component of `state`: the refusal, or a new state with what the
   * component emitted. Most explored events are refused, so the state is copied only on accept.
   */
  private command(state: State, part: number, event: EventObject): Refusal | { next: number[]; emitted: readonly EventObject[] } {
    const c = this.layout.components[part]!;
    const r = c.send(state[part]!, c.eventId(event));
    for (const e of r.emitted) if (e.type === 'refused') return e as Refusal;
    const next = state.slice();
    next[part] = r.next;
    return { next, emitted: r.emitted };
  }

  /** Sends a command to a server and routes its notifications (collecting copies down in `downs`, if given). */
  private serverCommand(state: State, server: string, event: EventObject, downs: Map<number, CopyDown[]> | null): Refusal | number[] {
    const part = this.layout.serverIdx.get(server);
    if (part === undefined) return unknownName('server', server);
    const r = this.command(state, part, event);
    if ('type' in r) return r;
    for (const n of r.emitted) this.routing.notify(r.next, part, n, downs);
    return r.next;
  }

  private compile(event: GroupEvent): Compiled {
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
      case 'autoRestartWindowElapsed':
      case 'poolFail':
      case 'poolRestore': {
        const e = { type: event.type };
        return (state) => this.serverCommand(state, event.server, e, null);
      }
      case 'setCache': {
        const e = { type: 'setCache', mode: event.mode };
        return (state) => this.serverCommand(state, event.server, e, null);
      }
      case 'siteCrash':
        return this.siteCrash();
      case 'write':
      case 'flush':
      case 'recoveryComplete':
      case 'forceMirrorRecovery':
        return this.diskCommand(event);
      case 'linkDown':
      case 'linkUp':
        return this.linkSwitch(event);
      case 'hostDisconnect':
      case 'hostReconnect':
        return this.hostSwitch(event);
    }
  }

  /** Some host is connected to the group in `state` (PTH-1): one path per host tells. */
  private anyHostConnected(state: State): boolean {
    const { components, pathsOfHost } = this.layout;
    for (const paths of pathsOfHost.values()) {
      const p = paths[0];
      if (p !== undefined && (components[p]!.snapshot(state[p]!).context as { hostConnected: boolean }).hostConnected) return true;
    }
    return false;
  }

  /**
   * PTH-1: a host disconnects or reconnects: every path from it follows. When the last host goes
   * or the first comes back, mirrors learn whether hosts can write at all.
   */
  private hostSwitch(event: Extract<GroupEvent, { type: 'hostDisconnect' | 'hostReconnect' }>): Compiled {
    const { components } = this.layout;
    const paths = this.layout.pathsOfHost.get(event.host);
    if (!paths) return () => unknownName('host', event.host);
    const connect = event.type === 'hostReconnect';
    const pathEvent = { type: connect ? 'hostConnected' : 'hostDisconnected' };
    const mirrors = components.flatMap((c, i) =>
      c.kind === 'mirror' ? [route(components, i, { type: connect ? 'hostsAttached' : 'hostsDetached' })] : [],
    );
    return (state) => {
      let next: number[] | null = null;
      for (const p of paths) {
        const r = this.command(next ?? state, p, pathEvent);
        if ('type' in r) return r;
        next = r.next;
      }
      if (!next) return state.slice();
      if (this.anyHostConnected(state) !== this.anyHostConnected(next)) for (const m of mirrors) deliver(components, next, m.part, m.event);
      return next;
    };
  }

  /**
   * MIR-11: every powered-on server crashes at the same instant; mirrors learn of all the
   * crashes at once, so no copy is seen as the survivor of another.
   */
  private siteCrash(): Compiled {
    const { components, topology } = this.layout;
    const e = { type: 'crash' };
    return (state) => {
      const downs = new Map<number, CopyDown[]>();
      let next: number[] | null = null;
      for (const s of topology.servers) {
        const r = this.serverCommand(next ?? state, s.name, e, downs);
        if (Array.isArray(r)) next = r;
      }
      if (!next) return { type: 'refused', code: 'SRV_POWERED_OFF', message: 'every server is already powered off' };
      for (const [m, copies] of downs) deliver(components, next, m, components[m]!.eventId(this.copiesDown.of(copies)));
      return next;
    };
  }

  /** Host I/O, recovery completion and forced recovery: a command to one virtual disk. */
  private diskCommand(event: Extract<GroupEvent, { vdisk: string }>): Compiled {
    const part = this.layout.vdiskIdx.get(event.vdisk);
    if (part === undefined) return () => unknownName('virtual disk', event.vdisk);
    if (event.type === 'forceMirrorRecovery' && this.layout.components[part]!.kind !== 'mirror') {
      return () => ({ type: 'refused', code: 'VD_NOT_MIRRORED', message: `${event.vdisk} is a single virtual disk; nothing to force` });
    }
    const e = event.type === 'forceMirrorRecovery' ? { type: event.type, copy: event.copy } : { type: event.type };
    const hostIo =
      (event.type === 'write' || event.type === 'flush') && (this.layout.topology.features?.includes('hostConnections') ?? false);
    const noHost: Refusal = {
      type: 'refused',
      code: 'VD_NO_HOST_CONNECTED',
      message: `no host is connected; no host can have sent a ${event.type} to ${event.vdisk}`,
    };
    return (state) => {
      if (hostIo && !this.anyHostConnected(state)) return noHost;
      const r = this.command(state, part, e);
      return 'type' in r ? r : r.next;
    };
  }

  /** MIR-13: the mirror link between two servers fails or returns; its mirrors follow. */
  private linkSwitch(event: Extract<GroupEvent, { type: 'linkDown' | 'linkUp' }>): Compiled {
    const { components, linkBase } = this.layout;
    const l = this.layout.linkIdx(event.servers[0], event.servers[1]);
    if (l < 0) return () => unknownName('mirror link between', event.servers.join(' and '));
    const up = event.type === 'linkUp';
    const routes = this.layout.mirrorsOfLink[l]!.map((m) => route(components, m, { type: event.type }));
    const refusal: Refusal = {
      type: 'refused',
      code: up ? 'LINK_ALREADY_UP' : 'LINK_ALREADY_DOWN',
      message: `the mirror link is already ${up ? 'up' : 'down'}`,
    };
    return (state) => {
      if ((state[linkBase + l] === 1) === up) return refusal;
      const next = state.slice();
      next[linkBase + l] = up ? 1 : 0;
      for (const r of routes) deliver(components, next, r.part, r.event);
      return next;
    };
  }
}
