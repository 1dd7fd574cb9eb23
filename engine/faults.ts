// Fault switches: deliberate, realistic developer slips that the conformance runner must catch
// (issue 10). Each switch is one small `if (fault('name'))` at the place where the slip would be
// made; with every switch off (the default, and the only possibility in production) the engine
// behaves exactly as without this file.
//
// A process turns switches on only from its group configuration's `testing.faults`, and a group
// configuration naming any switch is refused with ENGINE_FAULTS_DISABLED unless the environment
// of whoever loads it has SANSPEC_ALLOW_FAULTS=1 (engine/config/load-config.ts). The supervisor
// and the servers inherit that environment from `group up` or the engine adapter.

import type { Code } from '../contracts/codes.js';

/** Every fault switch, with the slip it makes and the rule (SPEC.md) that slip breaks. */
export const FAULT_SWITCHES = {
  /** 1. MIR-1: a mirrored write is acknowledged once the local copy holds it; the partner gets it at the next resync. */
  mirrorAckBeforePartner: 'a mirrored write is acknowledged before the partner copy holds it (MIR-1)',
  /** 2. SRV-3: a graceful stop drops dirty cache blocks instead of destaging them. */
  stopWithoutDestage: 'a graceful stop does not destage dirty cache blocks before the server reports stopped (SRV-3)',
  /** 3. SRV-10: power-on after a crash restores the last state, as after a clean shutdown. */
  crashSelfStart: 'a crashed server starts virtualization by itself when powered on, ignoring the restart budget (SRV-10)',
  /** 4. MIR-13: the non-preferred copy keeps host access when the link is cut and its partner is alive. */
  bothServeAfterLinkCut: 'after the mirror link is cut, both sides keep serving writes (MIR-13)',
  /** 5. VD-2, DS-3: the cache ignores the FUA flag. */
  fuaAsPlainWrite: 'a FUA write is treated as a plain write (DS-3)',
  /** 6. DS-4: reads go to the backend even where the cache holds newer dirty blocks. */
  readBackendUnderDirty: 'a read is served from the backend while a newer dirty block sits in the cache (DS-4)',
  /** 7. MIR-7, DS-6: the recovery's copy loop stops one run early and reports done. */
  recoveryDoneEarly: 'recovery marks the target up to date before its last region is copied (MIR-7, DS-6)',
  /** 8. MIR-7, DS-6: while recovering, the source applies host writes locally only (the copy loop is trusted to carry them). */
  recoveryWritesNotForwarded: 'during recovery, writes to regions already copied are not forwarded to the target (MIR-7, DS-6)',
  /** 9. PTH-3: the non-preferred copy reports Active/Optimized while both copies serve. */
  nonPreferredOptimized: 'the non-preferred path reports Active Optimized while the preferred server is healthy (PTH-3)',
  /** 10. DS-1: the destager writes the version a block had when it first became dirty, not its latest. */
  destageOlderOverNewer: 'destage writes an older version of a block over a newer one (DS-1)',
  /** 11. CF-1: a powered-off server that shut down cleanly is reported Failed. */
  cleanShutdownFailed: 'a server that shut down cleanly reports Failed instead of Unavailable (CF-1)',
  /** 12. VD-1, DS-1: writes reaching a single disk while its server stops are acknowledged and dropped. */
  singleDiskDropWhileStopping: 'a host write to a single disk whose server is stopping is acknowledged but dropped (DS-1)',
  /** 13. DS-3: a FLUSH is acknowledged once the cache destaged, without syncing the backend (caught only in power-loss mode). */
  flushWithoutSync: 'a FLUSH is acknowledged before the backend synced the data it covers (DS-3; needs power-loss mode)',
} as const;

/** The name of a fault switch. */
export type FaultSwitch = keyof typeof FAULT_SWITCHES;

/** Every fault switch name, in catalogue order. */
export const faultSwitchNames = Object.keys(FAULT_SWITCHES) as FaultSwitch[];

/** The environment variable that permits fault switches (test-only). */
export const ALLOW_FAULTS_ENV = 'SANSPEC_ALLOW_FAULTS';

/** Whether `env` permits fault switches: SANSPEC_ALLOW_FAULTS=1. */
export const faultsAllowed = (env: NodeJS.ProcessEnv = process.env): boolean => env[ALLOW_FAULTS_ENV] === '1';

/** A configuration asked for fault switches without the permission (ENGINE_FAULTS_DISABLED). */
export class FaultsDisabledError extends Error {
  readonly code = 'ENGINE_FAULTS_DISABLED' satisfies Code;
  constructor(readonly switches: readonly string[]) {
    super(
      `the configuration turns on fault switches (${switches.join(', ')}), which only tests may do: ` +
        `set ${ALLOW_FAULTS_ENV}=1 in the environment to allow them, or remove testing.faults`,
    );
    this.name = 'FaultsDisabledError';
  }

  get details(): { switches: readonly string[] } {
    return { switches: this.switches };
  }
}

/** The switches on in this process: none unless `setFaults` was called. */
let active: ReadonlySet<FaultSwitch> = new Set();

/** Whether fault switch `name` is on in this process (never, unless a test configuration turned it on). */
export function fault(name: FaultSwitch): boolean {
  return active.size > 0 && active.has(name);
}

/** Turns exactly `switches` on in this process (an empty list turns every switch off). */
export function setFaults(switches: readonly FaultSwitch[]): void {
  active = new Set(switches);
}

/** The switches on in this process. */
export function activeFaults(): FaultSwitch[] {
  return faultSwitchNames.filter((name) => active.has(name));
}
