// The model's events as requests to the engine's supervisor API (engine/supervisor/main.ts).
// Host I/O (`write`, `flush`) goes through devices; `recoveryComplete` and
// `autoRestartWindowElapsed` have no request: the engine has no way to do them on command
// (capabilities.ts says why).

import { match } from 'ts-pattern';
import type { GroupEvent, GroupEventType } from '../../models/types.js';

/** A supervisor request: POST `path` with `body`. */
export interface SupervisorRequest {
  readonly path: string;
  readonly body: Record<string, unknown>;
}

/** Events the engine cannot perform on command. */
export type UnsupportedEvent = Extract<
  GroupEventType,
  'write' | 'flush' | 'recoveryComplete' | 'autoRestartWindowElapsed' | 'hostDisconnect' | 'hostReconnect' | 'poolFail' | 'poolRestore'
>;

const server = (name: string, action: string, body: Record<string, unknown> = {}): SupervisorRequest => ({
  path: `/servers/${encodeURIComponent(name)}/${action}`,
  body,
});
const link = (servers: [string, string], action: 'cut' | 'restore'): SupervisorRequest => ({
  path: `/links/${encodeURIComponent(servers[0])}/${encodeURIComponent(servers[1])}/${action}`,
  body: {},
});

/** The request that performs `event`, or the event's type when the engine cannot perform it. */
export function eventRequest(event: GroupEvent): SupervisorRequest | UnsupportedEvent {
  return (
    match(event)
      .returnType<SupervisorRequest | UnsupportedEvent>()
      .with({ type: 'stop' }, { type: 'start' }, { type: 'shutdown' }, { type: 'restart' }, { type: 'crash' }, (e) =>
        server(e.server, e.type),
      )
      .with({ type: 'powerOn' }, (e) => server(e.server, 'power-on'))
      .with({ type: 'setCache' }, (e) => server(e.server, 'cache', { mode: e.mode }))
      .with({ type: 'onBattery' }, (e) => server(e.server, 'ups', { event: 'battery' }))
      .with({ type: 'mainsRestored' }, (e) => server(e.server, 'ups', { event: 'mains' }))
      .with({ type: 'batteryLow' }, (e) => server(e.server, 'ups', { event: 'low' }))
      .with({ type: 'siteCrash' }, () => ({ path: '/site/crash', body: {} }))
      .with({ type: 'forceMirrorRecovery' }, (e) => ({ path: `/mirror/${encodeURIComponent(e.vdisk)}/force`, body: { copy: e.copy } }))
      .with({ type: 'linkDown' }, (e) => link(e.servers, 'cut'))
      .with({ type: 'linkUp' }, (e) => link(e.servers, 'restore'))
      .with({ type: 'write' }, { type: 'flush' }, { type: 'recoveryComplete' }, { type: 'autoRestartWindowElapsed' }, (e) => e.type)
      // Opt-in topology features the engine has no command for (models/types.ts `Topology.features`).
      .with({ type: 'hostDisconnect' }, { type: 'hostReconnect' }, { type: 'poolFail' }, { type: 'poolRestore' }, (e) => e.type)
      .exhaustive()
  );
}
