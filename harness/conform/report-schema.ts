// The published JSON Schema of report.json (RunReport, harness/conform/types.ts): `--report DIR`
// writes it beside the report as report.schema.json, so that CI jobs and the HTML report can
// validate and read reports without the toolkit. The type checks at the end keep this schema and
// the RunReport type the same shape.

import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { GroupStatusSchema } from '../../contracts/status.js';
import type { HistoryEntry } from '../workload/types.js';
import type { RunReport } from './types.js';

const Obj = <T extends Parameters<typeof Type.Object>[0]>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

/** One host operation of a history (harness/workload/types.ts). */
export const HistoryEntrySchema = Obj(
  {
    id: Type.Integer({ minimum: 1, description: "unique, increasing in invocation order; a write's id is the value it writes" }),
    kind: Type.Union([Type.Literal('write'), Type.Literal('flush'), Type.Literal('read')]),
    block: Opt(Type.Integer({ minimum: 0 })),
    value: Opt(Type.Integer({ minimum: 0, description: 'writes: the id written; reads: the write id read back, 0 for zeros' })),
    corrupt: Opt(
      Obj({ damage: Type.Union([Type.Literal('torn'), Type.Literal('foreign'), Type.Literal('garbage')]), reason: Type.String() }),
    ),
    fua: Opt(Type.Boolean()),
    invokedAt: Type.Number({ description: 'monotonic time of the call, ms' }),
    completedAt: Opt(Type.Number({ description: 'monotonic time the call returned, ms' })),
    outcome: Type.Union([Type.Literal('ok'), Type.Literal('fail'), Type.Literal('unknown')]),
    path: Opt(Type.String()),
    error: Opt(Type.String()),
    host: Opt(Type.String()),
    step: Opt(Type.Integer({ minimum: -1 })),
    accessDisabled: Opt(Type.Boolean()),
  },
  'one host operation: invoked, then ok, fail or unknown',
);

/** The CF-2 status, embedded without its $id (it appears twice in a failure: expected and observed). */
const StatusSchema = Type.Object(GroupStatusSchema.properties, {
  additionalProperties: false,
  description: 'a group status (CF-2, https://sanspec.dev/schema/group-status.json)',
});

const StatusDifferenceSchema = Obj({
  field: Type.String({ description: 'e.g. virtualDisks[m1].copies[s2].dataStatus' }),
  expected: Type.Unknown(),
  observed: Type.Unknown(),
});

const DataFindingSchema = Obj({
  vdisk: Type.String(),
  block: Type.Integer({ minimum: -1 }),
  found: Type.String(),
  allowed: Type.Array(Type.String()),
  evidence: Type.Array(HistoryEntrySchema),
});

const PathFailureSchema = Obj({
  rule: Type.String({ description: 'the SPEC ID broken' }),
  step: Type.Integer({ minimum: -1, description: 'index of the step (0-based); -1 the initial state; steps.length the final checks' }),
  message: Type.String(),
  code: Opt(Type.String()),
  diff: Opt(Type.Array(StatusDifferenceSchema)),
  expected: Opt(StatusSchema),
  observed: Opt(StatusSchema),
  data: Opt(Type.Array(DataFindingSchema)),
});

const StepRecordSchema = Obj({
  label: Type.String(),
  result: Type.Union([Type.Literal('accepted'), Obj({ refused: Type.String() })]),
  settleMs: Type.Number({ minimum: 0 }),
  ioOps: Type.Integer({ minimum: 0 }),
  status: Opt(Type.String()),
});

/** A group event (models/types.ts), loosely: its type and its arguments. */
const EventSchema = Type.Object(
  {
    type: Type.String(),
    server: Opt(Type.String()),
    vdisk: Opt(Type.String()),
    copy: Opt(Type.String()),
    mode: Opt(Type.Union([Type.Literal('writeBack'), Type.Literal('writeThrough')])),
    servers: Opt(Type.Tuple([Type.String(), Type.String()])),
  },
  { additionalProperties: false },
);

const PlanPathSchema = Obj({
  id: Type.String(),
  spec: Type.Array(Type.String()),
  steps: Type.Array(Obj({ event: EventSchema, overlapIo: Opt(Type.Boolean()), note: Opt(Type.String()) })),
  covers: Type.Array(Type.String()),
});

const MinimizationSchema = Obj(
  {
    path: PlanPathSchema,
    failure: PathFailureSchema,
    steps: Type.Array(StepRecordSchema),
    originalLength: Type.Integer({ minimum: 0, description: 'steps of the original failing path' }),
    prefixLength: Type.Integer({
      minimum: 0,
      description: 'steps of the path delta debugging started from: the shortest failing prefix, or a shorter shortcut of it',
    }),
    candidateRuns: Type.Integer({ minimum: 0, description: 'candidate paths run on fresh systems' }),
    invalidCandidates: Type.Integer({ minimum: 0, description: 'candidates skipped: the model refuses a step the original took' }),
    durationMs: Type.Number({ minimum: 0 }),
    budgetExhausted: Type.Boolean(),
    reproduction: Obj({
      runs: Type.Integer({ minimum: 0 }),
      failures: Type.Integer({ minimum: 0 }),
      verdict: Type.Union([
        Type.Literal('deterministic'),
        Type.Literal('timing-dependent'),
        Type.Literal('not-reproduced'),
        Type.Literal('unchecked'),
      ]),
    }),
  },
  'the smallest path found that fails the same way (same SPEC ID and code), and how often it reproduced',
);

const ReplayFileSchema = Obj(
  {
    file: Type.String({ description: 'plan file holding the one path to replay' }),
    command: Type.String({ description: 'e.g. sanspec run --replay FILE --adapter engine' }),
  },
  'the saved failing path (the minimized one when there is one) and the command that replays it',
);

const PathResultSchema = Obj({
  id: Type.String(),
  spec: Type.Array(Type.String()),
  outcome: Type.Union([Type.Literal('passed'), Type.Literal('failed'), Type.Literal('notApplicable')]),
  reason: Opt(Type.String()),
  failure: Opt(PathFailureSchema),
  steps: Type.Array(StepRecordSchema),
  path: PlanPathSchema,
  durationMs: Type.Number({ minimum: 0 }),
  log: Opt(Type.Array(Type.String())),
  history: Opt(Type.Array(Obj({ vdisk: Type.String(), total: Type.Integer({ minimum: 0 }), entries: Type.Array(HistoryEntrySchema) }))),
  minimized: Opt(MinimizationSchema),
  replay: Opt(ReplayFileSchema),
});

const SpecSummarySchema = Obj({
  spec: Type.String(),
  paths: Type.Integer({ minimum: 0 }),
  passed: Type.Integer({ minimum: 0 }),
  failed: Type.Integer({ minimum: 0 }),
  notApplicable: Type.Integer({ minimum: 0 }),
});

/** report.json: the report of a conformance run. */
export const RunReportSchema = Type.Object(
  {
    version: Type.Literal(1),
    adapter: Type.String(),
    topology: Type.String(),
    criterion: Type.String(),
    shard: Type.Union([Obj({ index: Type.Integer({ minimum: 1 }), count: Type.Integer({ minimum: 1 }) }), Type.Null()]),
    seed: Type.Integer(),
    startedAt: Type.String({ format: 'date-time' }),
    durationMs: Type.Number({ minimum: 0 }),
    interrupted: Opt(Type.Boolean()),
    paths: Type.Array(PathResultSchema),
    summary: Type.Array(SpecSummarySchema),
    totals: Obj({
      paths: Type.Integer({ minimum: 0 }),
      passed: Type.Integer({ minimum: 0 }),
      failed: Type.Integer({ minimum: 0 }),
      notApplicable: Type.Integer({ minimum: 0 }),
      steps: Type.Integer({ minimum: 0 }),
    }),
  },
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://sanspec.dev/schema/run-report.json',
    title: 'sanspec conformance run report',
    additionalProperties: false,
  },
);

/**
 * JSON Schema 2020-12 of report.json, as published (report.schema.json). TypeBox writes tuples
 * the draft-07 way (`items: [...]`), which 2020-12 spells `prefixItems`; this rewrites them so
 * that any 2020-12 validator accepts the schema.
 */
export function publishedReportSchema(): unknown {
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = rewrite(v);
    if (out.type === 'array' && Array.isArray(out.items)) {
      out.prefixItems = out.items;
      out.items = out.additionalItems !== false;
      delete out.additionalItems;
    }
    return out;
  };
  return rewrite(JSON.parse(JSON.stringify(RunReportSchema)));
}

// The schema and the contract types describe the same JSON: each is assignable to the other.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Json<T> = T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { -readonly [K in keyof T]: Json<T[K]> } : T;
const historyEntryMatches: Same<Json<Static<typeof HistoryEntrySchema>>, Json<HistoryEntry>> = true;
const reportAssignable: Json<Static<typeof RunReportSchema>> extends Json<Omit<RunReport, 'paths'>> ? true : false = true;
void historyEntryMatches;
void reportAssignable;
