// The fault switches of engine/faults.ts as conformance cases (issue 10): for each switch, what a
// path must do to show the slip (cues: events in order, each matched against the model's state
// after it), the rules a caught failure may name, and the run settings it needs. The shortest
// path that can show the slip is computed from the model by breadth-first search over (model
// state, cues matched so far), never written down by hand.
//
// The runner does host I/O on every accessible disk after every step (writes where the model
// keeps its prediction, then reads, the last write of a step FUA on alternate steps), so the cues
// name only the events a path needs besides that I/O.

import type { EngineAdapterOptions } from '../../adapters/engine/index.js';
import type { FaultSwitch } from '../../engine/faults.js';
import type { PlanPath } from './types.js';
import type { GroupModel, GroupState } from '../../models/group.js';
import { groupStatus } from '../../models/status.js';
import type { GroupEvent, GroupStatus } from '../../models/types.js';

/** One event a path must contain, in order after the previous cue's. */
export interface Cue {
  /** For people: what the event is. */
  readonly label: string;
  /** Whether `event`, taken in `before` and leading to `after`, is this cue. */
  readonly matches: (event: GroupEvent, after: GroupStatus, before: GroupStatus) => boolean;
  /** Host writes must overlap this step (PlanStep.overlapIo). */
  readonly overlapIo?: boolean;
}

/** How the conformance runner is to catch one fault switch. */
export interface FaultCase {
  readonly fault: FaultSwitch;
  /** The events a path needs, in order. */
  readonly cues: readonly Cue[];
  /** What must hold at the end of the path (e.g. a disk readable again, for the read-back). */
  readonly end?: (status: GroupStatus) => boolean;
  /** The SPEC ID the runner's failure names when it catches this slip (the first rule the path breaks). */
  readonly rule: string;
  /** Another SPEC ID the failure may name instead, when timing decides which broken rule the runner meets first. */
  readonly orRule?: string;
  /** The events a path needs to show the slip as `orRule`, when they are not `cues` (and `end`). */
  readonly orCues?: readonly Cue[];
  /** Adapter options besides the switch (e.g. a throttled recovery, so host writes meet it). */
  readonly adapter?: Partial<EngineAdapterOptions>;
  /** Run settings besides the test's defaults (e.g. one block, so every write overwrites). */
  readonly settings?: { maxBlocks?: number };
}

const downTypes = new Set(['stop', 'shutdown', 'restart', 'batteryLow']);
const copyOf = (s: GroupStatus, vdisk: string) => s.virtualDisks.find((v) => v.name === vdisk)?.copies ?? [];
const readable = (s: GroupStatus, vdisk: string) => s.virtualDisks.find((v) => v.name === vdisk)?.hostAccess === 'readWrite';

/** A graceful stop of `server` (stop, shutdown, restart, battery low). */
const gracefulStop = (server: string, overlapIo = false): Cue => ({
  label: `graceful stop of ${server}${overlapIo ? ' with writes in flight' : ''}`,
  matches: (e) => downTypes.has(e.type) && 'server' in e && e.server === server,
  overlapIo,
});
const running = (s: GroupStatus, server: string) => s.servers.find((x) => x.name === server)?.state === 'running';

/** Running `server` goes down without a graceful stop (crash or site crash). */
const crashOf = (server: string): Cue => ({
  label: `crash of running ${server}`,
  matches: (e, _after, before) => running(before, server) && ((e.type === 'crash' && e.server === server) || e.type === 'siteCrash'),
});
const event = (label: string, type: GroupEvent['type'], fields: Record<string, unknown> = {}): Cue => ({
  label,
  matches: (e) => e.type === type && Object.entries(fields).every(([k, v]) => (e as Record<string, unknown>)[k] === v),
});
const recoveryComplete = event('m1 recovery completes', 'recoveryComplete', { vdisk: 'm1' });

/**
 * Every fault switch and how the runner catches it, on the conformance topology (m1 mirrored on
 * s1 (preferred) and s2, v1 single on s1, v2 single on s2; destage delay 3 s, so acknowledged
 * writes sit in the cache while a path goes on).
 */
export const faultCases: Record<FaultSwitch, FaultCase> = {
  // Writes to m1 live only on s1: the initial state's comparison of the copies (after a flush) differs.
  mirrorAckBeforePartner: { fault: 'mirrorAckBeforePartner', cues: [], rule: 'DS-6' },
  // v1's dirty blocks are dropped by s1's stop; read back after its start.
  stopWithoutDestage: {
    fault: 'stopWithoutDestage',
    cues: [gracefulStop('s1')],
    end: (s) => readable(s, 'v1'),
    rule: 'DS-1',
  },
  crashSelfStart: { fault: 'crashSelfStart', cues: [crashOf('s1'), event('power-on of s1', 'powerOn', { server: 's1' })], rule: 'CF-1' },
  bothServeAfterLinkCut: { fault: 'bothServeAfterLinkCut', cues: [event('mirror link cut', 'linkDown')], rule: 'CF-1' },
  // v1's FUA write of the initial state is only in s1's cache when s1 crashes.
  fuaAsPlainWrite: { fault: 'fuaAsPlainWrite', cues: [crashOf('s1')], end: (s) => readable(s, 'v1'), rule: 'DS-3' },
  // The initial state's reads already see the backend's zeros under the cache's dirty blocks, found
  // by the final read-back (DS-1). A path that completes a recovery of m1 first meets the copies
  // differing (DS-6): the recovery copied the backend's older data to the target.
  readBackendUnderDirty: { fault: 'readBackendUnderDirty', cues: [], rule: 'DS-1', orRule: 'DS-6', orCues: [recoveryComplete] },
  // A log recovery of the regions written while s1 was away: the last run is never copied.
  recoveryDoneEarly: {
    fault: 'recoveryDoneEarly',
    cues: [
      {
        label: 'a write to m1 while a copy needs log recovery',
        matches: (e, after) =>
          e.type === 'write' && e.vdisk === 'm1' && copyOf(after, 'm1').some((c) => c.dataStatus === 'logRecoveryNeeded'),
      },
      recoveryComplete,
    ],
    rule: 'DS-6',
  },
  // A full recovery, throttled to 4 MiB/s: the runner's writes after the start land in regions
  // the recovery copied first (the runner's blocks are in the first MiB).
  recoveryWritesNotForwarded: {
    fault: 'recoveryWritesNotForwarded',
    cues: [
      {
        label: 'm1 in full recovery',
        matches: (_e, after) => copyOf(after, 'm1').some((c) => c.dataStatus === 'inFullRecovery'),
      },
      recoveryComplete,
    ],
    rule: 'DS-6',
    adapter: { recoveryMiBPerSecond: 4 },
  },
  nonPreferredOptimized: { fault: 'nonPreferredOptimized', cues: [], rule: 'CF-1' },
  // Four blocks, and a write step besides the runner's own writes: blocks are written again while
  // dirty, so the destage at s1's stop writes their older versions; reading v1 back after the
  // start finds one (DS-1), unless comparing m1's copies, whose blocks were overwritten too, comes
  // first (DS-6).
  destageOlderOverNewer: {
    fault: 'destageOlderOverNewer',
    cues: [event('writes to v1', 'write', { vdisk: 'v1' }), gracefulStop('s1')],
    end: (s) => readable(s, 'v1'),
    rule: 'DS-1',
    orRule: 'DS-6',
    settings: { maxBlocks: 4 },
  },
  cleanShutdownFailed: { fault: 'cleanShutdownFailed', cues: [event('shutdown of a server', 'shutdown')], rule: 'CF-1' },
  // Writes to v1 that land while s1 stops are dropped (DS-1). Whether one lands in that window is
  // timing; the same slip keeps s1's front end open after its mirror stopped, so writes to m1 in
  // the window reach only s1's copy, and a path that then completes a recovery meets the copies
  // differing (DS-6): a real effect of the slip, and the one a plan path often meets first.
  singleDiskDropWhileStopping: {
    fault: 'singleDiskDropWhileStopping',
    cues: [gracefulStop('s1', true)],
    end: (s) => readable(s, 'v1'),
    rule: 'DS-1',
    orRule: 'DS-6',
    orCues: [gracefulStop('s1', true), recoveryComplete],
  },
  // Power-loss mode: the flushed write was destaged into the overlay and never synced, so the crash
  // loses it (DS-3). A path that completes a recovery of m1 first meets the copies differing
  // (DS-6): the comparison flushes, and the target's backend holds what the source's only has in
  // its overlay.
  flushWithoutSync: {
    fault: 'flushWithoutSync',
    cues: [event('flush of v1', 'flush', { vdisk: 'v1' }), crashOf('s1')],
    end: (s) => readable(s, 'v1'),
    rule: 'DS-3',
    orRule: 'DS-6',
    orCues: [recoveryComplete],
  },
};

/** The shortest path that can show a fault case's slip: its events, and which steps overlap host writes. */
export interface ShortestPath {
  readonly events: readonly GroupEvent[];
  readonly overlapIo: readonly boolean[];
}

/**
 * Breadth-first search over (model state, cues matched so far) from the initial state, trying the
 * model's events in alphabet order and skipping refused ones (they change nothing): the shortest
 * event sequence that contains the cues in order and ends where `end` holds.
 */
export function shortestShowingPath(model: GroupModel, c: Pick<FaultCase, 'cues' | 'end'>, maxDepth = 8): ShortestPath {
  interface Node {
    state: GroupState;
    matched: number;
    events: GroupEvent[];
    overlap: boolean[];
  }
  const done = (n: Node) => n.matched === c.cues.length && (c.end?.(groupStatus(model, n.state)) ?? true);
  let frontier: Node[] = [{ state: model.initial, matched: 0, events: [], overlap: [] }];
  const seen = new Set([`${model.key(model.initial)}|0`]);
  for (let depth = 0; depth <= maxDepth; depth++) {
    const found = frontier.find(done);
    if (found) return { events: found.events, overlapIo: found.overlap };
    const next: Node[] = [];
    for (const n of frontier) {
      for (const e of model.alphabet) {
        const r = model.step(n.state, e);
        if (r.refusal !== null) continue;
        const cue = c.cues[n.matched];
        const hit = cue?.matches(e, groupStatus(model, r.state), groupStatus(model, n.state)) === true;
        const matched = n.matched + (hit ? 1 : 0);
        const key = `${model.key(r.state)}|${matched}`;
        if (seen.has(key)) continue;
        seen.add(key);
        next.push({ state: r.state, matched, events: [...n.events, e], overlap: [...n.overlap, hit && cue?.overlapIo === true] });
      }
    }
    frontier = next;
  }
  throw new Error(`no path of at most ${maxDepth} steps shows it: ${c.cues.map((x) => x.label).join(', then ')}`);
}

/** The shortest path that shows a case's slip as `rule` (its `orCues` for its `orRule`, else its cues). */
export function shortestShowingAs(model: GroupModel, c: FaultCase, rule: string): ShortestPath {
  return shortestShowingPath(model, rule === c.orRule && c.orCues ? { cues: c.orCues } : c);
}

/** The shortest path as a plan path the runner can run. */
export function asPlanPath(id: string, spec: readonly string[], shortest: ShortestPath): PlanPath {
  return {
    id,
    spec,
    steps: shortest.events.map((event, i) => ({ event, ...(shortest.overlapIo[i] ? { overlapIo: true } : {}), note: 'fault case' })),
    covers: [],
  };
}

/** Whether `path` contains the cues in order (the default plan can reach the slip). */
export function pathShows(model: GroupModel, path: PlanPath, c: Pick<FaultCase, 'cues'>): boolean {
  let state = model.initial;
  let matched = 0;
  for (const step of path.steps) {
    const r = model.step(state, step.event);
    const cue = c.cues[matched];
    if (
      cue &&
      r.refusal === null &&
      cue.matches(step.event, groupStatus(model, r.state), groupStatus(model, state)) &&
      (!cue.overlapIo || step.overlapIo)
    )
      matched++;
    if (r.refusal === null) state = r.state;
  }
  return matched === c.cues.length;
}
