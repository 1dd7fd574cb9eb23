// Properties that compare the model's labels with the checker's own record of the truth
// (ghost.ts). A model that consistently mislabels a stale copy as up to date passes every property
// phrased on its labels alone; it fails these.

import type { DataStatus, GroupStatus, VirtualDiskStatus } from '../../models/types.js';
import type { GhostInvariant } from '../types.js';
import { Behind, type GhostDisk, takesHostIo, undecidable } from './ghost.js';

const running = (s: GroupStatus, server: string) => s.servers.find((x) => x.name === server)?.state === 'running';
const linked = (s: GroupStatus, a: string, b: string) => s.mirrorLinks.some((l) => l.up && l.servers.includes(a) && l.servers.includes(b));
const logKind: ReadonlySet<DataStatus> = new Set(['logRecoveryNeeded', 'logRecoveryPending', 'inLogRecovery']);
const behindText = (b: Behind) => (b === Behind.Log ? 'missed writes its partner logged' : 'needs a full copy');

/** First problem over the mirrored disks, each with its record. */
function eachDisk(ghost: GhostDisk[], s: GroupStatus, f: (d: GhostDisk, v: VirtualDiskStatus) => string | null): string | null {
  for (const d of ghost) {
    const v = s.virtualDisks.find((x) => x.name === d.name);
    if (!v) continue;
    const problem = f(d, v);
    if (problem) return problem;
  }
  return null;
}

function eachCopy(d: GhostDisk, v: VirtualDiskStatus, f: (c: GhostDisk['copies'][number], label: DataStatus) => string | null) {
  for (const c of d.copies) {
    const label = v.copies.find((x) => x.server === c.server)?.dataStatus;
    if (!label) continue;
    const problem = f(c, label);
    if (problem) return problem;
  }
  return null;
}

export const ghostInvariants: GhostInvariant[] = [
  {
    id: 'stale-copy-not-up-to-date',
    spec: ['MIR-5', 'MIR-6', 'MIR-7'],
    description:
      'a copy that missed writes, or lost acknowledged writes with its cache, is not up to date until a recovery from a current copy completes or an operator forces it',
    check: (g, s) =>
      eachDisk(g.disks, s, (d, v) =>
        eachCopy(d, v, (c, label) =>
          c.behind !== Behind.None && label === 'upToDate'
            ? `${d.name} copy on ${c.server} is reported upToDate but ${behindText(c.behind)} and no recovery completed`
            : null,
        ),
      ),
  },
  {
    id: 'stale-copy-never-serves',
    spec: ['MIR-1', 'MIR-2', 'DS-4'],
    description: 'hosts never read or write through a copy that missed writes',
    check: (g, s) =>
      eachDisk(g.disks, s, (d) => {
        const c = d.copies.find((x) => x.behind !== Behind.None && takesHostIo(s, d.name, x.server));
        return c ? `${d.name} serves hosts through ${c.server}, whose copy ${behindText(c.behind)}` : null;
      }),
  },
  {
    id: 'recovery-type',
    spec: ['MIR-5', 'MIR-6', 'MIR-8'],
    description:
      'a copy that lost cached writes another copy holds, or whose source lost its change log, needs full recovery, never log recovery (full recovery where log would do is safe and allowed)',
    check: (g, s) =>
      eachDisk(g.disks, s, (d, v) =>
        eachCopy(d, v, (c, label) => {
          if (c.behind === Behind.Full && logKind.has(label)) return `${d.name} copy on ${c.server} is ${label} but needs full recovery`;
          return null;
        }),
      ),
  },
  {
    id: 'access-gate-after-all-down',
    spec: ['MIR-9'],
    description:
      'once every server holding a copy of a mirrored disk has gone down, host access stays disabled until all of them run again, unless an operator forces a copy',
    check: (g, s) =>
      eachDisk(g.disks, s, (d, v) =>
        d.gate && !undecidable(d) && (v.hostAccess === 'readWrite' || d.copies.some((c) => takesHostIo(s, d.name, c.server)))
          ? `${d.name} gives hosts access although not every server holding a copy has run again since all went down`
          : null,
      ),
  },
  {
    id: 'undecidable-needs-operator',
    spec: ['MIR-11', 'DS-4'],
    description:
      'after every copy that held the newest data lost its cache in one crash, hosts get access again only after an operator forces a named copy',
    check: (g, s) =>
      eachDisk(g.disks, s, (d, v) =>
        undecidable(d) && v.hostAccess === 'readWrite'
          ? `${d.name} grants host access again after both copies crashed in sync, without an operator forcing a copy`
          : null,
      ),
  },
  {
    id: 'recovery-source-current',
    spec: ['MIR-10', 'MIR-7'],
    description: 'a copy in recovery has as its source a running, connected copy that truly holds the newest data',
    check: (g, s) =>
      eachDisk(g.disks, s, (d, v) =>
        eachCopy(d, v, (c, label) => {
          if (label !== 'inLogRecovery' && label !== 'inFullRecovery') return null;
          const source = d.copies.some(
            (o) => o !== c && o.behind === Behind.None && !o.lost && running(s, o.server) && linked(s, o.server, c.server),
          );
          return source ? null : `${d.name} copy on ${c.server} is ${label} but no running, connected copy holds the newest data`;
        }),
      ),
  },
  {
    id: 'seen-as-after-power-off',
    spec: ['SRV-8', 'SRV-10'],
    description: 'a powered-off server is seen as Unavailable after a graceful shutdown and as Failed after a crash or power failure',
    check: (g, s) => {
      for (const r of g.servers) {
        const x = s.servers.find((y) => y.name === r.name);
        if (x?.power !== 'off') continue;
        const should = r.cleanOff ? 'Unavailable' : 'Failed';
        if (x.seenAs !== should) return `${r.name} is off after ${r.cleanOff ? 'a shutdown' : 'a crash'} but seen as ${x.seenAs}`;
      }
      return null;
    },
  },
  {
    id: 'power-on-restores-state',
    spec: ['SRV-9'],
    description:
      'power-on after a graceful shutdown restores the state the server had: running if it ran (and its backend pool is available, SRV-14), stopped if it was stopped',
    events: ['powerOn'],
    step: (g, before, event, after) => {
      if (event.type !== 'powerOn') return null;
      // The record first: it is small and at hand; most power-ons follow no clean shutdown.
      const r = g.servers.find((x) => x.name === event.server);
      if (!r?.cleanOff) return null;
      const b = before.servers.find((x) => x.name === event.server);
      const a = after.servers.find((x) => x.name === event.server);
      if (!a || !b || b.power !== 'off') return null;
      const should = r.runningAtShutdown && a.pool !== 'unavailable' ? 'running' : 'stopped';
      return a.state === should ? null : `powerOn ${event.server} after a clean shutdown while ${should} brought it up ${a.state}`;
    },
  },
  {
    id: 'double-failure-needs-lost-writes',
    spec: ['MIR-11'],
    description:
      'a mirrored disk reports doubleFailure only when both newest copies may really have lost acknowledged writes with their caches; after a site crash with no host writes in flight the group decides by itself',
    check: (g, s) =>
      eachDisk(g.disks, s, (d, v) =>
        v.copies.some((c) => c.dataStatus === 'doubleFailure') && !undecidable(d)
          ? `${d.name} reports doubleFailure although ${d.copies.find((c) => !c.lost || c.behind !== Behind.None)?.server} lost no acknowledged write another copy lacks`
          : null,
      ),
  },
  {
    id: 'forced-record-names-loss',
    spec: ['MIR-11', 'DS-4'],
    description:
      'where the disk keeps a record of forced decisions, forcing a copy records that copy, and records newer data as given up whenever another copy held acknowledged writes the forced copy lacks',
    step: (g, _before, event, after, t) => {
      if (event.type !== 'forceMirrorRecovery' || !t.features?.includes('forceRecord')) return null;
      const d = g.disks.find((x) => x.name === event.vdisk);
      const v = after.virtualDisks.find((x) => x.name === event.vdisk);
      const forced = d?.copies.find((c) => c.server === event.copy);
      if (!d || !v || !forced) return null;
      if (v.forced?.copy !== event.copy)
        return `forceMirrorRecovery ${event.vdisk} --copy ${event.copy} recorded ${JSON.stringify(v.forced ?? null)}`;
      const loss = d.copies.some((o) => o !== forced && (o.behind < forced.behind || (o.behind === Behind.None && forced.lost)));
      return loss && !v.forced.discarded
        ? `forcing ${event.copy} for ${event.vdisk} gave up writes only another copy held, but the record says nothing was discarded`
        : null;
    },
  },
];
