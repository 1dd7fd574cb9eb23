// Hand-made run and check reports for the HTML report tests, until real runs exist. The paths
// are real paths through the model (their steps, refusals and statuses come from it); only the
// outcomes and the failures' evidence are made up: a wrong data status seen by CF-1 on one path,
// and a lost acknowledged write seen by DS-1 on another.

import { checkModel } from '../../../harness/check/check-model.js';
import { eventLabel, parseEvent } from '../../../harness/check/format.js';
import type { PathFailure, PathResult, RunReport, SpecSummary, StepRecord } from '../../../harness/conform/types.js';
import type { Plan, PlanPath } from '../../../harness/plan/types.js';
import type { ReportedPath } from '../../../harness/report/types.js';
import type { CheckReport, StateInvariant } from '../../../harness/types.js';
import type { HistoryEntry } from '../../../harness/workload/types.js';
import { createGroupModel } from '../../../models/group.js';
import { groupStatus } from '../../../models/status.js';
import { conformanceTopology, defaultTopology } from '../../../models/topology.js';
import type { GroupStatus } from '../../../models/types.js';

const topology = conformanceTopology();

/** Paths of the fixtures: id, SPEC IDs, steps as an operator types them. */
const planned: Array<{ id: string; spec: string[]; steps: string[] }> = [
  {
    id: 'components-0a1f2e3d',
    spec: ['SRV-1', 'SRV-2', 'SRV-5', 'SRV-7', 'PRT-2', 'PTH-2'],
    steps: ['stop s1', 'write m1', 'start s1', 'recoveryComplete m1'],
  },
  {
    id: 'components-1b2c3d4e',
    spec: ['MIR-3', 'MIR-5', 'MIR-7', 'VD-1'],
    steps: ['stop s2', 'write m1', 'write v2', 'start s2', 'recoveryComplete m1'],
  },
  {
    id: 'components-2c3d4e5f',
    spec: ['SRV-10', 'SRV-11', 'MIR-6', 'DS-1'],
    steps: ['write m1', 'crash s1', 'powerOn s1', 'start s1', 'recoveryComplete m1'],
  },
  { id: 'components-3d4e5f60', spec: ['SRV-12'], steps: ['start s1', 'powerOn s2', 'stop s2', 'stop s2', 'start s2'] },
  {
    id: 'components-4e5f6071',
    spec: ['SRV-13'],
    steps: ['onBattery s1', 'batteryLow s1', 'mainsRestored s1', 'start s1', 'recoveryComplete m1'],
  },
  { id: 'components-5f607182', spec: ['MIR-13'], steps: ['linkDown s1-s2', 'write m1', 'linkUp s1-s2', 'recoveryComplete m1'] },
  { id: 'components-60718293', spec: ['SRV-6'], steps: ['setCache s1 writeThrough', 'stop s1', 'start s1', 'recoveryComplete m1'] },
];

function planPath(p: (typeof planned)[number]): PlanPath {
  return { id: p.id, spec: p.spec, steps: p.steps.map((s) => ({ event: parseEvent(s) })), covers: [] };
}

/** The plan of the fixtures. */
export function fixturePlan(): Plan {
  return {
    version: 1,
    topology,
    criterion: 'components',
    seed: 1,
    shard: null,
    coverage: {
      unit: 'component transitions',
      goal: 64,
      covered: 61,
      uncovered: [
        'mirror: undecidable -> serving by forceMirrorRecovery (needs a site crash in sync; beyond the length bound)',
        'server: autoRestartWindowElapsed (no automatic restarts in this topology)',
        'path: hostDisconnected (never sent by the group)',
      ],
    },
    paths: planned.map(planPath),
  };
}

/** A path played on the model, as the runner would record it when the system agrees with the model. */
function played(p: PlanPath, durationMs: number): { steps: StepRecord[]; statuses: GroupStatus[] } {
  const model = createGroupModel(topology);
  let state = model.initial;
  const statuses = [groupStatus(model, state)];
  const steps = p.steps.map((s, i) => {
    const r = model.step(state, s.event);
    state = r.state;
    statuses.push(groupStatus(model, state));
    const io = s.event.type === 'write' || s.event.type === 'flush';
    return {
      label: eventLabel(s.event),
      result: r.refusal ? { refused: r.refusal.code } : ('accepted' as const),
      settleMs: 40 + ((i * 37 + durationMs) % 200),
      ioOps: io ? 64 : 8,
    } satisfies StepRecord;
  });
  return { steps, statuses };
}

function summary(paths: readonly PathResult[]): SpecSummary[] {
  const ids = [...new Set(paths.flatMap((p) => p.spec))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return ids.map((spec) => {
    const of = paths.filter((p) => p.spec.includes(spec));
    const count = (o: PathResult['outcome']) => of.filter((p) => p.outcome === o).length;
    return { spec, paths: of.length, passed: count('passed'), failed: count('failed'), notApplicable: count('notApplicable') };
  });
}

function runReport(paths: PathResult[]): RunReport {
  return {
    version: 1,
    adapter: 'engine (file)',
    topology: topology.name,
    criterion: 'components',
    shard: null,
    seed: 1,
    startedAt: '2025-01-15T10:00:00.000Z',
    durationMs: paths.reduce((a, p) => a + p.durationMs, 0),
    paths,
    summary: summary(paths),
    totals: {
      paths: paths.length,
      passed: paths.filter((p) => p.outcome === 'passed').length,
      failed: paths.filter((p) => p.outcome === 'failed').length,
      notApplicable: paths.filter((p) => p.outcome === 'notApplicable').length,
      steps: paths.reduce((a, p) => a + p.steps.length, 0),
    },
  };
}

/** A run where every path passed, one not applicable. */
export function greenRun(): { report: RunReport; plan: Plan } {
  const plan = fixturePlan();
  const paths: PathResult[] = plan.paths.map((path, i) => {
    if (path.id === 'components-60718293') {
      return {
        id: path.id,
        spec: path.spec,
        outcome: 'notApplicable',
        reason: 'cacheProbe: the adapter cannot observe write caching',
        steps: [],
        path,
        durationMs: 0,
      };
    }
    return { id: path.id, spec: path.spec, outcome: 'passed', steps: played(path, 900 + i * 131).steps, path, durationMs: 900 + i * 131 };
  });
  return { report: runReport(paths), plan };
}

const entry = (e: Partial<HistoryEntry> & Pick<HistoryEntry, 'id' | 'kind'>): HistoryEntry => ({
  invokedAt: e.id * 3.5,
  completedAt: e.id * 3.5 + 1.2,
  outcome: 'ok',
  ...e,
});

/** A run with two failures: a status difference (CF-1, minimized, with a replay command) and a lost write (DS-1). */
export function failingRun(): { report: RunReport; plan: Plan } {
  const plan = fixturePlan();
  const { report: green } = greenRun();
  const paths: ReportedPath[] = green.paths.map((p) => {
    if (p.id === 'components-1b2c3d4e') {
      // The system reports the returning copy up to date at once: no log recovery (MIR-5).
      const { steps, statuses } = played(p.path, 1400);
      const at = 3; // after `start s2`
      const expected = statuses[at + 1]!;
      const observed: GroupStatus = structuredClone(expected);
      const m1 = observed.virtualDisks.find((v) => v.name === 'm1')!;
      m1.copies[1]!.dataStatus = 'upToDate';
      m1.status = 'online';
      const failure: PathFailure = {
        rule: 'CF-1',
        step: at,
        message:
          'after start s2 the status did not settle to the prediction within 5000 ms: copy m1@s2 reported upToDate, the model predicts inLogRecovery (it missed the write made while s2 was stopped)',
        diff: [
          { field: 'virtualDisks[m1].status', expected: 'failedRedundancy', observed: 'online' },
          { field: 'virtualDisks[m1].copies[s2].dataStatus', expected: 'inLogRecovery', observed: 'upToDate' },
        ],
        expected,
        observed,
      };
      return {
        ...p,
        outcome: 'failed',
        failure,
        steps: steps.slice(0, at + 1),
        log: [
          'apply stop s2: accepted in 212 ms',
          'write m1: 64 blocks written',
          'apply start s2: accepted in 388 ms',
          'settle: waited 5000 ms for virtualDisks[m1].copies[s2].dataStatus = inLogRecovery',
        ],
        minimized: {
          path: {
            id: 'min-5e6f7a8b',
            spec: ['SRV-1', 'MIR-5', 'CF-1'],
            covers: ['minimized from components-1b2c3d4e'],
            steps: ['stop s2', 'write m1', 'start s2'].map((s) => ({ event: parseEvent(s) })),
          },
          failure: { ...failure, step: 2 },
          steps: ['stop s2', 'write m1', 'start s2'].map((label) => ({ label, result: 'accepted' as const, settleMs: 12, ioOps: 4 })),
          originalLength: p.path.steps.length,
          prefixLength: at + 1,
          candidateRuns: 6,
          invalidCandidates: 1,
          durationMs: 5400,
          budgetExhausted: false,
          reproduction: { runs: 5, failures: 5, verdict: 'deterministic' },
        },
        replay: {
          file: 'sanspec-report/failures/components-1b2c3d4e.replay.json',
          command: 'sanspec run --replay sanspec-report/failures/components-1b2c3d4e.replay.json --adapter engine',
        },
      };
    }
    if (p.id === 'components-2c3d4e5f') {
      // Block 7 of m1 lost its acknowledged, flushed write 41 in the crash of s1 (DS-1).
      const evidence = [
        entry({ id: 40, kind: 'write', block: 7, value: 40, path: 'h1/s1' }),
        entry({ id: 41, kind: 'write', block: 7, value: 41, path: 'h1/s1' }),
        entry({ id: 42, kind: 'flush', path: 'h1/s1' }),
        entry({ id: 97, kind: 'read', block: 7, value: 40, path: 'h1/s1' }),
      ];
      return {
        ...p,
        outcome: 'failed',
        failure: {
          rule: 'DS-1',
          step: p.steps.length,
          message:
            'm1 block 7 reads back write 40 after the crash of s1, but write 41 was acknowledged and flushed before it (flush 42): an acknowledged, durable write was lost',
          data: [{ vdisk: 'm1', block: 7, found: 'write 40', allowed: ['write 41'], evidence }],
        },
      };
    }
    return p;
  });
  return { report: runReport(paths), plan };
}

/** A real check report with a violation: a deliberately wrong property ("no copy is ever in log recovery") on the default topology. */
export function failingCheck(): CheckReport {
  const wrong: StateInvariant = {
    id: 'no-log-recovery-ever',
    spec: ['MIR-5'],
    description: 'deliberately wrong: no copy ever needs log recovery',
    check: (status) => {
      for (const v of status.virtualDisks) {
        for (const c of v.copies) if (c.dataStatus === 'logRecoveryNeeded') return `copy ${v.name}@${c.server} needs log recovery`;
      }
      return null;
    },
  };
  return checkModel(createGroupModel(defaultTopology()), {
    stateInvariants: [wrong],
    transitionInvariants: [],
    ghostInvariants: [],
    recoverability: false,
    stopOnViolation: true,
  });
}
