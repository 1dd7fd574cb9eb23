import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';

/** The outcome of sending one event to one component. */
export interface ComponentStep {
  /** Interned id of the next snapshot (the same id when nothing changed). */
  next: number;
  /** Events the machine emitted, in order (notifications and refusals). */
  emitted: readonly EventObject[];
}

/**
 * One instance of a component machine with its reachable snapshots interned to small integers
 * and every `transition()` result memoized: a component has few states, so after warm-up a
 * step of the composed group is a handful of map lookups instead of xstate macrosteps.
 */
export class Component {
  private readonly snapshots: AnyMachineSnapshot[] = [];
  private readonly ids = new Map<string, number>();
  private readonly eventIds = new Map<string, number>();
  private readonly eventObjectIds = new WeakMap<object, number>();
  private readonly events: EventObject[] = [];
  /** memo[from][eventId]: the memoized result of `transition()`. */
  private readonly memo: Array<Array<ComponentStep | undefined>> = [];
  /** Id of the initial snapshot. */
  readonly initial: number;

  constructor(
    /** Kind of component, e.g. `server`. */
    readonly kind: string,
    /** Instance name, e.g. `s1` or `h1/s2`. */
    readonly name: string,
    /** The machine. */
    readonly machine: AnyStateMachine,
    input: unknown,
  ) {
    const [snapshot] = initialTransition(machine, input);
    this.initial = this.intern(snapshot);
  }

  /** The snapshot with this id. */
  snapshot(id: number): AnyMachineSnapshot {
    const s = this.snapshots[id];
    if (!s) throw new Error(`${this.kind} ${this.name}: no snapshot ${id}`);
    return s;
  }

  /** Number of distinct snapshots seen so far. */
  get size(): number {
    return this.snapshots.length;
  }

  /** Id of an event object; events are compared by value (and cached by identity). */
  eventId(event: EventObject): number {
    let id = this.eventObjectIds.get(event);
    if (id !== undefined) return id;
    const key = JSON.stringify(event);
    id = this.eventIds.get(key);
    if (id === undefined) {
      id = this.events.length;
      this.events.push(event);
      this.eventIds.set(key, id);
    }
    this.eventObjectIds.set(event, id);
    return id;
  }

  /** Sends an event (by id) to the snapshot with id `from`. */
  send(from: number, eventId: number): ComponentStep {
    let row = this.memo[from];
    if (row === undefined) row = this.memo[from] = [];
    let step = row[eventId];
    if (step === undefined) {
      const event = this.events[eventId];
      if (!event) throw new Error(`${this.kind} ${this.name}: no event ${eventId}`);
      const [next, actions] = transition(this.machine, this.snapshot(from), event);
      const emitted = (actions as Array<{ type: string; params?: unknown }>)
        .filter((a) => a.type === 'xstate.emit')
        .map((a) => (a.params as { event: EventObject }).event);
      step = { next: this.intern(next), emitted };
      row[eventId] = step;
    }
    return step;
  }

  /** Id of the snapshot with this value and context, interning it if new. */
  idOf(snapshot: AnyMachineSnapshot): number {
    return this.intern(snapshot);
  }

  private intern(snapshot: AnyMachineSnapshot): number {
    // Keys sorted, so that equal snapshots built in different ways (symmetry.ts renames them) share an id.
    const key = stableJson([snapshot.value, snapshot.context]);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.snapshots.length;
      this.snapshots.push(snapshot);
      this.ids.set(key, id);
    }
    return id;
  }
}

/** JSON with object keys in sorted order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
