import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../../harness/check/format.js';
import { ModelCoverage } from '../../../../harness/report/model-coverage.js';
import { createGroupModel } from '../../../../models/group.js';
import { defaultTopology } from '../../../../models/topology.js';

const replayed = (...steps: string[]) => {
  const coverage = new ModelCoverage(createGroupModel(defaultTopology()));
  const replay = coverage.replay(steps.map(parseEvent));
  return { coverage, replay };
};

describe('coverage of the component machines by replayed paths', () => {
  it('counts the transitions each kind took, the group routing included', () => {
    const { coverage } = replayed('stop s1', 'start s1');
    const server = coverage.kind('server').taken;
    expect(server.get('power.on.running|stop|0')).toBe(1);
    expect(server.get('power.on.stopped|start|0')).toBe(1);
    expect(server.has('power.on|crash|0')).toBe(false);
    // The stop reached the ports (s1 has a Target Only FE port) and through them the paths.
    expect(coverage.kind('port').taken.get('enabled|virtualizationStopped|0')).toBe(1);
    expect(coverage.kind('path').taken.get('online|(always)|0')).toBe(2); // h1/s1 and h2/s1 went offline
    expect(coverage.kind('single').visited.has('offline')).toBe(true);
  });

  it('records refusals in the state they were refused in, and leaves the state as it was', () => {
    const { coverage, replay } = replayed('start s1', 'stop s1', 'stop s1');
    expect(replay.steps.map((s) => s.refusal?.code ?? null)).toEqual(['SRV_ALREADY_RUNNING', null, 'SRV_ALREADY_STOPPED']);
    const taken = coverage.kind('server').taken;
    expect(taken.get('power.on.running|start|0@power.on.running')).toBe(1);
    expect(taken.get('power.on.stopped|stop|0@power.on.stopped')).toBe(1);
    expect(replay.steps[2]!.after).toEqual(replay.steps[2]!.before);
  });

  it('tells apart a transition of the machine itself by the state it was taken from', () => {
    // A site crash in sync is undecidable; forcing a copy then leaves `undecidable`, not `awaitingServers`.
    const { coverage } = replayed('siteCrash', 'powerOn s1', 'powerOn s2', 'start s1', 'start s2', 'forceMirrorRecovery m1 --copy s1');
    const taken = coverage.kind('mirror').taken;
    expect(taken.get('|forceMirrorRecovery|0@undecidable')).toBe(1);
    expect(taken.has('|forceMirrorRecovery|0@awaitingServers')).toBe(false);
    expect(coverage.kind('mirror').visited).toEqual(
      new Set(['serving', 'serving.inSync', 'awaitingServers', 'undecidable', 'serving.recovering']),
    );
  });
});
