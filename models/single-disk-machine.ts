import { emit, setup } from 'xstate';
import { refuse, type Refusal, type RefusalParams } from './refusal.js';

export interface SingleDiskInput {
  name: string;
  /** The server holding the only copy. */
  server: string;
}

export interface SingleDiskContext {
  name: string;
  server: string;
}

export type SingleDiskEvent =
  | { type: 'serverRunning' }
  | { type: 'serverStopped' }
  | { type: 'poolLost' }
  | { type: 'poolBack' }
  | { type: 'write' }
  | { type: 'flush' };

/**
 * A single virtual disk: accessible iff its server runs (VD-1). Its data rules (VD-2: nothing
 * acknowledged lost across graceful operations; FLUSH and FUA survive a crash) are checked on
 * real bytes by the harness, not here.
 */
export const singleDiskMachine = setup({
  types: {
    context: {} as SingleDiskContext,
    events: {} as SingleDiskEvent,
    input: {} as SingleDiskInput,
    emitted: {} as Refusal,
  },
  actions: {
    refuse: emit((_, params: RefusalParams) => ({ type: 'refused' as const, ...params })),
  },
}).createMachine({
  id: 'singleDisk',
  context: ({ input }) => ({ name: input.name, server: input.server }),
  initial: 'online',
  states: {
    online: {
      on: {
        // VD-1, SRV-1: a single virtual disk is inaccessible while its server is stopped.
        serverStopped: { target: 'offline' },
        // SRV-14: its server's backend pool failed: nothing to serve it from.
        poolLost: { target: 'offline' },
        write: {},
        flush: {},
      },
    },
    offline: {
      on: {
        // VD-1, SRV-7: single virtual disks are served again on start.
        serverRunning: { target: 'online' },
        // SRV-14: the pool is back under its running server.
        poolBack: { target: 'online' },
        write: { actions: refuse('VD_OFFLINE', 'the virtual disk is offline: its server is not running') },
        flush: { actions: refuse('VD_OFFLINE', 'the virtual disk is offline: its server is not running') },
      },
    },
  },
});
