// Ways to make the model adapter lie, so tests can show the runner catches each lie with the
// right SPEC ID. A conforming adapter has none; each lie breaks exactly one promise.

/** Deliberate misbehaviours of the model adapter (all off by default). */
export interface ModelLies {
  /** Report the paths of a server that is not running as online (CF-1: the status contradicts the model). */
  readonly reportStoppedPathsOnline?: boolean;
  /** Acknowledge the `nth` write (1-based, counting writes to `vdisk`) without storing it (DS-1). */
  readonly dropWrite?: { readonly vdisk: string; readonly nth: number };
  /** Answer commands the model refuses as accepted, changing nothing (SRV-12). */
  readonly acceptRefused?: boolean;
  /** Answer refusals with another refusal code than the model's (SRV-12). */
  readonly wrongRefusalCode?: boolean;
  /** Serve reads over single paths whose ALUA state is unavailable, copies in recovery included (PTH-3). */
  readonly serveUnavailablePaths?: boolean;
  /** Take and acknowledge writes while host access is disabled (DS-7). */
  readonly writeWhileDisabled?: boolean;
  /** Complete recoveries without copying the data (DS-6: copies differ after recovery). */
  readonly recoveryCopiesNothing?: boolean;
  /** With the write-back cache: write through to the backend although the effective mode is write-back (SRV-6). */
  readonly ignoreWriteBack?: boolean;
  /** With the write-back cache: keep caching on battery, where the effective mode is write-through (SRV-13). */
  readonly cacheOnBattery?: boolean;
  /** A crash loses what the server's copies held on their backends too, durable writes included (DS-3). */
  readonly crashLosesDurable?: boolean;
  /** Report a status that breaks the CF-2 schema (SANSPEC_BAD_STATUS). */
  readonly invalidStatus?: boolean;
}

/** Names of the lies, for configuration checks. */
export const lieNames = [
  'reportStoppedPathsOnline',
  'dropWrite',
  'acceptRefused',
  'wrongRefusalCode',
  'serveUnavailablePaths',
  'writeWhileDisabled',
  'recoveryCopiesNothing',
  'ignoreWriteBack',
  'cacheOnBattery',
  'crashLosesDurable',
  'invalidStatus',
] as const satisfies ReadonlyArray<keyof ModelLies>;
