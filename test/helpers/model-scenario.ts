import { expect } from 'vitest';
import { createGroupModel, type GroupState } from '../../models/group.js';
import type { Refusal } from '../../models/refusal.js';
import { groupStatus } from '../../models/status.js';
import { defaultTopology } from '../../models/topology.js';
import type { DataStatus, GroupStatus, Topology } from '../../models/types.js';
import { parseEvent, statusLine } from '../../harness/check/format.js';

/**
 * Drives the composed model through event labels (`stop s1`, `write m1`, ...) and reads the
 * observable status, as a conformance run would.
 */
export function scenario(topology: Topology = defaultTopology()) {
  const model = createGroupModel(topology);
  let state: GroupState = model.initial;
  const done: string[] = [];
  const s = {
    model,
    get state() {
      return state;
    },
    get status(): GroupStatus {
      return groupStatus(model, state);
    },
    /** Applies events; fails the test, naming the step, if one is refused. */
    apply(...labels: string[]) {
      for (const label of labels) {
        const r = model.step(state, parseEvent(label));
        if (r.refusal) throw new Error(`"${label}" refused after [${done.join(', ')}]: ${r.refusal.code} ${r.refusal.message}`);
        state = r.state;
        done.push(label);
      }
      return s;
    },
    /** Asserts the event is refused and changes nothing; returns the refusal. */
    refused(label: string): Refusal {
      const before = groupStatus(model, state);
      const r = model.step(state, parseEvent(label));
      expect(r.refusal, `"${label}" should be refused after [${done.join(', ')}]`).not.toBeNull();
      expect(groupStatus(model, r.state)).toEqual(before);
      return r.refusal!;
    },
    server(name: string) {
      return s.status.servers.find((x) => x.name === name)!;
    },
    vdisk(name: string) {
      return s.status.virtualDisks.find((x) => x.name === name)!;
    },
    copy(vdisk: string, server: string): DataStatus {
      return s.vdisk(vdisk).copies.find((c) => c.server === server)!.dataStatus;
    },
    port(server: string, name: string) {
      return s.status.ports.find((x) => x.server === server && x.name === name)!;
    },
    path(host: string, server: string) {
      return s.status.paths.find((x) => x.host === host && x.server === server)!;
    },
    /** One-line status, for failure messages. */
    line() {
      return statusLine(s.status);
    },
  };
  return s;
}
