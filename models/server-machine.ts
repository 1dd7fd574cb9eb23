import { and, assign, emit, enqueueActions, setup, stateIn } from 'xstate';
import { refuse, type Refusal, type RefusalParams } from './refusal.js';
import type { CacheMode } from './types.js';

/** What a server remembers; everything here is persisted by a real server, nothing volatile. */
export interface ServerContext {
  /** Server name. */
  name: string;
  /** Automatic restart attempts allowed after an unexpected restart, per window (SRV-10). */
  autoRestartLimit: number;
  /** Automatic restarts used in the current window (SRV-10). */
  autoRestartsUsed: number;
  /** State the next power-on restores: the last intended state (SRV-8, SRV-9, SRV-10). */
  resumeAs: 'running' | 'stopped';
  /** Record written by a graceful shutdown and read (then cleared) at power-on (SRV-8). */
  cleanShutdown: boolean;
  /** Cache mode in force since the last start (SRV-6). */
  cacheApplied: CacheMode;
  /** Cache mode that applies at the next start, or null (SRV-6). */
  cachePending: CacheMode | null;
  /** Cache mode in use now: write-through while on battery, the applied mode on mains (SRV-13). */
  cacheEffective: CacheMode;
}

export interface ServerInput {
  name: string;
  autoRestartLimit: number;
}

/** Events a server machine takes. */
export type ServerEvent =
  | { type: 'stop' }
  | { type: 'start' }
  | { type: 'shutdown' }
  | { type: 'restart' }
  | { type: 'crash' }
  | { type: 'powerOn' }
  | { type: 'setCache'; mode: CacheMode }
  | { type: 'onBattery' }
  | { type: 'mainsRestored' }
  | { type: 'batteryLow' }
  | { type: 'autoRestartWindowElapsed' }
  | { type: 'poolFail' }
  | { type: 'poolRestore' }
  /** Raised by the machine itself when a start applied the cache settings. */
  | { type: 'cacheApplied' };

/** Notifications a server emits so that its ports, paths and virtual disks follow it. */
export type ServerEmitted =
  | { type: 'powerOn' }
  | { type: 'powerOff' }
  | { type: 'virtualizationStarted' }
  /** `crashed`: virtualization ended without a stop, the volatile cache is lost (SRV-11). */
  | { type: 'virtualizationStopped'; crashed: boolean }
  /** SRV-14: the backend pool failed under running virtualization: the server's disks lost their storage. */
  | { type: 'poolLost' }
  /** SRV-14: the backend pool is back under running virtualization: the server's disks can be served again. */
  | { type: 'poolBack' }
  | Refusal;

const notPoweredOn = (what: string) => refuse('SRV_POWERED_OFF', `the server is powered off; ${what}`);

/**
 * One server of the group: machine power, virtualization, the persisted last state and
 * clean-shutdown record, cache settings, automatic restart attempts and UPS state.
 */
export const serverMachine = setup({
  types: {
    context: {} as ServerContext,
    events: {} as ServerEvent,
    input: {} as ServerInput,
    emitted: {} as ServerEmitted,
  },
  guards: {
    // SRV-9, SRV-10: power-on resumes running; SRV-14: only with the server's backing storage.
    resumesRunning: and([({ context }) => context.resumeAs === 'running', stateIn('#server.pool.available')]),
    hasUsedAutoRestarts: ({ context }) => context.autoRestartsUsed > 0,
    onBattery: stateIn('#server.ups.battery'),
    running: stateIn('#server.power.on.running'),
    poolAvailable: stateIn('#server.pool.available'),
  },
  actions: {
    refuse: emit((_, params: RefusalParams) => ({ type: 'refused' as const, ...params })),
    // Virtualization ends on leaving `running`: gracefully, or by a crash (SRV-11).
    virtualizationStopped: emit(({ event }) => ({
      type: 'virtualizationStopped' as const,
      crashed: event.type === 'crash',
    })),
    virtualizationStarted: emit({ type: 'virtualizationStarted' as const }),
    poweredOff: emit({ type: 'powerOff' as const }),
    poweredOn: emit({ type: 'powerOn' as const }),
    poolLost: emit({ type: 'poolLost' as const }),
    poolBack: emit({ type: 'poolBack' as const }),
    // SRV-6: pending cache settings take effect at the next start (the UPS region then decides
    // whether they are used now, SRV-13).
    applyPendingCache: enqueueActions(({ enqueue, context }) => {
      enqueue.assign({ cacheApplied: context.cachePending ?? context.cacheApplied, cachePending: null });
      enqueue.raise({ type: 'cacheApplied' });
    }),
    // SRV-13: on battery the cache runs write-through; on mains, as applied.
    writeThroughOnBattery: assign({ cacheEffective: 'writeThrough' }),
    cacheAsApplied: assign(({ context }) => ({ cacheEffective: context.cacheApplied })),
  },
}).createMachine({
  id: 'server',
  type: 'parallel',
  context: ({ input }) => ({
    name: input.name,
    autoRestartLimit: input.autoRestartLimit,
    autoRestartsUsed: 0,
    resumeAs: 'running',
    cleanShutdown: false,
    cacheApplied: 'writeBack',
    cachePending: null,
    cacheEffective: 'writeBack',
  }),
  states: {
    power: {
      initial: 'on',
      on: {
        // SRV-10: the window elapsed, automatic restart attempts are counted afresh.
        autoRestartWindowElapsed: [
          { guard: 'hasUsedAutoRestarts', actions: assign({ autoRestartsUsed: 0 }) },
          { actions: refuse('SRV_NO_AUTO_RESTARTS', 'no automatic restart attempt has been used') },
        ],
      },
      states: {
        on: {
          initial: 'running',
          on: {
            // SRV-8: a graceful shutdown stops virtualization cleanly first (SRV-3) and keeps
            // the last state in `resumeAs`, so that the next power-on restores it (SRV-9).
            shutdown: { target: 'off', actions: assign({ cleanShutdown: true }) },
            // SRV-10, SRV-11: a crash or power failure loses the volatile cache; the server
            // comes back stopped, unless it was running and an automatic restart is left.
            crash: {
              target: 'off',
              actions: assign(({ context }) => ({
                cleanShutdown: false,
                resumeAs:
                  context.resumeAs === 'running' && context.autoRestartsUsed < context.autoRestartLimit
                    ? ('running' as const)
                    : ('stopped' as const),
              })),
            },
            // SRV-12
            powerOn: { actions: refuse('SRV_ALREADY_ON', 'the server is already powered on') },
            // SRV-4, SRV-6: accepted while running or stopped, applied at the next start.
            setCache: {
              actions: assign(({ context, event }) => ({
                cachePending: event.mode === context.cacheApplied ? null : event.mode,
              })),
            },
          },
          states: {
            running: {
              entry: 'virtualizationStarted',
              exit: 'virtualizationStopped',
              on: {
                // SRV-1, SRV-3: stop flushes the cache and stops virtualization.
                stop: { target: 'stopped', actions: assign({ resumeAs: 'stopped' }) },
                // SRV-12
                start: { actions: refuse('SRV_ALREADY_RUNNING', 'the server is already running') },
                // SRV-8, SRV-9: restart stops cleanly, power-cycles the machine and restores
                // the running state; the restart is a start, so pending cache settings apply.
                restart: [
                  { guard: 'poolAvailable', target: 'running', reenter: true, actions: ['poweredOff', 'poweredOn', 'applyPendingCache'] },
                  // SRV-14: it would not come back running without its storage.
                  { actions: refuse('SRV_POOL_UNAVAILABLE', 'the backend pool is unavailable; restore it first') },
                ],
                // SRV-13: battery low stops the server gracefully.
                batteryLow: [
                  { guard: 'onBattery', target: 'stopped', actions: assign({ resumeAs: 'stopped' }) },
                  { actions: refuse('UPS_ON_MAINS', 'the UPS is on mains power') },
                ],
              },
            },
            stopped: {
              on: {
                // SRV-7: start resumes virtualization with the pending cache settings (SRV-6).
                start: [
                  { guard: 'poolAvailable', target: 'running', actions: ['applyPendingCache', assign({ resumeAs: 'running' })] },
                  // SRV-14: virtualization does not start without the server's backing storage.
                  { actions: refuse('SRV_POOL_UNAVAILABLE', 'the backend pool is unavailable; restore it first') },
                ],
                // SRV-12
                stop: { actions: refuse('SRV_ALREADY_STOPPED', 'the server is already stopped') },
                // SRV-9: a stopped server restarts stopped.
                restart: { actions: ['poweredOff', 'poweredOn'] },
                batteryLow: { actions: refuse('SRV_NOT_RUNNING', 'the server is not running; nothing to stop') },
              },
            },
          },
        },
        off: {
          entry: 'poweredOff',
          exit: 'poweredOn',
          on: {
            powerOn: [
              // SRV-9 (clean shutdown of a running server) or SRV-10 (automatic restart), with the
              // server's backing storage available (SRV-14).
              {
                guard: 'resumesRunning',
                target: 'on.running',
                actions: [
                  'applyPendingCache',
                  assign(({ context }) => ({
                    autoRestartsUsed: context.autoRestartsUsed + (context.cleanShutdown ? 0 : 1),
                    cleanShutdown: false,
                  })),
                ],
              },
              // SRV-9 (was stopped), SRV-10 (unexpected restart: comes up stopped) and SRV-14 (no
              // backing storage: comes up stopped, and stays so until started).
              { target: 'on.stopped', actions: assign({ cleanShutdown: false, resumeAs: 'stopped' }) },
            ],
            // SRV-12: commands that need a powered-on server are refused.
            stop: { actions: notPoweredOn('power it on first') },
            start: { actions: notPoweredOn('power it on first') },
            restart: { actions: notPoweredOn('power it on first') },
            shutdown: { actions: notPoweredOn('nothing to shut down') },
            crash: { actions: notPoweredOn('nothing to crash') },
            setCache: { actions: notPoweredOn('change cache settings after power-on') },
            batteryLow: { actions: refuse('SRV_NOT_RUNNING', 'the server is not running; nothing to stop') },
          },
        },
      },
    },
    // SRV-14: the backend pool (the server's backing storage) is available or not, whatever the
    // server's power; running virtualization loses or regains its disks with it.
    pool: {
      initial: 'available',
      states: {
        available: {
          on: {
            poolFail: [{ guard: 'running', target: 'unavailable', actions: 'poolLost' }, { target: 'unavailable' }],
            poolRestore: { actions: refuse('POOL_ALREADY_AVAILABLE', 'the backend pool is available') },
          },
        },
        unavailable: {
          on: {
            poolRestore: [{ guard: 'running', target: 'available', actions: 'poolBack' }, { target: 'available' }],
            poolFail: { actions: refuse('POOL_ALREADY_UNAVAILABLE', 'the backend pool is already unavailable') },
          },
        },
      },
    },
    // SRV-13: the UPS reports its power source; on battery the cache runs write-through.
    ups: {
      initial: 'mains',
      states: {
        mains: {
          entry: 'cacheAsApplied',
          on: {
            cacheApplied: { actions: 'cacheAsApplied' },
            onBattery: { target: 'battery' },
            mainsRestored: { actions: refuse('UPS_ON_MAINS', 'the UPS is already on mains power') },
          },
        },
        battery: {
          entry: 'writeThroughOnBattery',
          on: {
            mainsRestored: { target: 'mains' },
            onBattery: { actions: refuse('UPS_ON_BATTERY', 'the UPS is already on battery') },
          },
        },
      },
    },
  },
});
