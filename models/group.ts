// The composed model of a server group: its components (group-layout.ts), the routing of server
// notifications (group-routing.ts), the event compiler (group-events.ts) and the ALUA refresh
// after every step (group-access.ts), behind one small interface that explores cheaply.

import type { Component } from './component.js';
import { AccessRefresh } from './group-access.js';
import { EventCompiler } from './group-events.js';
import { type GroupMachines, layoutGroup, type MirrorLink } from './group-layout.js';
import { CopiesDownEvents, RoutingTable } from './group-routing.js';
import { mirrorMachine } from './mirror-machine.js';
import { pathMachine } from './path-machine.js';
import { portMachine } from './port-machine.js';
import type { Refusal } from './refusal.js';
import { serverMachine } from './server-machine.js';
import { singleDiskMachine } from './single-disk-machine.js';
import { assertTopology } from './topology.js';
import type { CacheMode, GroupEvent, Topology } from './types.js';

export type { GroupMachines, MirrorLink } from './group-layout.js';

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
  const layout = layoutGroup(topology, { ...defaultMachines, ...machines });
  const copiesDown = new CopiesDownEvents();
  const events = new EventCompiler(layout, new RoutingTable(layout, copiesDown), copiesDown);
  const access = new AccessRefresh(layout);

  const step = (state: GroupState, event: GroupEvent): StepResult => {
    const next = events.compiled(event)(state);
    if (!Array.isArray(next)) return { state, refusal: next as Refusal };
    access.refresh(state, next);
    return { state: next, refusal: null };
  };

  const initial = [...layout.components.map((c) => c.initial), ...layout.links.map(() => 1)];
  access.refresh(
    initial.map(() => -1),
    initial,
  );

  return {
    topology,
    components: layout.components,
    links: layout.links,
    initial,
    alphabet: groupAlphabet(topology, layout.links),
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
  const features = new Set(topology.features ?? []);
  if (features.has('backendPools'))
    for (const s of topology.servers) events.push({ type: 'poolFail', server: s.name }, { type: 'poolRestore', server: s.name });
  if (topology.servers.length > 1) events.push({ type: 'siteCrash' });
  for (const v of topology.virtualDisks) {
    events.push({ type: 'write', vdisk: v.name }, { type: 'flush', vdisk: v.name });
    if (v.kind === 'mirrored') {
      events.push({ type: 'recoveryComplete', vdisk: v.name });
      for (const copy of v.copies) events.push({ type: 'forceMirrorRecovery', vdisk: v.name, copy });
    }
  }
  for (const l of links) events.push({ type: 'linkDown', servers: l.servers }, { type: 'linkUp', servers: l.servers });
  if (features.has('hostConnections'))
    for (const host of topology.hosts) events.push({ type: 'hostDisconnect', host }, { type: 'hostReconnect', host });
  return events.filter((e) => !excluded.has(e.type));
}
