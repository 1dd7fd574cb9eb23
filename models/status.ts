import type { AnyMachineSnapshot } from 'xstate';
import type { Component } from './component.js';
import type { GroupModel, GroupState } from './group.js';
import { copyDataStatus, mirrorDiskState, mirrorPhase, type MirrorContext } from './mirror-machine.js';
import { pathAlua, type PathContext } from './path-machine.js';
import type { PortContext } from './port-machine.js';
import type { ServerContext } from './server-machine.js';
import type { SingleDiskContext } from './single-disk-machine.js';
import type { GroupStatus, MirrorLinkStatus, PathStatus, PortStatus, ServerStatus, Topology, VirtualDiskStatus } from './types.js';

type PowerValue = { power: 'off' | { on: 'running' | 'stopped' }; ups: 'mains' | 'battery'; pool: 'available' | 'unavailable' };

/** Optional status fields, shown only in topologies with the matching feature (models/types.ts `Topology.features`). */
export interface StatusFields {
  /** Servers report `pool` (feature `backendPools`). */
  pool?: boolean;
  /** Paths report `hostConnected` (feature `hostConnections`). */
  hostConnected?: boolean;
}

/** The optional status fields of a topology's features. */
export function statusFields(topology: Topology): StatusFields {
  const features = topology.features ?? [];
  return { pool: features.includes('backendPools'), hostConnected: features.includes('hostConnections') };
}

/** A server's observable status. */
export function serverStatus(s: AnyMachineSnapshot, fields: StatusFields = {}): ServerStatus {
  const ctx = s.context as ServerContext;
  const value = s.value as PowerValue;
  const on = value.power !== 'off';
  const state = value.power === 'off' ? 'stopped' : value.power.on;
  return {
    name: ctx.name,
    power: on ? 'on' : 'off',
    state,
    // The clean-shutdown record (written by a shutdown, cleared at power-on) tells Unavailable from Failed.
    seenAs: state === 'running' ? 'Running' : ctx.cleanShutdown ? 'Unavailable' : on ? 'Stopped' : 'Failed',
    ups: value.ups,
    cache: {
      applied: ctx.cacheApplied,
      pending: ctx.cachePending,
      effective: ctx.cacheEffective, // SRV-13
    },
    autoRestartsUsed: ctx.autoRestartsUsed,
    ...(fields.pool ? { pool: value.pool } : {}),
  };
}

/** A port's observable status. */
export function portStatus(s: AnyMachineSnapshot): PortStatus {
  const ctx = s.context as PortContext;
  return { server: ctx.server, name: ctx.name, roles: ctx.roles, mode: ctx.mode, enabled: s.value === 'enabled' };
}

/** A path's observable status. */
export function pathStatus(s: AnyMachineSnapshot, fields: StatusFields = {}): PathStatus {
  const ctx = s.context as PathContext;
  const online = s.value === 'online';
  const alua = Object.fromEntries(Object.entries(ctx.access).map(([v, a]) => [v, pathAlua(online, a)]));
  return {
    host: ctx.host,
    server: ctx.server,
    port: ctx.port,
    online,
    alua,
    ...(fields.hostConnected ? { hostConnected: ctx.hostConnected } : {}),
  };
}

/** A virtual disk's observable status. */
export function virtualDiskStatus(c: Component, s: AnyMachineSnapshot): VirtualDiskStatus {
  if (c.kind === 'single') {
    const ctx = s.context as SingleDiskContext;
    const online = s.value === 'online';
    return {
      name: ctx.name,
      kind: 'single',
      status: online ? 'online' : 'offline', // VD-1
      hostAccess: online ? 'readWrite' : 'disabled',
      copies: [{ server: ctx.server, preferred: true, dataStatus: 'upToDate' }],
    };
  }
  const ctx = s.context as MirrorContext;
  const phase = mirrorPhase(s.value);
  return {
    name: ctx.name,
    kind: 'mirrored',
    status: mirrorDiskState(ctx, phase),
    hostAccess: phase === 'serving' ? 'readWrite' : 'disabled',
    copies: ctx.copies.map((copy, i) => ({
      server: copy.server,
      preferred: i === 0,
      dataStatus: copyDataStatus(ctx, phase, copy),
    })),
    ...(ctx.forced ? { forced: { ...ctx.forced } } : {}),
  };
}

const projections = new WeakMap<GroupModel, (state: GroupState) => GroupStatus>();

/**
 * The observable status (CF-2) of a model state: what a conforming system reports in that
 * state. Pure, and memoized per component snapshot.
 */
export function groupStatus(model: GroupModel, state: GroupState): GroupStatus {
  let project = projections.get(model);
  if (!project) {
    project = createProjection(model);
    projections.set(model, project);
  }
  return project(state);
}

function createProjection(model: GroupModel): (state: GroupState) => GroupStatus {
  const memo = model.components.map(() => new Map<number, unknown>());
  const part = <T>(i: number, id: number, f: (c: Component, s: AnyMachineSnapshot) => T): T => {
    const m = memo[i]!;
    let v = m.get(id) as T | undefined;
    if (v === undefined) {
      const c = model.components[i]!;
      v = f(c, c.snapshot(id));
      m.set(id, v);
    }
    return v;
  };
  const indices = (kind: string) => model.components.flatMap((c, i) => (c.kind === kind ? [i] : []));
  const servers = indices('server');
  const ports = indices('port');
  const paths = indices('path');
  const vdisks = model.components.flatMap((c, i) => (c.kind === 'single' || c.kind === 'mirror' ? [i] : []));
  const base = model.components.length;
  const links: Array<[MirrorLinkStatus, MirrorLinkStatus]> = model.links.map((l) => [
    { servers: l.servers, up: false },
    { servers: l.servers, up: true },
  ]);
  const fields = statusFields(model.topology);
  return (state) => ({
    servers: servers.map((i) => part(i, state[i]!, (_, s) => serverStatus(s, fields))),
    ports: ports.map((i) => part(i, state[i]!, (_, s) => portStatus(s))),
    paths: paths.map((i) => part(i, state[i]!, (_, s) => pathStatus(s, fields))),
    virtualDisks: vdisks.map((i) => part(i, state[i]!, virtualDiskStatus)),
    mirrorLinks: links.map((l, j) => l[state[base + j] === 1 ? 1 : 0]),
  });
}
