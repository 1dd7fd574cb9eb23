// Builds one path on the state graph step by step, from the initial state, and records what the
// path covers of a goal as it goes. Every planner (greedy covers, seed cases, depth sequences,
// random walks) writes its paths through it, so that coverage is counted the same way for all.

import type { CoverGoal } from './cover-goal.js';
import type { HealRoutes } from './heal.js';
import type { StateGraph } from './state-graph.js';

/** One planned step on the graph. */
export interface RawStep {
  /** Alphabet index of the event. */
  readonly event: number;
  /** State before and after (the same state when refused). */
  readonly from: number;
  readonly to: number;
  /** The edge taken, or -1 when the model refuses the event here (SRV-12). */
  readonly edge: number;
  overlapIo?: boolean;
  note: string;
  /** Part of the heal suffix. */
  readonly heal: boolean;
}

/** A path before it gets its ID and SPEC IDs. */
export interface RawPath {
  readonly steps: RawStep[];
  /** What the path covers first, in the order covered. */
  readonly covers: string[];
}

export class PathWalker {
  /** Current state. */
  state = 0;
  /** The last edge taken (-1 at the start). */
  prev = -1;
  readonly steps: RawStep[] = [];
  readonly covers: string[] = [];

  constructor(
    private readonly graph: StateGraph,
    private readonly goal: CoverGoal | null,
    private readonly heals: HealRoutes,
  ) {
    if (goal) this.record(goal.start());
  }

  /** Steps taken so far, heal suffix excluded. */
  get length(): number {
    return this.steps.length;
  }

  /** Takes an edge out of the current state. */
  edge(k: number, note?: string, heal = false): RawStep {
    const g = this.graph;
    if (g.edgeFrom[k] !== this.state) throw new Error(`edge ${k} does not leave state ${this.state}`);
    const newly = this.goal ? this.goal.take(this.prev, k) : [];
    const step: RawStep = {
      event: g.edgeEvent[k]!,
      from: this.state,
      to: g.edgeTo[k]!,
      edge: k,
      note: heal ? 'heal' : (note ?? this.coverNote(newly)),
      heal,
    };
    this.record(newly);
    this.steps.push(step);
    this.state = step.to;
    this.prev = k;
    return step;
  }

  /** Sends an event (alphabet index): takes its edge, or records a refused step that changes nothing. */
  event(e: number, note?: string, overlapIo?: boolean): RawStep {
    const k = this.graph.edgeOf(this.state, e);
    const step = k >= 0 ? this.edge(k, note) : this.refused(e, note);
    if (overlapIo) step.overlapIo = true;
    return step;
  }

  /** Whether an event (alphabet index) applies in the current state. */
  accepts(e: number): boolean {
    return this.graph.edgeOf(this.state, e) >= 0;
  }

  /** Appends the heal suffix. */
  heal(): void {
    for (const k of this.heals.suffix(this.state)) this.edge(k, undefined, true);
  }

  /** Adds covered items by name (seed case names) ahead of the rest. */
  note(cover: string): void {
    this.covers.push(cover);
  }

  finish(): RawPath {
    return { steps: this.steps, covers: this.covers };
  }

  private refused(e: number, note?: string): RawStep {
    const newly = this.goal?.takeRefusal?.(this.state, e) ?? [];
    const why = note ?? (newly.length > 0 ? this.coverNote(newly) : undefined);
    const step: RawStep = {
      event: e,
      from: this.state,
      to: this.state,
      edge: -1,
      note: why ? `refused (SRV-12): ${why}` : 'refused (SRV-12)',
      heal: false,
    };
    this.record(newly);
    this.steps.push(step);
    return step;
  }

  private record(items: readonly number[]): void {
    if (this.goal) for (const i of items) this.covers.push(this.goal.describe(i));
  }

  private coverNote(newly: readonly number[]): string {
    if (!this.goal || newly.length === 0) return 'route';
    const first = this.goal.describe(newly[0]!);
    return newly.length === 1 ? `covers ${first}` : `covers ${first} (+${newly.length - 1})`;
  }
}
