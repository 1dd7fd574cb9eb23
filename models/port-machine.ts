import { emit, setup } from 'xstate';
import type { PortMode, PortRole } from './types.js';

export interface PortInput {
  /** Server the port belongs to. */
  server: string;
  /** Port name. */
  name: string;
  /** Roles the port plays. */
  roles: PortRole[];
  /** A mirror port explicitly set to Target Only (PRT-1). */
  targetOnly?: boolean;
}

export interface PortContext {
  server: string;
  name: string;
  roles: PortRole[];
  /** Mode derived from the roles (PRT-1). */
  mode: PortMode;
}

/** Notifications from the server the port belongs to. */
export type PortEvent =
  | { type: 'powerOn' }
  | { type: 'powerOff' }
  | { type: 'virtualizationStarted' }
  | { type: 'virtualizationStopped'; crashed: boolean };

/** Emitted when the port's enabled flag changes, so that paths through it follow. */
export type PortEmitted = { type: 'portEnabled' } | { type: 'portDisabled' };

/** PRT-1: FE only -> Target Only; BE only -> Initiator; any other combination -> Initiator/Target. */
export function portMode(roles: readonly PortRole[], targetOnly = false): PortMode {
  if (targetOnly) return 'targetOnly';
  if (roles.length === 1 && roles[0] === 'frontEnd') return 'targetOnly';
  if (roles.length === 1 && roles[0] === 'backEnd') return 'initiator';
  return 'initiatorTarget';
}

/**
 * A server port. Target Only ports are enabled only while the server runs (PRT-2, SRV-2);
 * Initiator and Initiator/Target ports stay enabled while the server is stopped and go down
 * with power (PRT-3). A port starts enabled: servers start powered on and running.
 */
export const portMachine = setup({
  types: {
    context: {} as PortContext,
    events: {} as PortEvent,
    input: {} as PortInput,
    emitted: {} as PortEmitted,
  },
  guards: {
    targetOnly: ({ context }) => context.mode === 'targetOnly',
  },
  actions: {
    notifyEnabled: emit({ type: 'portEnabled' as const }),
    notifyDisabled: emit({ type: 'portDisabled' as const }),
  },
}).createMachine({
  id: 'port',
  context: ({ input }) => ({
    server: input.server,
    name: input.name,
    roles: input.roles,
    mode: portMode(input.roles, input.targetOnly),
  }),
  initial: 'enabled',
  states: {
    enabled: {
      on: {
        // PRT-2, SRV-2: Target Only ports are disabled while the server is stopped.
        virtualizationStopped: { guard: 'targetOnly', target: 'disabled' },
        // PRT-3: every port goes down with power.
        powerOff: { target: 'disabled' },
      },
    },
    disabled: {
      entry: 'notifyDisabled',
      exit: 'notifyEnabled',
      on: {
        // PRT-2, SRV-7: start enables Target Only ports.
        virtualizationStarted: { guard: 'targetOnly', target: 'enabled' },
        // PRT-3: Initiator and Initiator/Target ports are enabled whenever the machine is on.
        powerOn: { guard: ({ context }) => context.mode !== 'targetOnly', target: 'enabled' },
      },
    },
  },
});
