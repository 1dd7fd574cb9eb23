// Watches the composed group model at work: every event the group sends to a component, with the
// component's snapshot before and what the component emitted. The group model exposes only the
// resulting state; which component received which event is decided inside it (group-routing.ts routes
// a server's notifications to its ports, paths and disks). The overview diagram and the coverage
// of the HTML report need exactly that, so this wraps `Component.send`, the one call every
// delivery goes through, for the duration of a function. If the model stops delivering through
// `Component.send`, `recordSends` throws instead of reporting nothing.

import type { EventObject } from 'xstate';
import { Component, type ComponentStep } from '../../models/component.js';
import type { GroupModel, GroupState, StepResult } from '../../models/group.js';
import type { GroupEvent } from '../../models/types.js';

/** One delivery of an event to a component. */
export interface SendRecord {
  readonly component: Component;
  /** Snapshot id before. */
  readonly from: number;
  readonly event: EventObject;
  /** Snapshot id after and the events emitted (notifications and refusals). */
  readonly result: ComponentStep;
}

/** The events a component has been sent, by id (Component keeps them in a private table). */
function eventOf(component: Component, eventId: number): EventObject {
  const events = (component as unknown as { events?: EventObject[] }).events;
  const event = events?.[eventId];
  if (!event) throw new Error(`recordSends: ${component.kind} ${component.name} has no event ${eventId}; models/component.ts changed`);
  return event;
}

/** Runs `fn`, calling `onSend` for every event delivered to a component meanwhile. Synchronous. */
export function recordSends<T>(fn: () => T, onSend: (record: SendRecord) => void): T {
  const proto = Component.prototype;
  const original = proto.send;
  proto.send = function send(this: Component, from: number, eventId: number): ComponentStep {
    const result = original.call(this, from, eventId);
    onSend({ component: this, from, event: eventOf(this, eventId), result });
    return result;
  };
  try {
    return fn();
  } finally {
    proto.send = original;
  }
}

/** One step of a group model with the deliveries it made. */
export function recordedStep(model: GroupModel, state: GroupState, event: GroupEvent): { result: StepResult; sends: SendRecord[] } {
  const sends: SendRecord[] = [];
  const result = recordSends(
    () => model.step(state, event),
    (r) => sends.push(r),
  );
  const changed = model.components.some((_, i) => result.state[i] !== state[i]);
  if (changed && sends.length === 0) {
    throw new Error('recordSends: a component changed state without a delivery through Component.send; models/group-*.ts changed');
  }
  return { result, sends };
}
