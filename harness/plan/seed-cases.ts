// The explicit cases of the seed page (seeds/starting-and-stopping-servers.txt), each planned as
// its own named path: each server stopped alone while hosts write, two servers stopped in both
// orders and started in both orders, the page's recommended shutdown and power-up sequence, each
// server crashed, both crashed at once (site crash) then powered on and forced, Force Mirror
// Recovery of an older copy, and the UPS events.
//
// A recipe names its events; a case whose events the topology lacks is skipped, with the reason,
// so the recipes work on any topology. `writes` and `flushes` expand, at the point they are
// played, to host I/O on every virtual disk that accepts it there: data for the runner to check
// after the stop, crash or recovery that follows.

import { match } from 'ts-pattern';
import type { GroupEvent, Topology } from '../../models/types.js';
import { eventLabel } from '../check/format.js';
import type { PathWalker } from './path-walker.js';
import type { StateGraph } from './state-graph.js';

/** One operation of a recipe. */
export type RecipeOp =
  /** An event; `overlapIo` plans host writes in flight during it. */
  | { readonly op: 'event'; readonly event: GroupEvent; readonly overlapIo?: boolean; readonly note?: string }
  /** A write to every virtual disk that accepts one here. */
  | { readonly op: 'writes'; readonly note: string }
  /** A flush of every virtual disk that accepts one here (DS-3: what was written before is durable). */
  | { readonly op: 'flushes' }
  /** Force Mirror Recovery of the preferred copy of every mirrored disk that needs an operator (MIR-11). */
  | { readonly op: 'forceUndecided' };

/** A seed case: a name for readers and reports, and its recipe. */
export interface SeedCase {
  /** `seed: ...`, the path's first `covers` entry. */
  readonly name: string;
  readonly ops: readonly RecipeOp[];
}

const ev = (event: GroupEvent, options: { overlapIo?: boolean; note?: string } = {}): RecipeOp => ({ op: 'event', event, ...options });
const writes = (note: string): RecipeOp => ({ op: 'writes', note });
const flushes: RecipeOp = { op: 'flushes' };

/** The seed cases of a topology. */
export function seedCases(t: Topology): SeedCase[] {
  const servers = t.servers.map((s) => s.name);
  const cases: SeedCase[] = [];
  for (const s of servers) {
    cases.push({
      name: `seed: ${s} stopped alone while hosts write`,
      ops: [
        writes('writes before the stop'),
        ev({ type: 'stop', server: s }, { overlapIo: true, note: 'stop with writes in flight (SRV-3, MIR-2)' }),
        writes(`writes while ${s} is stopped (failover, MIR-3)`),
        ev({ type: 'start', server: s }, { note: 'start: failback and log recovery (SRV-7, MIR-7)' }),
        writes('writes during recovery'),
      ],
    });
  }
  for (const [a, b] of serverPairs(t)) {
    for (const [first, second] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const [up1, up2] of [
        [second, first],
        [first, second],
      ] as const) {
        const practice = up1 === second ? 'last stopped first, the best practice' : 'first stopped first';
        cases.push({
          name: `seed: ${first} then ${second} stopped, started ${up1} then ${up2} (${practice})`,
          ops: [
            writes('writes before the stops'),
            ev({ type: 'stop', server: first }, { overlapIo: true, note: `stop ${first} with writes in flight` }),
            writes(`writes while only ${second} runs`),
            ev(
              { type: 'stop', server: second },
              { overlapIo: true, note: `stop ${second}: the last stopped holds the latest data (MIR-8)` },
            ),
            ev({ type: 'start', server: up1 }, { note: 'access stays disabled until every copy is back (MIR-9)' }),
            writes('writes while access may still be disabled'),
            ev({ type: 'start', server: up2 }, { note: 'all back: the newest copy is the source (MIR-10, MIR-12)' }),
            writes('writes during recovery'),
          ],
        });
      }
    }
  }
  const first = serverPairs(t)[0];
  if (first) {
    const [a, b] = first;
    cases.push({
      name: `seed: the recommended sequence: stop and shut down ${a}, then ${b}; power up and start ${b}, then ${a}`,
      ops: [
        writes('writes before the shutdowns'),
        ev({ type: 'stop', server: a }, { overlapIo: true }),
        ev({ type: 'shutdown', server: a }),
        writes(`writes while only ${b} runs`),
        ev({ type: 'stop', server: b }, { overlapIo: true }),
        ev({ type: 'shutdown', server: b }),
        ev({ type: 'powerOn', server: b }, { note: 'comes back stopped, its last state (SRV-9)' }),
        ev({ type: 'start', server: b }),
        ev({ type: 'powerOn', server: a }),
        ev({ type: 'start', server: a }),
        writes('writes during recovery'),
      ],
    });
  }
  for (const s of servers) {
    cases.push({
      name: `seed: ${s} crashed while hosts write`,
      ops: [
        writes('writes before the flush'),
        flushes,
        writes('writes after the flush, maybe only in cache'),
        ev({ type: 'crash', server: s }, { overlapIo: true, note: 'crash with writes in flight (SRV-11, DS-2, DS-3)' }),
        writes(`writes while ${s} is down`),
        ev({ type: 'powerOn', server: s }, { note: 'an unexpected restart comes up stopped (SRV-10)' }),
        ev({ type: 'start', server: s }, { note: 'start: full recovery (MIR-6, MIR-7)' }),
        writes('writes during recovery'),
      ],
    });
  }
  if (servers.length > 1) {
    cases.push({
      name: 'seed: every server crashed at once (site crash), powered on and forced',
      ops: [
        writes('writes before the flush'),
        flushes,
        writes('writes after the flush, maybe only in cache'),
        ev({ type: 'siteCrash' }, { overlapIo: true, note: 'site power failure with writes in flight (MIR-11, DS-3)' }),
        ...servers.map((s) => ev({ type: 'powerOn', server: s })),
        ...servers.map((s) => ev({ type: 'start', server: s })),
        { op: 'forceUndecided' },
        writes('writes after the forced recovery'),
      ],
    });
  }
  if (first) {
    const [a, b] = first;
    const m = t.virtualDisks.find((v) => v.kind === 'mirrored' && v.copies.includes(a) && v.copies.includes(b));
    if (m) {
      cases.push({
        name: `seed: Force Mirror Recovery of the older copy of ${m.name} on ${a} while ${b}, holding the newer one, is down`,
        ops: [
          writes('writes before the stops'),
          ev({ type: 'stop', server: a }),
          writes(`writes only ${b} holds`),
          ev({ type: 'stop', server: b }),
          ev({ type: 'start', server: a }),
          ev(
            { type: 'forceMirrorRecovery', vdisk: m.name, copy: a },
            { note: `the operator gives up the writes only ${b} holds (MIR-11, an allowed loss for DS-4)` },
          ),
          writes('writes after the forced recovery'),
          ev({ type: 'start', server: b }, { note: `${b} returns and gets full recovery from the forced copy` }),
        ],
      });
    }
  }
  for (const s of t.servers.filter((x) => x.ups)) {
    const name = s.name;
    cases.push({
      name: `seed: ${name} on battery, then mains restored`,
      ops: [
        writes('writes on mains'),
        ev({ type: 'onBattery', server: name }, { note: 'on battery: write-through (SRV-13)' }),
        writes('writes on battery'),
        ev({ type: 'mainsRestored', server: name }, { note: 'mains back: write-back again (SRV-13)' }),
        writes('writes on mains again'),
      ],
    });
    cases.push({
      name: `seed: ${name} battery low: graceful stop and failover`,
      ops: [
        writes('writes on mains'),
        ev({ type: 'onBattery', server: name }),
        writes('writes on battery'),
        ev({ type: 'batteryLow', server: name }, { overlapIo: true, note: 'battery low: graceful stop with writes in flight (SRV-13)' }),
        writes(`writes while ${name} is stopped`),
        ev({ type: 'mainsRestored', server: name }),
        ev({ type: 'start', server: name }),
        writes('writes during recovery'),
      ],
    });
  }
  return cases;
}

/** Pairs of servers holding the two copies of a mirrored disk (or the first two servers when there are none). */
function serverPairs(t: Topology): Array<[string, string]> {
  const pairs = new Map<string, [string, string]>();
  for (const v of t.virtualDisks) if (v.kind === 'mirrored') pairs.set(v.copies.join(' '), [v.copies[0], v.copies[1]]);
  if (pairs.size === 0 && t.servers.length > 1) return [[t.servers[0]!.name, t.servers[1]!.name]];
  return [...pairs.values()];
}

/** Why a case cannot be planned on this graph's topology, or null when it can. */
export function missingEvents(graph: StateGraph, c: SeedCase): string | null {
  const missing = c.ops.flatMap((o) => (o.op === 'event' && graph.eventIndex(o.event) < 0 ? [eventLabel(o.event)] : []));
  return missing.length === 0 ? null : `skipped ${c.name.replace(/^seed: /, '')}: the topology has no ${missing.join(', ')}`;
}

/** Plays a seed case on a walker (which must stand in the initial state). */
export function playSeedCase(graph: StateGraph, walker: PathWalker, c: SeedCase): void {
  const alphabet = graph.model.alphabet;
  const byType = (type: string) => alphabet.flatMap((e, i) => (e.type === type ? [i] : []));
  walker.note(c.name);
  for (const o of c.ops) {
    match(o)
      .with({ op: 'event' }, (x) => walker.event(graph.eventIndex(x.event), x.note ?? 'seed case', x.overlapIo))
      .with({ op: 'writes' }, (x) => {
        for (const e of byType('write')) if (walker.accepts(e)) walker.event(e, x.note);
      })
      .with({ op: 'flushes' }, () => {
        for (const e of byType('flush')) if (walker.accepts(e)) walker.event(e, 'flush: what was written is durable (DS-3)');
      })
      .with({ op: 'forceUndecided' }, () => {
        for (const v of graph.status(walker.state).virtualDisks) {
          if (v.kind !== 'mirrored' || v.hostAccess === 'readWrite') continue;
          const e = graph.eventIndex({ type: 'forceMirrorRecovery', vdisk: v.name, copy: v.copies[0]!.server });
          if (e >= 0 && walker.accepts(e)) walker.event(e, `force the preferred copy of ${v.name} online (MIR-11)`);
        }
      })
      .exhaustive();
  }
}
