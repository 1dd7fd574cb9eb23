import { assign, emit, setup } from 'xstate';
import { refuse, type Refusal, type RefusalParams } from './refusal.js';
import type { Alua, DataStatus, VirtualDiskState } from './types.js';

/**
 * What the group knows about one copy of a mirrored virtual disk. This is the abstraction of
 * the generation records and change logs a real system keeps (docs/model.md explains it):
 * enough to decide, after any combination of stops and crashes, which copy is newest and
 * what recovery the other needs (MIR-10).
 */
export interface CopyContext {
  /** Server holding the copy. */
  server: string;
  /** The copy's server is running virtualization. */
  up: boolean;
  /**
   * `current`: holds every acknowledged write that any copy holds (up to cache lost in a
   * crash, see `lostCache`). `staleLog`: behind, the newest copy's change log covers the
   * difference (MIR-3, MIR-5). `staleFull`: behind, only a full copy repairs it (MIR-6).
   */
  data: 'current' | 'staleLog' | 'staleFull';
  /**
   * The copy's server crashed while this copy was the newest and no other copy kept serving:
   * its volatile cache is gone (SRV-11), so its backend may lack acknowledged writes that
   * another copy holds, and its change log may not cover them.
   */
  lostCache: boolean;
  /**
   * Hosts had access to the disk while this newest copy's server ran, since it last started (or
   * since the copy last became the newest): its volatile cache may hold acknowledged writes, so
   * a crash may lose some (SRV-11). Kept for newest copies only; a stale copy that becomes the
   * newest again (recovery, force) counts as written.
   */
  hostsWrote: boolean;
}

/** MIR-11: the last forced decision, as the disk reports it (feature `forceRecord`). */
export interface ForcedDecision {
  /** Server of the copy an operator forced online. */
  copy: string;
  /** The other copy held, or may have held, acknowledged writes the forced copy lacks: they were given up. */
  discarded: boolean;
}

export interface MirrorContext {
  name: string;
  /** The two copies, preferred first (PTH-3). */
  copies: CopyContext[];
  /** The mirror link between the copies' servers is up (MIR-13). */
  linkUp: boolean;
  /** Some host is connected to the group (PTH-1); hosts can write only then. */
  hostsAttached: boolean;
  /** The disk keeps a record of forced decisions (feature `forceRecord`). */
  recordsForce: boolean;
  /** MIR-11: the last forced decision, until the copies are in sync again; null when none. */
  forced: ForcedDecision | null;
}

export interface MirrorInput {
  name: string;
  /** Servers of the copies, preferred first. */
  copies: [string, string];
  /** Keep a record of forced decisions (feature `forceRecord`; default false). */
  recordForce?: boolean;
}

/** One server going down: gracefully (stop, shutdown) or by a crash. */
export interface CopyDown {
  server: string;
  crashed: boolean;
}

export type MirrorEvent =
  /** Servers of copies stopped virtualization at the same instant (one, or all in a site crash). */
  | { type: 'copiesDown'; copies: CopyDown[] }
  /** The server of a copy started virtualization. */
  | { type: 'copyUp'; server: string }
  | { type: 'linkDown' }
  | { type: 'linkUp' }
  | { type: 'write' }
  | { type: 'flush' }
  | { type: 'recoveryComplete' }
  | { type: 'forceMirrorRecovery'; copy: string }
  /** Some host is connected again after none was (PTH-1). */
  | { type: 'hostsAttached' }
  /** The last connected host disconnected (PTH-1). */
  | { type: 'hostsDetached' }
  /** SRV-14: a copy's backend pool failed under running virtualization: the copy is lost as in a crash. */
  | { type: 'poolLost'; server: string }
  /** SRV-14: a copy's backend pool is back under running virtualization: the copy comes up. */
  | { type: 'poolBack'; server: string };

/** The copies an event takes down: a stop or crash, or a pool failure (writes on their way to it are lost, as in a crash). */
function downsOf(event: MirrorEvent): readonly CopyDown[] {
  if (event.type === 'copiesDown') return event.copies;
  if (event.type === 'poolLost') return [{ server: event.server, crashed: true }];
  return [];
}

/** The server whose copy an event brings up: its virtualization started, or its pool came back. */
function upOf(event: MirrorEvent): string | null {
  return event.type === 'copyUp' || event.type === 'poolBack' ? event.server : null;
}

type Ctx = MirrorContext;

function otherCopies(ctx: Ctx, c: CopyContext): CopyContext[] {
  return ctx.copies.filter((o) => o !== c);
}

/** A copy that receives host writes: its server runs and the copy is newest (MIR-1). */
function serving(c: CopyContext): boolean {
  return c.up && c.data === 'current';
}

/** A stale copy that a running newest copy is recovering over the link (MIR-7). */
function recovering(ctx: Ctx, c: CopyContext): boolean {
  return c.up && c.data !== 'current' && ctx.linkUp && otherCopies(ctx, c).some(serving);
}

/** Hosts have access: some newest copy's server runs (MIR-2, MIR-9). */
export function hasAccess(ctx: Ctx): boolean {
  return ctx.copies.some(serving);
}

/** Every copy's server runs and the copies are connected: the group can decide (MIR-9, MIR-10). */
function allUpAndLinked(ctx: Ctx): boolean {
  return ctx.linkUp && ctx.copies.every((c) => c.up);
}

/** MIR-11: both copies are newest and both lost cache in one crash: nobody can tell which is newer. */
function undecidable(ctx: Ctx): boolean {
  const current = ctx.copies.filter((c) => c.data === 'current');
  return current.length > 1 && current.every((c) => c.lostCache);
}

function servingPhase(ctx: Ctx): 'inSync' | 'recovering' | 'degraded' {
  if (ctx.copies.some((c) => recovering(ctx, c))) return 'recovering';
  if (allUpAndLinked(ctx) && ctx.copies.every((c) => c.data === 'current')) return 'inSync';
  return 'degraded';
}

function mapCopies(ctx: Ctx, f: (c: CopyContext) => Partial<CopyContext>): Pick<Ctx, 'copies'> {
  return { copies: ctx.copies.map((c) => ({ ...c, ...f(c) })) };
}

/**
 * Servers went down. A crashed copy loses its cache (SRV-11): if another newest copy keeps
 * serving it needs full recovery (MIR-6); if it was the newest copy left and served hosts, it
 * stays newest but records that its backend may lack acknowledged writes. A graceful stop flushes (SRV-3), and a
 * stale copy whose server crashed while running needs full recovery: its lost cache may have
 * held writes from before it fell behind, which no change log covers.
 */
function copiesDown(ctx: Ctx, downs: readonly CopyDown[], inService: boolean): Pick<Ctx, 'copies'> {
  const going = new Set(downs.map((d) => d.server));
  // While the link is down only one copy serves (MIR-13), unless no host was connected to write.
  const survivorServes = inService && ctx.copies.some((o) => !going.has(o.server) && serving(o));
  return mapCopies(ctx, (c) => {
    const down = downs.find((d) => d.server === c.server);
    if (!down || !c.up) return {};
    // A newest copy no host wrote to since its server started holds nothing in its cache to lose.
    if (!down.crashed || (c.data === 'current' && !c.hostsWrote)) return { up: false, hostsWrote: false };
    if (c.data !== 'current' || survivorServes) return { up: false, data: 'staleFull', hostsWrote: false };
    // Only a copy that hosts could write to since its server started can have lost acknowledged
    // writes with its cache (MIR-11: with no writes in flight, the copies stay equal).
    return { up: false, lostCache: c.lostCache || c.hostsWrote, hostsWrote: false };
  });
}

/**
 * MIR-10: all copies' servers are back and connected: the newest copy is the source. A newest
 * copy that lost cache loses to another newest copy that did not; if the source lost cache,
 * its change log may miss what it lost, so the other copy needs full recovery.
 */
function decide(ctx: Ctx): Pick<Ctx, 'copies'> {
  const current = ctx.copies.filter((c) => c.data === 'current');
  const clean = current.filter((c) => !c.lostCache);
  if (current.length > 1 && clean.length > 0) {
    return mapCopies(ctx, (c) => (c.lostCache ? { data: 'staleFull', lostCache: false, hostsWrote: false } : {}));
  }
  const sourceLost = current.some((c) => c.lostCache);
  return mapCopies(ctx, (c) => (c.data === 'current' ? { lostCache: false } : sourceLost ? { data: 'staleFull' } : {}));
}

/**
 * Hosts wrote (MIR-1): every serving copy and every copy being recovered takes the write; a
 * newest copy whose server is away falls behind by what the change log records (MIR-3, MIR-5).
 */
function write(ctx: Ctx): Pick<Ctx, 'copies'> {
  return mapCopies(ctx, (c) => (!c.up && c.data === 'current' ? { data: 'staleLog' } : {}));
}

/**
 * A copy's server started while hosts have access (failback, MIR-7). MIR-13: if the link is
 * down while another copy serves hosts, the
 * returning copy cannot rejoin (that would be split brain); it falls behind by what the
 * serving copy logs from now on and gets log recovery when the link returns.
 */
function rejoin(ctx: Ctx, server: string): Pick<Ctx, 'copies'> {
  // With no host connected nothing is written on the other side: the copy stays as new as it was
  // until hosts return (hostsAttached).
  const cutOff = ctx.hostsAttached && !ctx.linkUp && ctx.copies.some((o) => o.server !== server && serving(o));
  return mapCopies(ctx, (c) => (c.server !== server ? {} : cutOff && c.data === 'current' ? { up: true, data: 'staleLog' } : { up: true }));
}

/**
 * MIR-13: the link failed between two serving copies: the preferred copy keeps host access, and
 * the other falls behind by what hosts write from now on. With no host connected nothing is
 * written: the copies stay equal until a host connects again (hostsAttached).
 */
function linkDown(ctx: Ctx): Partial<Ctx> {
  return { linkUp: false, ...partition(ctx) };
}

/** MIR-13: while the link is down and hosts can write, only the preferred serving copy keeps serving. */
function partition(ctx: Ctx): Partial<Ctx> {
  const [preferred, ...others] = ctx.copies;
  if (ctx.hostsAttached && preferred && serving(preferred)) {
    return mapCopies(ctx, (c) => (others.includes(c) && serving(c) ? { data: 'staleLog', hostsWrote: false } : {}));
  }
  return {};
}

/**
 * MIR-11: the named copy comes online as the newest; every other copy gets full recovery from it.
 * With `recordsForce`, the decision is kept: which copy, and whether another copy held (or may
 * have held, after both lost their caches) acknowledged writes the forced copy lacks.
 */
function force(ctx: Ctx, server: string): Pick<Ctx, 'copies' | 'forced'> {
  const forced = ctx.copies.find((c) => c.server === server);
  const discarded =
    !!forced && ctx.copies.some((o) => o !== forced && o.data === 'current' && (forced.data !== 'current' || forced.lostCache));
  return {
    ...mapCopies(ctx, (c) =>
      c.server === server
        ? { data: 'current', lostCache: false, hostsWrote: true }
        : { data: 'staleFull', lostCache: false, hostsWrote: false },
    ),
    forced: ctx.recordsForce ? { copy: server, discarded } : null,
  };
}

/** Newest copies that run while hosts have access and are not yet marked as written to. */
function unmarkedWrites(ctx: Ctx): boolean {
  return ctx.hostsAttached && ctx.copies.some((c) => serving(c) && !c.hostsWrote);
}

/** What a copy's server offers hosts for this disk, before the path's own state (PTH-3, MIR-13). */
export function mirrorAccess(ctx: Ctx, phase: MirrorPhase, server: string): Alua {
  const c = ctx.copies.find((x) => x.server === server);
  if (!c || phase !== 'serving' || !serving(c)) return 'unavailable';
  const preferred = ctx.copies[0];
  return c === preferred || !preferred || !serving(preferred) ? 'activeOptimized' : 'activeNonOptimized';
}

export type MirrorPhase = 'serving' | 'awaitingServers' | 'undecidable';

/** Copy data status as reported (MIR-4). */
export function copyDataStatus(ctx: Ctx, phase: MirrorPhase, c: CopyContext): DataStatus {
  if (phase === 'awaitingServers') return 'unknown'; // MIR-9
  if (phase === 'undecidable') return 'doubleFailure'; // MIR-11
  if (c.data === 'current') return 'upToDate';
  const kind = c.data === 'staleLog' ? 'log' : 'full';
  if (!c.up) return kind === 'log' ? 'logRecoveryNeeded' : 'fullRecoveryNeeded';
  if (recovering(ctx, c)) return kind === 'log' ? 'inLogRecovery' : 'inFullRecovery';
  return kind === 'log' ? 'logRecoveryPending' : 'fullRecoveryPending';
}

/** Virtual disk status (MIR-4). */
export function mirrorDiskState(ctx: Ctx, phase: MirrorPhase): VirtualDiskState {
  if (phase !== 'serving') return 'unknown';
  return servingPhase(ctx) === 'inSync' ? 'online' : 'failedRedundancy';
}

const noAccess = (what: string) => refuse('MIR_NO_HOST_ACCESS', `host access to the virtual disk is disabled; ${what} is not possible`);

/**
 * A mirrored virtual disk with two copies: failover and failback (MIR-2, PTH-3), change logs
 * (MIR-3), log and full recovery (MIR-5..7), both-down handling (MIR-8..12), forced recovery
 * (MIR-11) and link failure without split brain (MIR-13).
 */
export const mirrorMachine = setup({
  types: {
    context: {} as MirrorContext,
    events: {} as MirrorEvent,
    input: {} as MirrorInput,
    emitted: {} as Refusal,
  },
  guards: {
    noAccess: ({ context }) => !hasAccess(context),
    phaseInSync: ({ context }) => servingPhase(context) === 'inSync',
    phaseRecovering: ({ context }) => servingPhase(context) === 'recovering',
    phaseDegraded: ({ context }) => servingPhase(context) === 'degraded',
    decidable: ({ context }) => allUpAndLinked(context) && !undecidable(context),
    undecidable: ({ context }) => allUpAndLinked(context) && undecidable(context),
    forcedCopyUp: ({ context, event }) =>
      event.type === 'forceMirrorRecovery' && context.copies.some((c) => c.server === event.copy && c.up),
    linkIsUp: ({ context }) => context.linkUp,
    unmarkedWrites: ({ context }) => unmarkedWrites(context),
  },
  actions: {
    refuse: emit((_, params: RefusalParams) => ({ type: 'refused' as const, ...params })),
    copyUp: assign(({ context, event }) =>
      upOf(event) !== null ? mapCopies(context, (c) => (c.server === upOf(event) ? { up: true } : {})) : {},
    ),
    rejoin: assign(({ context, event }) => {
      const server = upOf(event);
      return server !== null ? rejoin(context, server) : {};
    }),
    linkUp: assign({ linkUp: true }),
    decide: assign(({ context }) => decide(context)),
    // MIR-2, MIR-6 while hosts have access; MIR-8, MIR-9 otherwise.
    copiesDownServing: assign(({ context, event }) => copiesDown(context, downsOf(event), true)),
    copiesDownAway: assign(({ context, event }) => copiesDown(context, downsOf(event), false)),
    write: assign(({ context }) => write(context)),
    linkDown: assign(({ context }) => linkDown(context)),
    hostsAttachedServing: assign(({ context }) => {
      const attached = { ...context, hostsAttached: true };
      return context.linkUp ? attached : { ...attached, ...partition(attached) };
    }),
    force: assign(({ context, event }) => (event.type === 'forceMirrorRecovery' ? force(context, event.copy) : {})),
    markHostWrites: assign(({ context }) => mapCopies(context, (c) => (serving(c) ? { hostsWrote: true } : {}))),
  },
}).createMachine({
  id: 'mirror',
  context: ({ input }) => ({
    name: input.name,
    copies: input.copies.map((server) => ({ server, up: true, data: 'current' as const, lostCache: false, hostsWrote: true })),
    linkUp: true,
    hostsAttached: true,
    recordsForce: input.recordForce ?? false,
    forced: null,
  }),
  initial: 'serving',
  on: {
    copyUp: { actions: 'copyUp' },
    linkUp: [{ guard: 'linkIsUp', actions: refuse('LINK_ALREADY_UP', 'the mirror link is already up') }, { actions: 'linkUp' }],
    linkDown: [
      { guard: 'linkIsUp', actions: assign({ linkUp: false }) },
      { actions: refuse('LINK_ALREADY_DOWN', 'the mirror link is already down') },
    ],
    copiesDown: { actions: 'copiesDownAway' },
    // SRV-14: the copy's backend pool failed or came back under running virtualization.
    poolLost: { actions: 'copiesDownAway' },
    poolBack: { actions: 'copyUp' },
    // PTH-1: whether any host can write at all.
    hostsAttached: { actions: assign({ hostsAttached: true }) },
    hostsDetached: { actions: assign({ hostsAttached: false }) },
    forceMirrorRecovery: [
      // MIR-11: forcing needs the named copy's server running.
      { guard: 'forcedCopyUp', target: '.serving', actions: 'force' },
      { actions: refuse('MIR_COPY_SERVER_DOWN', "the named copy's server is not running; start it first") },
    ],
    write: { actions: noAccess('writing') },
    flush: { actions: noAccess('flushing') },
    recoveryComplete: { actions: refuse('MIR_NO_RECOVERY', 'no mirror recovery is running') },
  },
  states: {
    // Hosts have access through at least one newest copy whose server runs (MIR-2).
    serving: {
      initial: 'inSync',
      always: [
        // MIR-9: the last newest copy's server went down: state unknown, host access disabled.
        { guard: 'noAccess', target: 'awaitingServers' },
        // MIR-11: hosts may write to the copies that serve; their caches may hold acknowledged writes.
        { guard: 'unmarkedWrites', actions: 'markHostWrites' },
      ],
      on: {
        // MIR-7: failback: the copy rejoins, recovery starts if it fell behind.
        copyUp: { actions: 'rejoin' },
        // MIR-2, MIR-6: a server went down; the other copy keeps hosts going.
        copiesDown: { actions: 'copiesDownServing' },
        // SRV-14, MIR-6: a pool failure loses the copy as a crash does; its return is a failback (MIR-7).
        poolLost: { actions: 'copiesDownServing' },
        poolBack: { actions: 'rejoin' },
        // MIR-13: hosts are back while the link is down: only the preferred copy keeps serving.
        hostsAttached: { actions: 'hostsAttachedServing' },
        // MIR-13: no split brain, the preferred copy keeps host access.
        linkDown: [{ guard: 'linkIsUp', actions: 'linkDown' }, { actions: refuse('LINK_ALREADY_DOWN', 'the mirror link is already down') }],
        // MIR-1, MIR-3, MIR-5
        write: { actions: 'write' },
        // DS-3: a flush makes acknowledged writes durable on every serving copy; the status
        // does not change (the model does not track which cached writes are durable).
        flush: {},
        forceMirrorRecovery: {
          actions: refuse('MIR_FORCE_NOT_NEEDED', 'hosts have access through an up-to-date copy; nothing to force'),
        },
      },
      states: {
        // Every copy up to date, servers running and connected: virtual disk online.
        inSync: {
          always: [
            { guard: 'phaseRecovering', target: 'recovering' },
            { guard: 'phaseDegraded', target: 'degraded' },
          ],
        },
        // MIR-7: recovery runs from the newest copy while hosts keep access.
        recovering: {
          always: [
            { guard: 'phaseInSync', target: 'inSync' },
            { guard: 'phaseDegraded', target: 'degraded' },
          ],
          on: {
            recoveryComplete: {
              // Once every copy is current again, a forced decision is history (MIR-11).
              actions: assign(({ context }) => {
                const recovered = mapCopies(context, (c) => (recovering(context, c) ? { data: 'current', hostsWrote: true } : {}));
                return recovered.copies.every((c) => c.data === 'current') ? { ...recovered, forced: null } : recovered;
              }),
            },
          },
        },
        // A copy is away or cut off: failed redundancy, hosts keep access (MIR-2).
        degraded: {
          always: [
            { guard: 'phaseInSync', target: 'inSync' },
            { guard: 'phaseRecovering', target: 'recovering' },
          ],
        },
      },
    },
    // MIR-9: every server holding a newest copy went down: unknown until all are back.
    awaitingServers: {
      always: [
        // MIR-10: all back: the newest copy is the source, recoveries follow.
        { guard: 'decidable', target: 'serving', actions: 'decide' },
        // MIR-11: both newest copies lost cache: nobody can tell which is newer.
        { guard: 'undecidable', target: 'undecidable' },
      ],
    },
    // MIR-11: stays unknown, host access disabled, until an operator forces a copy.
    undecidable: {},
  },
});

/** The mirror phase of a snapshot value. */
export function mirrorPhase(value: unknown): MirrorPhase {
  if (typeof value === 'string') return value as MirrorPhase;
  return 'serving';
}
