// Contracts of the diagram generator: a statechart read off an XState machine (states, regions and
// transitions with their events, guards and SPEC IDs), the Mermaid source drawn from it, and the
// routing between components observed on the composed group model.

/** Kind of a state node, as XState names it. */
export type ChartStateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

/** A state of a machine, with its children. */
export interface ChartState {
  /** Keys from the root to this state; empty for the root. */
  readonly path: readonly string[];
  /** The state's key; the machine id for the root. */
  readonly key: string;
  readonly type: ChartStateType;
  /** Child states, in definition order (regions of a parallel state). */
  readonly children: readonly ChartState[];
  /** Path of the initial child of a compound state, or null. */
  readonly initial: readonly string[] | null;
  /** Names of the entry actions (e.g. the notification it emits on entry). */
  readonly entry: readonly string[];
  /** Names of the exit actions. */
  readonly exit: readonly string[];
  /** SPEC IDs cited by the comment above the state in the machine source. */
  readonly spec: readonly string[];
}

/**
 * What a transition does: `move` has a target (a re-entering self-transition too); `internal` has
 * none and updates context or does nothing (the event is accepted, the state stays); `refusal` has
 * none and refuses the event with a stable code (SRV-12).
 */
export type TransitionKind = 'move' | 'internal' | 'refusal';

/** One transition of a machine, where it is defined. */
export interface ChartTransition {
  /** Stable id: source path, event (`(always)` for eventless) and position, e.g. `power.on|shutdown|0`. */
  readonly id: string;
  /** Path of the state it is defined on (empty: the root, so in every state that does not handle the event itself). */
  readonly source: readonly string[];
  /** Event type; null for an eventless (`always`) transition. */
  readonly event: string | null;
  /** Guard name, or the inline guard's expression; null when unguarded. */
  readonly guard: string | null;
  /** Target state paths (empty unless `move`). */
  readonly targets: readonly (readonly string[])[];
  /** A self-transition that exits and re-enters its state. */
  readonly reenter: boolean;
  readonly kind: TransitionKind;
  /** The refusal code of a `refusal`, else null. */
  readonly refusal: string | null;
  /** Action names, in order. */
  readonly actions: readonly string[];
  /** SPEC IDs cited by the comment above the transition (or above its event key) in the machine source. */
  readonly spec: readonly string[];
}

/** A machine as a statechart: what the diagram generator and the coverage report read. */
export interface Chart {
  /** Machine id, e.g. `server`. */
  readonly id: string;
  readonly root: ChartState;
  /** Every transition, in definition order (depth first). */
  readonly transitions: readonly ChartTransition[];
  /** Event types the machine emits (notifications to the group; `refused` excluded). */
  readonly emits: readonly string[];
  /** Event types the machine accepts. */
  readonly accepts: readonly string[];
  /** Source file the comments were read from, relative to the repository root; null if not found. */
  readonly sourceFile: string | null;
}

/** What the source text of a machine says beyond its config object: comments and inline guards. */
export interface MachineSource {
  /** File, relative to the repository root. */
  readonly file: string;
  /** Comment text directly above a config property or array element, by config path (`states.power.on.crash`). */
  readonly comments: ReadonlyMap<string, string>;
  /** Source text of inline guard functions, by the config path of the transition object. */
  readonly guards: ReadonlyMap<string, string>;
  /** Paths of config values written as arrays. */
  readonly arrays: ReadonlySet<string>;
}

/** An edge of a generated state diagram, in the order Mermaid numbers edges. */
export interface DiagramEdge {
  /** The transition drawn. */
  readonly transition: string;
  /** Path of the state the arrow leaves (differs from the transition's source for root transitions drawn from each top-level state). */
  readonly from: readonly string[];
  /** The label as text (lines joined by a space), to find the edge in the rendered SVG. */
  readonly label: string;
}

/** A generated Mermaid diagram. */
export interface Diagram {
  /** File name without extension, e.g. `server`. */
  readonly name: string;
  /** Title for pages and documents. */
  readonly title: string;
  /** Mermaid source, header comment first. */
  readonly source: string;
  /** Labelled edges, in source order (state diagrams of a machine; empty otherwise). */
  readonly edges: readonly DiagramEdge[];
}

/** Marks a state diagram with coverage: which transitions were taken, which states were visited. */
export interface DiagramMarks {
  /** Transition ids taken; for root transitions drawn per top-level state, `id@state.path` too. */
  readonly taken: ReadonlySet<string>;
  /** State paths (joined by `.`) visited. */
  readonly visited: ReadonlySet<string>;
  /** State paths (joined by `.`) to highlight as current (the violating state of a check). */
  readonly current?: ReadonlySet<string>;
}

/** Who sends an event to a component kind in the composed group. */
export type RouteSource =
  /** The event of the group itself, addressed to this kind (an operator command, the world, host I/O). */
  | { readonly kind: 'outside'; readonly groupEvent: string }
  /** A notification another component emitted, forwarded as is. */
  | { readonly kind: 'notification'; readonly from: string }
  /** The group's translation of another component's notification (e.g. `virtualizationStopped` into `serverStopped`). */
  | { readonly kind: 'translation'; readonly from: string; readonly on: string }
  /** The group's own doing, not tied to any notification (e.g. what a server offers a path for a disk, after a disk changed). */
  | { readonly kind: 'group' };

/** One observed route: a component kind received an event from a source. */
export interface Route {
  /** Receiving component kind (`server`, `port`, ...). */
  readonly to: string;
  /** Event type received. */
  readonly event: string;
  readonly source: RouteSource;
}
