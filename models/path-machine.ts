import { assign, emit, setup } from 'xstate';
import { refuse, type Refusal, type RefusalParams } from './refusal.js';
import type { Alua } from './types.js';

export interface PathInput {
  host: string;
  server: string;
  /** The server's front-end port the path goes through. */
  port: string;
  /** Virtual disks the server holds a copy of, in topology order. */
  vdisks: string[];
}

export interface PathContext {
  host: string;
  server: string;
  port: string;
  hostConnected: boolean;
  portEnabled: boolean;
  serverRunning: boolean;
  /** What the server offers for each virtual disk it holds (PTH-3); the path reports it while online. */
  access: Record<string, Alua>;
}

export type PathEvent =
  | { type: 'hostConnected' }
  | { type: 'hostDisconnected' }
  | { type: 'portEnabled' }
  | { type: 'portDisabled' }
  | { type: 'serverRunning' }
  | { type: 'serverStopped' }
  | { type: 'setAccess'; vdisk: string; access: Alua };

/** PTH-1: a path is online iff its host is connected, its port is enabled and its server runs. */
function allUp(context: PathContext): boolean {
  return context.hostConnected && context.portEnabled && context.serverRunning;
}

/**
 * A front-end path from a host to a server's FE port: online or offline (PTH-1, PTH-2), and
 * the ALUA state it reports for each virtual disk (PTH-3).
 */
export const pathMachine = setup({
  types: {
    context: {} as PathContext,
    events: {} as PathEvent,
    input: {} as PathInput,
    emitted: {} as Refusal,
  },
  guards: {
    allUp: ({ context }) => allUp(context),
    notAllUp: ({ context }) => !allUp(context),
    hostConnected: ({ context }) => context.hostConnected,
  },
  actions: {
    refuse: emit((_, params: RefusalParams) => ({ type: 'refused' as const, ...params })),
  },
}).createMachine({
  id: 'path',
  context: ({ input }) => ({
    host: input.host,
    server: input.server,
    port: input.port,
    hostConnected: true,
    portEnabled: true,
    serverRunning: true,
    access: Object.fromEntries(input.vdisks.map((v) => [v, 'unavailable' as Alua])),
  }),
  initial: 'online',
  on: {
    // PTH-1: the host's connection to the group; a path is online only while its host is connected.
    hostConnected: [
      { guard: 'hostConnected', actions: refuse('HOST_ALREADY_CONNECTED', 'the host is connected') },
      { actions: assign({ hostConnected: true }) },
    ],
    hostDisconnected: [
      { guard: 'hostConnected', actions: assign({ hostConnected: false }) },
      { actions: refuse('HOST_ALREADY_DISCONNECTED', 'the host is already disconnected') },
    ],
    portEnabled: { actions: assign({ portEnabled: true }) },
    // PTH-2, SRV-5: stop and crash take the paths of the server offline.
    portDisabled: { actions: assign({ portEnabled: false }) },
    serverRunning: { actions: assign({ serverRunning: true }) },
    serverStopped: { actions: assign({ serverRunning: false }) },
    // PTH-3: the group pushes what the server offers for a virtual disk.
    setAccess: {
      guard: ({ context, event }) => context.access[event.vdisk] !== event.access,
      actions: assign({ access: ({ context, event }) => ({ ...context.access, [event.vdisk]: event.access }) }),
    },
  },
  states: {
    online: { always: { guard: 'notAllUp', target: 'offline' } },
    // PTH-2: start brings the paths back (failback).
    offline: { always: { guard: 'allUp', target: 'online' } },
  },
});

/** The ALUA state a path reports for a virtual disk: what the server offers, while online (PTH-3). */
export function pathAlua(online: boolean, access: Alua): Alua {
  return online ? access : 'unavailable';
}
