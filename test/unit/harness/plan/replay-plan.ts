// Test helpers for plans, written independently of the planner: they replay a plan's paths on the
// model and count component transitions straight from the explored model and its CF-2 status,
// so that the tests do not trust the planner's own bookkeeping.

import { createGroupModel, type GroupModel, type GroupState } from '../../../../models/group.js';
import { groupStatus } from '../../../../models/status.js';
import { defaultPorts } from '../../../../models/topology.js';
import type { GroupEvent, GroupStatus, Topology } from '../../../../models/types.js';
import { eventLabel } from '../../../../harness/check/format.js';
import { explore } from '../../../../harness/explore/explore.js';
import type { Plan, PlanPath } from '../../../../harness/plan/types.js';

/** One replayed step. */
export interface ReplayedStep {
  event: GroupEvent;
  refused: string | null;
  before: GroupStatus;
  after: GroupStatus;
  beforeState: GroupState;
  afterState: GroupState;
}

/** Replays a path from the model's initial state. */
export function replayPath(model: GroupModel, path: PlanPath): ReplayedStep[] {
  let state = model.initial;
  return path.steps.map((s) => {
    const r = model.step(state, s.event);
    const step = {
      event: s.event,
      refused: r.refusal?.code ?? null,
      before: groupStatus(model, state),
      after: groupStatus(model, r.state),
      beforeState: state,
      afterState: r.state,
    };
    state = r.state;
    return step;
  });
}

const sections = ['servers', 'ports', 'paths', 'virtualDisks'] as const;

// Status entries are shared between states with the same component snapshot: their JSON is computed once.
const json = new WeakMap<object, string>();
const jsonOf = (x: object) => {
  let j = json.get(x);
  if (j === undefined) json.set(x, (j = JSON.stringify(x)));
  return j;
};

/** The component transitions of one step, as `section[i] before --event--> after` with whole JSON entries. */
export function componentTransitionsOf(before: GroupStatus, event: GroupEvent, after: GroupStatus): string[] {
  const out: string[] = [];
  for (const section of sections) {
    const a = before[section] as readonly object[];
    const b = after[section] as readonly object[];
    a.forEach((x, i) => {
      if (x === b[i]) return;
      const jx = jsonOf(x);
      const jy = jsonOf(b[i]!);
      if (jx !== jy) out.push(`${section}[${i}] ${jx} --${eventLabel(event)}--> ${jy}`);
    });
  }
  return out;
}

/** Every component transition and every distinct refusal (`label code`) of a model, over every reachable state. */
export function allComponentTransitions(model: GroupModel): { transitions: Set<string>; refusals: Set<string> } {
  const statuses: GroupStatus[] = [];
  const transitions = new Set<string>();
  const refusals = new Set<string>();
  explore(model, {
    onState: (i, state) => {
      statuses[i] = groupStatus(model, state);
      for (const e of model.alphabet) {
        const r = model.step(state, e);
        if (r.refusal) refusals.add(`${eventLabel(e)} ${r.refusal.code}`);
      }
    },
    onTransition: (from, e, to) => {
      if (from === to) return;
      for (const item of componentTransitionsOf(statuses[from]!, model.alphabet[e]!, statuses[to]!)) transitions.add(item);
    },
  });
  return { transitions, refusals };
}

/** The component transitions and the refusals a plan takes, replayed. */
export function planComponentTransitions(plan: Plan): { transitions: Set<string>; refusals: Set<string> } {
  const model = createGroupModel(plan.topology);
  const transitions = new Set<string>();
  const refusals = new Set<string>();
  for (const p of plan.paths) {
    for (const s of replayPath(model, p)) {
      if (s.refused) refusals.add(`${eventLabel(s.event)} ${s.refused}`);
      else for (const item of componentTransitionsOf(s.before, s.event, s.after)) transitions.add(item);
    }
  }
  return { transitions, refusals };
}

/** Every block can be read back: every disk accessible, every mirror online with both copies up to date. */
export function readableEverywhere(s: GroupStatus): boolean {
  return s.virtualDisks.every(
    (v) =>
      v.hostAccess === 'readWrite' &&
      (v.kind === 'single' || (v.status === 'online' && v.copies.every((c) => c.dataStatus === 'upToDate'))),
  );
}

/** Two servers, one host, one mirrored disk, no cache settings, shutdowns or restarts: a few hundred states. */
export function smallTopology(): Topology {
  const server = (name: string) => ({ name, ports: defaultPorts(), autoRestartAttempts: 0, ups: false });
  return {
    name: 'small',
    servers: [server('s1'), server('s2')],
    hosts: ['h1'],
    virtualDisks: [{ name: 'm1', kind: 'mirrored', copies: ['s1', 's2'] }],
    exclude: ['setCache', 'restart', 'shutdown'],
  };
}

const repairTypes = new Set(['powerOn', 'start', 'mainsRestored', 'linkUp', 'recoveryComplete']);

/** Fewest repair events (no Force Mirror Recovery) from a state to a readable one, or -1: breadth-first, independent of the planner. */
export function repairDistance(model: GroupModel, from: GroupState): number {
  const repairs = model.alphabet.filter((e) => repairTypes.has(e.type));
  const seen = new Set([model.key(from)]);
  let frontier = [from];
  for (let d = 0; frontier.length > 0; d++) {
    const next: GroupState[] = [];
    for (const s of frontier) {
      if (readableEverywhere(groupStatus(model, s))) return d;
      for (const e of repairs) {
        const r = model.step(s, e);
        if (!r.refusal && !seen.has(model.key(r.state))) {
          seen.add(model.key(r.state));
          next.push(r.state);
        }
      }
    }
    frontier = next;
  }
  return -1;
}

/**
 * What is wrong with the ends of a plan's paths (empty when nothing): each path must end
 * readable, with a heal suffix of repairs only, refused nowhere, as short as the fewest repairs,
 * and forcing a copy only where no repairs alone heal.
 */
export function healProblems(plan: Plan): string[] {
  const model = createGroupModel(plan.topology);
  const problems: string[] = [];
  for (const p of plan.paths) {
    const replayed = replayPath(model, p);
    const last = replayed.at(-1)!;
    if (!readableEverywhere(last.after)) problems.push(`${p.id} ends unreadable: ${JSON.stringify(last.after.virtualDisks)}`);
    const firstHeal = p.steps.findIndex((s) => s.note === 'heal');
    const heal = firstHeal < 0 ? [] : p.steps.slice(firstHeal);
    if (!heal.every((s) => s.note === 'heal')) problems.push(`${p.id}: the heal steps are not a suffix`);
    for (const s of heal) {
      if (!repairTypes.has(s.event.type) && s.event.type !== 'forceMirrorRecovery')
        problems.push(`${p.id} heals with ${eventLabel(s.event)}`);
    }
    if (replayed.slice(heal.length === 0 ? replayed.length : firstHeal).some((s) => s.refused))
      problems.push(`${p.id}: a heal step is refused`);
    const start = heal.length === 0 ? last.afterState : replayed[firstHeal]!.beforeState;
    const needed = repairDistance(model, start);
    if (heal.some((s) => s.event.type === 'forceMirrorRecovery')) {
      if (needed >= 0) problems.push(`${p.id} forces a copy although ${needed} repairs alone heal it`);
    } else if (heal.length !== needed) {
      problems.push(`${p.id}: heals in ${heal.length} steps, the fewest repairs are ${needed}`);
    }
  }
  return problems;
}
