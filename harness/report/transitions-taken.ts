// Which transitions of a machine an event takes from a snapshot: the event's own transitions and
// the eventless ones that follow, read from XState's inspection of each microstep (an actor
// restored from the snapshot, sent the event). Each is named by its chart id and by the states
// it was taken from, so that coverage can tell a transition of the machine itself taken in
// `awaitingServers` from the same one taken in `undecidable`.

import { type AnyMachineSnapshot, type AnyStateMachine, createActor, type EventObject, type InspectionEvent } from 'xstate';
import { type TransitionLike, transitionId } from '../diagram/machine-chart.js';

/** One transition taken. */
export interface TakenTransition {
  /** Chart id (`power.on|crash|0`). */
  readonly id: string;
  /**
   * Coverage keys: `id@path` for the transition's source and every active state below it on the
   * way to the active leaf (`|forceMirrorRecovery|0@awaitingServers`).
   */
  readonly keys: readonly string[];
}

/** Every state path (dotted) active in a snapshot value: `{power: {on: 'running'}}` -> power, power.on, power.on.running. */
export function activePaths(value: unknown, prefix: readonly string[] = []): string[][] {
  if (typeof value === 'string') return [[...prefix, value]];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [[...prefix, k], ...activePaths(v, [...prefix, k])]);
}

/** Active leaf paths of a snapshot value. */
function leaves(value: unknown): string[][] {
  const all = activePaths(value);
  return all.filter((p) => !all.some((q) => q.length > p.length && p.every((k, i) => q[i] === k)));
}

function keysOf(t: TransitionLike, before: unknown): string[] {
  const id = transitionId(t);
  const source = t.source.path;
  const leaf = leaves(before).find((l) => source.every((k, i) => l[i] === k)) ?? source;
  const keys: string[] = [];
  for (let depth = source.length; depth <= leaf.length; depth++) keys.push(`${id}@${leaf.slice(0, depth).join('.')}`);
  return [id, ...keys];
}

const cache = new WeakMap<AnyStateMachine, Map<string, TakenTransition[]>>();

/** The transitions `event` takes from `snapshot`, in order (memoized per machine, snapshot and event). */
export function transitionsTaken(machine: AnyStateMachine, snapshot: AnyMachineSnapshot, event: EventObject): TakenTransition[] {
  let memo = cache.get(machine);
  if (!memo) cache.set(machine, (memo = new Map()));
  const key = JSON.stringify([snapshot.value, snapshot.context, event]);
  const known = memo.get(key);
  if (known) return known;
  const micro: Array<{ value: unknown; transitions: TransitionLike[] }> = [];
  const inspect = (e: InspectionEvent) => {
    if (e.type === '@xstate.microstep') {
      micro.push({ value: (e.snapshot as AnyMachineSnapshot).value, transitions: e._transitions as unknown as TransitionLike[] });
    }
  };
  const actor = createActor(machine, { snapshot, inspect });
  actor.start();
  micro.length = 0;
  actor.send(event);
  actor.stop();
  const taken: TakenTransition[] = [];
  let before: unknown = snapshot.value;
  for (const m of micro) {
    for (const t of m.transitions) {
      const [id, ...keys] = keysOf(t, before);
      taken.push({ id: id!, keys });
    }
    before = m.value;
  }
  memo.set(key, taken);
  return taken;
}
