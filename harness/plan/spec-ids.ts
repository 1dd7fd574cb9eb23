// Which SPEC IDs a path exercises, derived from what it does: for each step, the event, whether
// the model refused it, and how the observable status of each component changed. The table below
// reads like the models' own comments, which cite the IDs next to the transitions they encode
// (models/server-machine.ts, port-machine.ts, path-machine.ts, single-disk-machine.ts,
// mirror-machine.ts). A path's list is a promise to the runner's reader: the runner checks, at
// every step, the status (CF-1), the refusal code (SRV-12) and the bytes (DS-*), so a path that
// takes a server through a stop really tests SRV-1 and SRV-3, and so on.

import { createGroupModel } from '../../models/group.js';
import type { GroupEvent, GroupStatus, PathStatus, PortStatus, ServerStatus, Topology, VirtualDiskStatus } from '../../models/types.js';

/** What one step did, as the table reads it. */
export interface StepFacts {
  readonly event: GroupEvent;
  /** The model refused the event (SRV-12); `after` equals `before`. */
  readonly refused: boolean;
  readonly before: GroupStatus;
  readonly after: GroupStatus;
  /** Virtual disks written (writes accepted) earlier in the path. */
  readonly written: ReadonlySet<string>;
  /** Virtual disks flushed after being written, earlier in the path. */
  readonly flushed: ReadonlySet<string>;
}

/** A row of the table: SPEC IDs a step exercises when it does what `when` says. */
export interface SpecRule {
  readonly ids: readonly string[];
  /** What the step does, for readers. */
  readonly why: string;
  /** `when` reads `written` or `flushed`: what the path did before this step. */
  readonly readsHistory?: boolean;
  readonly when: (f: StepFacts) => boolean;
}

/** Exercised by every path: every step's status is compared (CF-1) in the one JSON shape (CF-2), every port's mode is in it (PRT-1), and the data checks run over the whole history at the end. */
export const everyPathIds: readonly string[] = ['CF-1', 'CF-2', 'PRT-1', 'DS-1', 'DS-4', 'DS-5', 'DS-8'];

type Pair<T> = readonly [before: T, after: T];

// Status entries are shared between states with the same component snapshot: their JSON is computed once.
const jsonOf = new WeakMap<object, string>();
const json = (x: object): string => {
  let j = jsonOf.get(x);
  if (j === undefined) jsonOf.set(x, (j = JSON.stringify(x)));
  return j;
};

/** Entries of one status section that changed, paired. */
function changed<T extends object>(before: readonly T[], after: readonly T[]): Array<Pair<T>> {
  const out: Array<Pair<T>> = [];
  before.forEach((b, i) => {
    const a = after[i]!;
    if (a !== b && json(a) !== json(b)) out.push([b, a]);
  });
  return out;
}
/** The changed entries of a step, computed once per pair of statuses (the rules ask many times, plans repeat steps). */
interface Changes {
  servers: Array<Pair<ServerStatus>>;
  ports: Array<Pair<PortStatus>>;
  paths: Array<Pair<PathStatus>>;
  disks: Array<Pair<VirtualDiskStatus>>;
}
const noChanges: Changes = { servers: [], ports: [], paths: [], disks: [] };
const changesOf = new WeakMap<GroupStatus, WeakMap<GroupStatus, Changes>>();
function changes(f: StepFacts): Changes {
  if (f.before === f.after) return noChanges;
  let byAfter = changesOf.get(f.before);
  if (!byAfter) changesOf.set(f.before, (byAfter = new WeakMap()));
  let c = byAfter.get(f.after);
  if (!c) {
    c = {
      servers: changed(f.before.servers, f.after.servers),
      ports: changed(f.before.ports, f.after.ports),
      paths: changed(f.before.paths, f.after.paths),
      disks: changed(f.before.virtualDisks, f.after.virtualDisks),
    };
    byAfter.set(f.after, c);
  }
  return c;
}
const servers = (f: StepFacts) => changes(f).servers;
const ports = (f: StepFacts) => changes(f).ports;
const paths = (f: StepFacts) => changes(f).paths;
const disks = (f: StepFacts) => changes(f).disks;
const mirrors = (f: StepFacts) => disks(f).filter(([b]) => b.kind === 'mirrored');
const singles = (f: StepFacts) => disks(f).filter(([b]) => b.kind === 'single');

const accepted = (f: StepFacts, ...types: string[]) => !f.refused && types.includes(f.event.type);
const vdiskOf = (f: StepFacts) => ('vdisk' in f.event ? f.event.vdisk : undefined);
const diskBefore = (f: StepFacts, name: string | undefined) => f.before.virtualDisks.find((v) => v.name === name);
const holds = (v: VirtualDiskStatus, server: string) => v.copies.some((c) => c.server === server);
const stopsGracefully = ['stop', 'batteryLow', 'shutdown', 'restart'];
const crashes = ['crash', 'siteCrash'];
const copyBecomes = (f: StepFacts, statuses: readonly string[]) =>
  mirrors(f).some(([b, a]) => a.copies.some((c, i) => statuses.includes(c.dataStatus) && b.copies[i]!.dataStatus !== c.dataStatus));
const wentDown = (f: StepFacts) => servers(f).filter(([b, a]) => b.state === 'running' && a.state !== 'running');
const poweredOff = (f: StepFacts) => servers(f).filter(([b, a]) => b.power === 'on' && a.power === 'off');
const mirroredAccessLost = (f: StepFacts) => mirrors(f).filter(([b, a]) => b.hostAccess === 'readWrite' && a.hostAccess === 'disabled');
const accessNamed = (f: StepFacts) => f.refused && (f.event.type === 'write' || f.event.type === 'flush');

/** The table: step -> SPEC IDs. */
export const specRules: readonly SpecRule[] = [
  {
    ids: ['SRV-12'],
    why: 'the model refuses the event; the system must refuse it with the same code and change nothing',
    when: (f) => f.refused,
  },
  {
    ids: ['SRV-1', 'SRV-3'],
    why: 'a stop (or a battery-low stop) takes a running server offline and flushes its cache',
    when: (f) => accepted(f, 'stop', 'batteryLow') && servers(f).some(([b, a]) => b.state === 'running' && a.state === 'stopped'),
  },
  {
    ids: ['SRV-2'],
    why: 'a Target Only port is disabled while its server stays powered on',
    when: (f) =>
      ports(f).some(
        ([b, a]) => a.mode === 'targetOnly' && b.enabled && !a.enabled && f.after.servers.find((s) => s.name === a.server)?.power === 'on',
      ),
  },
  {
    ids: ['SRV-4'],
    why: 'a configuration change (cache setting) is accepted while the server is stopped',
    when: (f) => f.event.type === 'setCache' && !f.refused && f.before.servers.find((s) => s.name === serverOf(f))?.state === 'stopped',
  },
  {
    ids: ['SRV-5'],
    why: "a stop takes the server's front-end paths offline",
    when: (f) => accepted(f, ...stopsGracefully) && paths(f).some(([b, a]) => b.online && !a.online),
  },
  {
    ids: ['SRV-6'],
    why: 'a cache setting becomes pending, or a start applies the pending one',
    when: (f) => servers(f).some(([b, a]) => b.cache.pending !== a.cache.pending || b.cache.applied !== a.cache.applied),
  },
  {
    ids: ['SRV-7'],
    why: 'a start resumes virtualization on a stopped server',
    when: (f) => accepted(f, 'start') && servers(f).some(([b, a]) => b.state === 'stopped' && a.state === 'running'),
  },
  {
    ids: ['SRV-3', 'SRV-8'],
    why: 'a graceful shutdown or restart of a running server stops it cleanly first',
    when: (f) => accepted(f, 'shutdown', 'restart') && wentDown(f).length > 0,
  },
  { ids: ['SRV-8'], why: 'a graceful machine shutdown or restart records the last state', when: (f) => accepted(f, 'shutdown', 'restart') },
  {
    ids: ['SRV-9'],
    why: 'an intentional restart, or a power-on after a clean shutdown, restores the last state',
    when: (f) =>
      accepted(f, 'restart') || (accepted(f, 'powerOn') && f.before.servers.find((s) => s.name === serverOf(f))?.seenAs === 'Unavailable'),
  },
  {
    ids: ['SRV-10'],
    why: 'a crash, a power-on after one (comes up stopped or uses an automatic restart), or the restart window',
    when: (f) =>
      accepted(f, ...crashes, 'autoRestartWindowElapsed') ||
      (accepted(f, 'powerOn') && f.before.servers.find((s) => s.name === serverOf(f))?.seenAs === 'Failed') ||
      servers(f).some(([b, a]) => a.autoRestartsUsed !== b.autoRestartsUsed),
  },
  {
    ids: ['SRV-11'],
    why: 'a crash of a running server loses its volatile cache',
    when: (f) => accepted(f, ...crashes) && wentDown(f).length > 0,
  },
  {
    ids: ['SRV-13'],
    why: 'a UPS event: battery, mains restored, battery low',
    when: (f) => accepted(f, 'onBattery', 'mainsRestored', 'batteryLow'),
  },
  {
    ids: ['SRV-14'],
    why: 'a backend pool fails or is restored',
    when: (f) => accepted(f, 'poolFail', 'poolRestore'),
  },
  {
    ids: ['PRT-2'],
    why: 'a Target Only port is enabled or disabled with its server',
    when: (f) => ports(f).some(([, a]) => a.mode === 'targetOnly'),
  },
  {
    ids: ['PRT-3'],
    why: 'an Initiator or Initiator/Target port goes down with power or comes back with it',
    when: (f) => ports(f).some(([, a]) => a.mode !== 'targetOnly'),
  },
  {
    ids: ['PTH-1', 'PTH-2'],
    why: 'a front-end path goes offline or comes back',
    when: (f) => paths(f).some(([b, a]) => b.online !== a.online),
  },
  {
    ids: ['PTH-3'],
    why: 'the ALUA state of a path to a mirrored disk changes (failover, failback, recovery done)',
    when: (f) => {
      const mirrored = new Set(f.before.virtualDisks.filter((v) => v.kind === 'mirrored').map((v) => v.name));
      return paths(f).some(([b, a]) => Object.keys(a.alua).some((v) => mirrored.has(v) && a.alua[v] !== b.alua[v]));
    },
  },
  {
    ids: ['VD-1'],
    why: 'a single disk goes offline or online with its server, or refuses host I/O while offline',
    when: (f) => singles(f).length > 0 || (accessNamed(f) && diskBefore(f, vdiskOf(f))?.kind === 'single'),
  },
  {
    ids: ['VD-2'],
    why: 'a single disk written earlier comes back online: nothing acknowledged may be lost',
    readsHistory: true,
    when: (f) => singles(f).some(([b, a]) => b.status !== 'online' && a.status === 'online' && f.written.has(a.name)),
  },
  {
    ids: ['MIR-1'],
    why: 'a host write to a mirrored disk in sync goes to every copy',
    when: (f) => accepted(f, 'write') && diskBefore(f, vdiskOf(f))?.kind === 'mirrored' && diskBefore(f, vdiskOf(f))?.status === 'online',
  },
  {
    ids: ['MIR-2'],
    why: 'a server of a mirrored disk stops or crashes while hosts keep access through the other copy (failover)',
    when: (f) =>
      !f.refused &&
      wentDown(f).some(([b]) =>
        f.after.virtualDisks.some(
          (v) =>
            v.kind === 'mirrored' && holds(v, b.name) && v.hostAccess === 'readWrite' && diskBefore(f, v.name)?.hostAccess === 'readWrite',
        ),
      ),
  },
  {
    ids: ['MIR-3'],
    why: 'a host write to a mirrored disk while a copy is away or behind (failed redundancy) is recorded in the change log',
    when: (f) =>
      accepted(f, 'write') && diskBefore(f, vdiskOf(f))?.kind === 'mirrored' && diskBefore(f, vdiskOf(f))?.status === 'failedRedundancy',
  },
  { ids: ['MIR-4'], why: 'the status or a copy data status of a mirrored disk changes', when: (f) => mirrors(f).length > 0 },
  {
    ids: ['MIR-5'],
    why: 'a copy falls behind by logged writes: it needs log recovery',
    when: (f) => copyBecomes(f, ['logRecoveryNeeded', 'logRecoveryPending']),
  },
  {
    ids: ['MIR-6'],
    why: 'a crash leaves a copy needing full recovery',
    when: (f) => accepted(f, ...crashes) && copyBecomes(f, ['fullRecoveryNeeded', 'fullRecoveryPending']),
  },
  {
    ids: ['MIR-7'],
    why: 'a recovery starts from the up-to-date copy, or completes',
    when: (f) => copyBecomes(f, ['inLogRecovery', 'inFullRecovery']) || accepted(f, 'recoveryComplete'),
  },
  {
    ids: ['MIR-8'],
    why: 'the last server of a mirrored disk written earlier is stopped: it holds the latest data',
    readsHistory: true,
    when: (f) => accepted(f, ...stopsGracefully) && mirroredAccessLost(f).some(([b]) => f.written.has(b.name)),
  },
  {
    ids: ['MIR-9'],
    why: "a mirrored disk's last up-to-date copy goes down: unknown, access disabled",
    when: (f) => mirroredAccessLost(f).length > 0,
  },
  {
    ids: ['MIR-10', 'MIR-12'],
    why: 'every copy is back after all went down: the newest copy is decided, in whatever order they started',
    when: (f) =>
      mirrors(f).some(
        ([b, a]) =>
          b.copies.every((c) => c.dataStatus === 'unknown') &&
          a.copies.every((c) => c.dataStatus !== 'unknown' && c.dataStatus !== 'doubleFailure'),
      ),
  },
  {
    ids: ['MIR-11'],
    why: 'the newest copy cannot be decided (double failure), or an operator forces a copy online',
    when: (f) => copyBecomes(f, ['doubleFailure']) || accepted(f, 'forceMirrorRecovery'),
  },
  { ids: ['MIR-13'], why: 'the mirror link fails or returns', when: (f) => accepted(f, 'linkDown', 'linkUp') },
  {
    ids: ['DS-2'],
    why: 'a server crashes while its partner keeps serving an up-to-date copy of a mirrored disk',
    when: (f) =>
      accepted(f, 'crash') &&
      poweredOff(f).some(([b]) =>
        f.before.virtualDisks.some(
          (v) =>
            v.kind === 'mirrored' &&
            v.hostAccess === 'readWrite' &&
            v.copies.some((c) => c.server === b.name && c.dataStatus === 'upToDate') &&
            f.after.virtualDisks.find((x) => x.name === v.name)?.hostAccess === 'readWrite',
        ),
      ),
  },
  {
    ids: ['DS-3'],
    why: 'a crash hits a server holding a disk that was written and flushed earlier: the flushed writes must survive',
    readsHistory: true,
    when: (f) =>
      accepted(f, ...crashes) && poweredOff(f).some(([b]) => f.before.virtualDisks.some((v) => f.flushed.has(v.name) && holds(v, b.name))),
  },
  {
    ids: ['DS-6'],
    why: 'a mirrored disk written earlier has both copies up to date: they must be byte-identical',
    readsHistory: true,
    when: (f) =>
      f.after.virtualDisks.some(
        (v) =>
          v.kind === 'mirrored' &&
          (f.written.has(v.name) || (accepted(f, 'write') && vdiskOf(f) === v.name)) &&
          v.status === 'online' &&
          v.copies.every((c) => c.dataStatus === 'upToDate'),
      ),
  },
  {
    ids: ['DS-7'],
    why: 'a disk has host access disabled after the step (I/O must fail), or host I/O was refused',
    when: (f) => accessNamed(f) || f.after.virtualDisks.some((v) => v.hostAccess === 'disabled'),
  },
];

function serverOf(f: StepFacts): string | undefined {
  return 'server' in f.event ? f.event.server : undefined;
}

/** Rules that read the path's history (what was written or flushed before); the others depend on the step alone. */
const historyRules = specRules.filter((r) => r.readsHistory);
const stepRules = specRules.filter((r) => !r.readsHistory);
/** Step-only IDs by statuses before and after and by event object, refused and accepted apart. */
const stepIdsOf = new WeakMap<GroupStatus, WeakMap<GroupStatus, [Map<GroupEvent, string[]>, Map<GroupEvent, string[]>]>>();

/** IDs of the step-only rules, computed once per step (the same array for the same step). */
function stepOnlyIds(f: StepFacts): string[] {
  let byAfter = stepIdsOf.get(f.before);
  if (!byAfter) stepIdsOf.set(f.before, (byAfter = new WeakMap()));
  let byEvent = byAfter.get(f.after);
  if (!byEvent) byAfter.set(f.after, (byEvent = [new Map(), new Map()]));
  const memo = byEvent[f.refused ? 1 : 0];
  let ids = memo.get(f.event);
  if (!ids) memo.set(f.event, (ids = stepRules.filter((r) => r.when(f)).flatMap((r) => r.ids)));
  return ids;
}

/** SPEC IDs one step exercises. */
export function stepSpecIds(f: StepFacts): string[] {
  const ids = stepOnlyIds(f);
  const history = historyRules.filter((r) => r.when(f)).flatMap((r) => r.ids);
  return history.length === 0 ? ids : [...ids, ...history];
}

/** Walks a path's steps and collects their SPEC IDs, with the ones every path exercises, in catalogue order. */
export function pathSpecIds(steps: Iterable<Omit<StepFacts, 'written' | 'flushed'>>): string[] {
  const ids = new Set(everyPathIds);
  const written = new Set<string>();
  const flushed = new Set<string>();
  const seen = new Set<string[]>();
  for (const s of steps) {
    const f = { ...s, written, flushed };
    const own = stepOnlyIds(f);
    if (!seen.has(own)) {
      seen.add(own);
      for (const id of own) ids.add(id);
    }
    for (const r of historyRules) if (!r.ids.every((id) => ids.has(id)) && r.when(f)) for (const id of r.ids) ids.add(id);
    if (!s.refused && s.event.type === 'write') written.add(s.event.vdisk);
    if (!s.refused && s.event.type === 'flush' && written.has(s.event.vdisk)) flushed.add(s.event.vdisk);
  }
  return sortSpecIds(ids);
}

const families = ['SRV', 'PRT', 'PTH', 'VD', 'MIR', 'DS', 'CF'];

/** SPEC IDs in catalogue order (SRV, PRT, PTH, VD, MIR, DS, CF, then by number). */
export function sortSpecIds(ids: Iterable<string>): string[] {
  const rank = (id: string) => {
    const [family = '', n = '0'] = id.split('-');
    const f = families.indexOf(family);
    return (f < 0 ? families.length : f) * 1000 + Number(n);
  };
  return [...new Set(ids)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A SPEC ID a topology cannot exercise, with why. */
export interface UnexercisableId {
  readonly id: string;
  readonly reason: string;
}

/** What a topology needs for a SPEC ID to be exercised: event types (any one of them) and kinds of things it must have. */
interface Requirement {
  readonly ids: readonly string[];
  /** At least one of these event types must be in the alphabet. */
  readonly events?: readonly string[];
  /** Every one of these event types must be in the alphabet. */
  readonly allEvents?: readonly string[];
  readonly mirrored?: boolean;
  readonly single?: boolean;
  readonly ups?: boolean;
  readonly initiatorPort?: boolean;
  readonly reason: string;
}

const requirements: readonly Requirement[] = [
  {
    ids: ['SRV-1', 'SRV-2', 'SRV-3', 'SRV-5'],
    events: ['stop', 'batteryLow', 'shutdown', 'restart'],
    reason: 'no event stops a server gracefully',
  },
  { ids: ['SRV-4', 'SRV-6'], events: ['setCache'], reason: 'the topology leaves cache-setting changes out of its alphabet' },
  { ids: ['SRV-7'], events: ['start'], reason: 'the topology has no start event' },
  { ids: ['SRV-8'], events: ['shutdown', 'restart'], reason: 'the topology has no graceful shutdown or restart' },
  { ids: ['SRV-9'], allEvents: ['powerOn'], events: ['shutdown', 'restart'], reason: 'the topology has no graceful shutdown or restart' },
  { ids: ['SRV-10', 'SRV-11'], events: ['crash', 'siteCrash'], reason: 'the topology has no crash' },
  { ids: ['SRV-13'], ups: true, reason: 'no server of the topology has a UPS' },
  { ids: ['SRV-14'], events: ['poolFail'], reason: 'the topology has no backend pool events (feature backendPools)' },
  { ids: ['PRT-3'], initiatorPort: true, reason: 'every port of the topology is a front-end (Target Only) port' },
  { ids: ['VD-1', 'VD-2'], single: true, reason: 'the topology has no single virtual disk' },
  {
    ids: ['PTH-3', 'MIR-1', 'MIR-2', 'MIR-4', 'MIR-7', 'MIR-9', 'MIR-10', 'MIR-12', 'DS-6'],
    mirrored: true,
    reason: 'the topology has no mirrored virtual disk',
  },
  {
    ids: ['MIR-3', 'MIR-5', 'MIR-8'],
    mirrored: true,
    allEvents: ['write'],
    reason: 'the topology has no mirrored virtual disk with host writes',
  },
  { ids: ['MIR-6', 'DS-2'], mirrored: true, events: ['crash'], reason: 'the topology has no mirrored virtual disk and crash' },
  {
    ids: ['MIR-11'],
    mirrored: true,
    events: ['forceMirrorRecovery', 'siteCrash'],
    reason: 'the topology has no mirrored virtual disk with a site crash or Force Mirror Recovery',
  },
  { ids: ['MIR-13'], mirrored: true, events: ['linkDown'], reason: 'the topology has no mirrored virtual disk with mirror link failures' },
  {
    ids: ['DS-3'],
    events: ['crash', 'siteCrash'],
    allEvents: ['write', 'flush'],
    reason: 'the topology has no crash after written and flushed data',
  },
];

/** SPEC IDs no plan on this topology can exercise, with why (what the topology lacks). */
export function unexercisableSpecIds(t: Topology): UnexercisableId[] {
  const types = new Set<string>(createGroupModel(t).alphabet.map((e) => e.type));
  const has = (type: string) => types.has(type);
  const mirrored = t.virtualDisks.some((v) => v.kind === 'mirrored');
  const single = t.virtualDisks.some((v) => v.kind === 'single');
  const ups = t.servers.some((s) => s.ups);
  const initiatorPort = t.servers.some((s) => s.ports.some((p) => !(p.roles.length === 1 && p.roles[0] === 'frontEnd') && !p.targetOnly));
  const out: UnexercisableId[] = [];
  for (const r of requirements) {
    const ok =
      (!r.events || r.events.some(has)) &&
      (!r.allEvents || r.allEvents.every(has)) &&
      (!r.mirrored || mirrored) &&
      (!r.single || single) &&
      (!r.ups || ups) &&
      (!r.initiatorPort || initiatorPort);
    if (!ok) for (const id of r.ids) if (!out.some((o) => o.id === id)) out.push({ id, reason: r.reason });
  }
  return out;
}
