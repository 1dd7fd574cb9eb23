import { match, P } from 'ts-pattern';
import type { GroupEvent, GroupStatus } from '../../models/types.js';
import type { CheckReport, Violation } from '../types.js';

/** A short label for an event, as an operator would type it (`parseEvent` reads it back). */
export function eventLabel(e: GroupEvent): string {
  return match(e)
    .with({ type: 'siteCrash' }, () => 'siteCrash')
    .with({ type: 'setCache' }, (x) => `setCache ${x.server} ${x.mode}`)
    .with({ type: 'forceMirrorRecovery' }, (x) => `forceMirrorRecovery ${x.vdisk} --copy ${x.copy}`)
    .with({ type: P.union('linkDown', 'linkUp') }, (x) => `${x.type} ${x.servers.join('-')}`)
    .with({ type: P.union('write', 'flush', 'recoveryComplete') }, (x) => `${x.type} ${x.vdisk}`)
    .with({ type: P.union('hostDisconnect', 'hostReconnect') }, (x) => `${x.type} ${x.host}`)
    .with(
      {
        type: P.union(
          'stop',
          'start',
          'shutdown',
          'restart',
          'crash',
          'powerOn',
          'onBattery',
          'mainsRestored',
          'batteryLow',
          'autoRestartWindowElapsed',
          'poolFail',
          'poolRestore',
        ),
      },
      (x) => `${x.type} ${x.server}`,
    )
    .exhaustive();
}

const short: Record<string, string> = {
  upToDate: 'upToDate',
  logRecoveryNeeded: 'logNeeded',
  fullRecoveryNeeded: 'fullNeeded',
  logRecoveryPending: 'logPending',
  fullRecoveryPending: 'fullPending',
  inLogRecovery: 'inLog',
  inFullRecovery: 'inFull',
  unknown: 'unknown',
  doubleFailure: 'doubleFailure',
};

/** One line summarizing a status: servers, virtual disks with copies and ALUA, links. */
export function statusLine(s: GroupStatus): string {
  const servers = s.servers
    .map((x) => {
      const state = x.power === 'off' ? `off(${x.seenAs})` : x.state;
      const cache = x.cache.pending ? ` cache ${x.cache.applied}->${x.cache.pending}` : x.cache.applied === 'writeThrough' ? ' wt' : '';
      const ups = x.ups === 'battery' ? ' battery' : '';
      return `${x.name}:${state}${cache}${ups}`;
    })
    .join(' ');
  const disks = s.virtualDisks
    .map((v) => {
      if (v.kind === 'single') return `${v.name}:${v.status}`;
      const copies = v.copies
        .map((c) => {
          const optimized = s.paths.some((p) => p.server === c.server && p.alua[v.name] === 'activeOptimized');
          const active = optimized || s.paths.some((p) => p.server === c.server && p.alua[v.name] === 'activeNonOptimized');
          return `${c.server}=${short[c.dataStatus]}${optimized ? '(AO)' : active ? '(ANO)' : ''}`;
        })
        .join(',');
      return `${v.name}:${v.status}/${v.hostAccess === 'readWrite' ? 'rw' : 'disabled'}[${copies}]`;
    })
    .join(' ');
  const links = s.mirrorLinks.map((l) => `${l.servers.join('-')}:${l.up ? 'up' : 'DOWN'}`).join(' ');
  return [servers, disks, links].filter(Boolean).join(' | ');
}

/** A violation with its step-by-step trace and the state after each step. */
export function formatViolation(v: Violation): string {
  const lines = [`VIOLATION ${v.invariant} (${v.spec.join(', ')})`, `  ${v.message}`, `  shortest trace, ${v.trace.length - 1} step(s):`];
  const width = Math.max(8, ...v.trace.map((t) => (t.event ? eventLabel(t.event).length : 7)));
  v.trace.forEach((t, i) => {
    lines.push(`  ${String(i).padStart(3)}. ${(t.event ? eventLabel(t.event) : 'initial').padEnd(width)}  ${statusLine(t.status)}`);
  });
  return lines.join('\n');
}

/** The human summary of a check. */
export function formatReport(r: CheckReport): string {
  const lines = [
    `topology ${r.topology}`,
    `  reachable states    ${r.states}${r.exploredStates !== r.states ? ` (${r.exploredStates} with the checker's record of the truth)` : ''}`,
    ...(r.symmetry
      ? [
          `  symmetry            ${r.symmetry.renamings} renamings: one state per class; without reduction ${r.symmetry.fullStates} states (${r.symmetry.fullExploredStates} with the record)`,
        ]
      : []),
    `  transitions         ${r.transitions} (${r.refusals} events refused as not applicable, SRV-12)`,
    `  properties checked  ${r.invariants.length} in every state and transition`,
    `  violations          ${r.violations.length}${r.complete ? '' : ' (exploration stopped early: the state space was not covered completely)'}`,
    `  elapsed             ${r.elapsedMs} ms`,
  ];
  for (const v of r.violations) lines.push('', formatViolation(v));
  return lines.join('\n');
}

/** Thrown for an event label that does not parse. */
export class EventSyntaxError extends Error {
  readonly code = 'SANSPEC_BAD_EVENT';
}

const serverEventTypes = new Set([
  'stop',
  'start',
  'shutdown',
  'restart',
  'crash',
  'powerOn',
  'onBattery',
  'mainsRestored',
  'batteryLow',
  'autoRestartWindowElapsed',
  'poolFail',
  'poolRestore',
]);

/** Parses an event label as `eventLabel` prints it, e.g. `stop s1`, `linkDown s1-s2`, `forceMirrorRecovery m1 --copy s2`. */
export function parseEvent(label: string): GroupEvent {
  const [type = '', ...args] = label.trim().split(/\s+/);
  const bad = (usage: string) => new EventSyntaxError(`cannot parse event ${JSON.stringify(label)}: expected "${usage}"`);
  if (serverEventTypes.has(type)) {
    if (args.length !== 1) throw bad(`${type} SERVER`);
    return { type, server: args[0]! } as GroupEvent;
  }
  switch (type) {
    case 'siteCrash':
      if (args.length !== 0) throw bad('siteCrash');
      return { type };
    case 'setCache':
      if (args.length !== 2 || (args[1] !== 'writeBack' && args[1] !== 'writeThrough')) throw bad('setCache SERVER writeBack|writeThrough');
      return { type, server: args[0]!, mode: args[1] };
    case 'write':
    case 'flush':
    case 'recoveryComplete':
      if (args.length !== 1) throw bad(`${type} VDISK`);
      return { type, vdisk: args[0]! };
    case 'hostDisconnect':
    case 'hostReconnect':
      if (args.length !== 1) throw bad(`${type} HOST`);
      return { type, host: args[0]! };
    case 'forceMirrorRecovery':
      if (args.length !== 3 || args[1] !== '--copy') throw bad('forceMirrorRecovery VDISK --copy SERVER');
      return { type, vdisk: args[0]!, copy: args[2]! };
    case 'linkDown':
    case 'linkUp': {
      const servers = (args[0] ?? '').split('-');
      if (args.length !== 1 || servers.length !== 2 || !servers[0] || !servers[1]) throw bad(`${type} SERVER-SERVER`);
      return { type, servers: [servers[0], servers[1]] };
    }
    default:
      throw new EventSyntaxError(`unknown event type ${JSON.stringify(type)} in ${JSON.stringify(label)}`);
  }
}
