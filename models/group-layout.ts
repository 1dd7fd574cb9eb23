// The parts of a server group and where they sit in a group state: one component per server,
// port, path and virtual disk (in that order), then one entry per mirror link. Built once per
// model from the topology; the routing table, the access refresh and the event compiler look
// components up here.

import type { AnyStateMachine } from 'xstate';
import { Component } from './component.js';
import type { Topology } from './types.js';

/** A mirror link between two servers that share mirrored virtual disks. */
export interface MirrorLink {
  servers: [string, string];
}

/** The component machines a group is composed of; tests swap in deliberately broken ones. */
export interface GroupMachines {
  server: AnyStateMachine;
  port: AnyStateMachine;
  path: AnyStateMachine;
  single: AnyStateMachine;
  mirror: AnyStateMachine;
}

/** Every component of a topology, and the indices that relate them. */
export interface GroupLayout {
  readonly topology: Topology;
  /** Every component, in state order: servers, ports, paths, virtual disks. */
  readonly components: readonly Component[];
  /** Mirror links, in state order after the components. */
  readonly links: readonly MirrorLink[];
  /** Index in a group state of the first mirror link. */
  readonly linkBase: number;
  /** Component index of each server (servers come first, in topology order). */
  readonly serverIdx: ReadonlyMap<string, number>;
  /** Component indices of each server's ports. */
  readonly portsOf: ReadonlyMap<string, readonly number[]>;
  /** Component indices of the paths to each server (one per host). */
  readonly pathsOf: ReadonlyMap<string, readonly number[]>;
  /** Component indices of the paths through each port, by `server/port`. */
  readonly pathsByPort: ReadonlyMap<string, readonly number[]>;
  /** Component indices of each host's paths (one per server). */
  readonly pathsOfHost: ReadonlyMap<string, readonly number[]>;
  /** Component index of each virtual disk. */
  readonly vdiskIdx: ReadonlyMap<string, number>;
  /** Component indices of the single virtual disks each server holds. */
  readonly singlesOf: ReadonlyMap<string, readonly number[]>;
  /** Component indices of the mirrored virtual disks each server holds a copy of. */
  readonly mirrorsOf: ReadonlyMap<string, readonly number[]>;
  /** Component indices of the mirrored virtual disks over each link. */
  readonly mirrorsOfLink: readonly (readonly number[])[];
  /** Index of the link between two servers, or -1. */
  linkIdx(a: string, b: string): number;
}

const push = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
};

/** Builds the components of a (validated) topology from the machines given. */
export function layoutGroup(topology: Topology, machines: GroupMachines): GroupLayout {
  const components: Component[] = [];
  const add = (c: Component) => components.push(c) - 1;

  const serverIdx = new Map<string, number>();
  for (const s of topology.servers) {
    serverIdx.set(s.name, add(new Component('server', s.name, machines.server, { name: s.name, autoRestartLimit: s.autoRestartAttempts })));
  }
  const portsOf = new Map<string, number[]>();
  const frontEndPort = new Map<string, string>();
  for (const s of topology.servers) {
    portsOf.set(
      s.name,
      s.ports.map((p) => add(new Component('port', `${s.name}/${p.name}`, machines.port, { server: s.name, ...p }))),
    );
    frontEndPort.set(s.name, s.ports.find((p) => p.roles.includes('frontEnd'))!.name);
  }
  const vdisksOn = (server: string) =>
    topology.virtualDisks.filter((v) => (v.kind === 'single' ? v.server === server : v.copies.includes(server))).map((v) => v.name);
  const pathsOf = new Map<string, number[]>();
  const pathsByPort = new Map<string, number[]>();
  const pathsOfHost = new Map<string, number[]>();
  for (const h of topology.hosts) {
    for (const s of topology.servers) {
      const port = frontEndPort.get(s.name)!;
      const i = add(new Component('path', `${h}/${s.name}`, machines.path, { host: h, server: s.name, port, vdisks: vdisksOn(s.name) }));
      push(pathsOf, s.name, i);
      push(pathsByPort, `${s.name}/${port}`, i);
      push(pathsOfHost, h, i);
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
      const i = add(new Component('single', v.name, machines.single, { name: v.name, server: v.server }));
      vdiskIdx.set(v.name, i);
      push(singlesOf, v.server, i);
    } else {
      const recordForce = topology.features?.includes('forceRecord') ?? false;
      const i = add(new Component('mirror', v.name, machines.mirror, { name: v.name, copies: v.copies, recordForce }));
      vdiskIdx.set(v.name, i);
      for (const s of v.copies) push(mirrorsOf, s, i);
      let l = linkIdx(v.copies[0], v.copies[1]);
      if (l < 0) l = links.push({ servers: [v.copies[0], v.copies[1]] }) - 1;
      linkOf.set(i, l);
    }
  }
  const mirrorsOfLink = links.map((_, l) => [...linkOf].filter(([, x]) => x === l).map(([i]) => i));
  return {
    topology,
    components,
    links,
    linkBase: components.length,
    serverIdx,
    portsOf,
    pathsOf,
    pathsByPort,
    pathsOfHost,
    vdiskIdx,
    singlesOf,
    mirrorsOf,
    mirrorsOfLink,
    linkIdx,
  };
}
