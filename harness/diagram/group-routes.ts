// Which component kind receives which event from whom, observed on the composed group model.
// The routing lives in models/group-routing.ts, not in the machines, so it is watched rather than read: the
// model of each topology is explored breadth-first (a few hundred states), every event of its
// alphabet is applied, and each delivery of a step is classified:
//
// - the first delivery of a step, and deliveries of the same event to components of the same
//   kind (a site crash crashes every server), are the group event itself: from outside;
// - a delivery of an event type that a component emitted earlier in the step is that
//   component's notification, forwarded as is (a server's `powerOff` to its ports);
// - any other delivery is the group's own translation. Its cause is the notification emitted
//   earlier in the step in every observed occurrence (the first such, when several always
//   occur together): `serverStopped` to paths follows a server's `virtualizationStopped`. When
//   no notification always precedes it, it is the group's doing (after a disk changed, the
//   group tells each path what the disk's server offers).

import { createGroupModel, type GroupState } from '../../models/group.js';
import type { Topology } from '../../models/types.js';
import { recordedStep } from './record-sends.js';
import type { Route } from './types.js';

/** Options of the observation. */
export interface ObserveOptions {
  /** States explored per topology (default 300). */
  maxStates?: number;
}

/** A translated delivery seen in one step, with the notifications emitted before it. */
interface Occurrence {
  to: string;
  event: string;
  before: string[];
}

const note = (kind: string, type: string) => `${kind}\u0000${type}`;

/** Routes of the composed model, observed on the topologies given, in order of first observation. */
export function observeRoutes(topologies: readonly Topology[], options: ObserveOptions = {}): Route[] {
  const maxStates = options.maxStates ?? 300;
  const routes = new Map<string, Route>();
  const add = (r: Route) => {
    const key = JSON.stringify(r);
    if (!routes.has(key)) routes.set(key, r);
  };
  const translated = new Map<string, { to: string; event: string; candidates: string[] | null }>();
  const observe = (o: Occurrence) => {
    const key = note(o.to, o.event);
    const seen = translated.get(key) ?? { to: o.to, event: o.event, candidates: null };
    seen.candidates = seen.candidates === null ? [...o.before] : seen.candidates.filter((c) => o.before.includes(c));
    translated.set(key, seen);
  };

  for (const topology of topologies) {
    const model = createGroupModel(topology);
    const seen = new Set<string>([model.key(model.initial)]);
    const queue: GroupState[] = [model.initial];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      for (const event of model.alphabet) {
        const { result, sends } = recordedStep(model, state, event);
        const emitted: string[] = [];
        const first = sends[0];
        sends.forEach((s, i) => {
          const kind = s.component.kind;
          const type = s.event.type;
          const command = i === 0 || (first && kind === first.component.kind && type === first.event.type);
          const emitter = [...emitted].reverse().find((e) => e.endsWith(`\u0000${type}`));
          if (emitter) add({ to: kind, event: type, source: { kind: 'notification', from: emitter.split('\u0000')[0]! } });
          else if (command) add({ to: kind, event: type, source: { kind: 'outside', groupEvent: event.type } });
          else observe({ to: kind, event: type, before: [...new Set(emitted)] });
          for (const e of s.result.emitted) if (e.type !== 'refused') emitted.push(note(kind, e.type));
        });
        const key = model.key(result.state);
        if (!seen.has(key) && seen.size < maxStates) {
          seen.add(key);
          queue.push(result.state);
        }
      }
    }
  }
  for (const t of translated.values()) {
    const cause = t.candidates?.[0];
    if (cause) {
      const [from, on] = cause.split('\u0000') as [string, string];
      add({ to: t.to, event: t.event, source: { kind: 'translation', from, on } });
    } else {
      add({ to: t.to, event: t.event, source: { kind: 'group' } });
    }
  }
  return [...routes.values()];
}
