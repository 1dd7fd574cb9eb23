import { assign, setup } from 'xstate';
import { createGroupModel, type GroupModel, type GroupState } from './group.js';
import type { GroupEvent, Topology } from './types.js';

/** A component's state as plain data: its statechart value and context. */
export interface PartSnapshot {
  value: unknown;
  context: unknown;
}

export interface GroupMachineContext {
  /** Every component's snapshot, in model order. */
  parts: PartSnapshot[];
  /** Mirror links, up or down, in model order. */
  links: boolean[];
}

/**
 * The composed server group as a single XState machine, for xstate tooling (`xstate/graph`,
 * actors, the inspector). Its context is plain data; each event applies the same composed step
 * as `createGroupModel`, so both have exactly the same reachable states, and a test checks it.
 */
export function createGroupMachine(topology: Topology) {
  const model = createGroupModel(topology);
  const toContext = (state: GroupState): GroupMachineContext => ({
    parts: model.components.map((c, i) => {
      const s = c.snapshot(state[i]!);
      return { value: s.value, context: s.context };
    }),
    links: model.links.map((_, l) => state[model.components.length + l] === 1),
  });
  const toState = (ctx: GroupMachineContext): GroupState => [
    ...model.components.map((c, i) => c.idOf(c.machine.resolveState(ctx.parts[i]! as never))),
    ...ctx.links.map((up) => (up ? 1 : 0)),
  ];
  // Each context object maps back to its model state; cache it so guards and actions agree.
  const stateOf = new WeakMap<GroupMachineContext, GroupState>();
  const resolve = (ctx: GroupMachineContext) => {
    let s = stateOf.get(ctx);
    if (!s) stateOf.set(ctx, (s = toState(ctx)));
    return s;
  };
  const machine = setup({
    types: { context: {} as GroupMachineContext, events: {} as GroupEvent },
    guards: {
      // SRV-12: refused events do not transition.
      applies: ({ context, event }) => model.step(resolve(context), event).refusal === null,
    },
  }).createMachine({
    id: 'group',
    context: () => toContext(model.initial),
    on: {
      '*': {
        guard: 'applies',
        actions: assign(({ context, event }) => {
          const next = model.step(resolve(context), event).state;
          const ctx = toContext(next);
          stateOf.set(ctx, next);
          return ctx;
        }),
      },
    },
  });
  return { machine, model: model as GroupModel };
}
