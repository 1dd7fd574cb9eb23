// What an engine group can do as a system under test, and why the rest is left out.

import type { GroupEventType } from '../../models/types.js';
import { groupEventTypes } from '../../models/topology-schema.js';
import type { Capabilities } from '../types.js';

/**
 * Every event `apply()` performs on an engine group: all the model's but host I/O (`write`, `flush`,
 * which goes through devices) and the two the engine does on its own (it times the auto-restart
 * window and finishes recovery itself).
 */
const notApplied: readonly GroupEventType[] = [
  'write',
  'flush',
  'autoRestartWindowElapsed',
  'recoveryComplete',
  'hostDisconnect',
  'hostReconnect',
  'poolFail',
  'poolRestore',
];
export const engineEvents: readonly GroupEventType[] = groupEventTypes.filter((e) => !notApplied.includes(e));

/** The engine's capabilities (the same for every topology: it supports all of the model's). */
export function engineCapabilities(): Capabilities {
  return {
    events: engineEvents,
    hostIo: true,
    mirroredDisks: true,
    copyReader: true,
    cacheProbe: true,
    holdsRecovery: false,
    reasons: {
      holdsRecovery: 'the engine starts a mirror recovery as soon as the copies meet and runs it to the end; it has no command to hold one',
      recoveryComplete: 'the engine completes recoveries by itself (holdsRecovery is false): the runner waits for them',
      autoRestartWindowElapsed:
        "the engine counts automatic restarts in a wall-clock window (autoRestartWindowSeconds, 1 s at least) kept in each server's " +
        'persisted state and, while it runs, in its memory; no command ends the window early',
      hostDisconnect: 'host connection events belong to the opt-in hostConnections topology feature; the engine has no command for them',
      hostReconnect: 'host connection events belong to the opt-in hostConnections topology feature; the engine has no command for them',
      poolFail: 'backend pool events belong to the opt-in backendPools topology feature; the engine has no command for them',
      poolRestore: 'backend pool events belong to the opt-in backendPools topology feature; the engine has no command for them',
    },
  };
}
