// The published JSON Schema (draft 2020-12) of a plan file, as TypeBox. The shape is strict for
// what the planner writes (plan, paths, steps, coverage), open where later models may add to it:
// a topology may carry fields this version does not know, and an event is an object with a
// string `type` and string fields. Whether each event belongs to the plan's topology is checked
// by `loadPlan`, against the model's alphabet, which no schema can express.

import { type Static, Type } from '@sinclair/typebox';
import { PortRoleSchema } from '../../contracts/status.js';
import type { Plan } from './types.js';

const Name = Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$', description: 'a lowercase name: letters, digits and "-"' });

export const PortSpecSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'port name, unique within its server' }),
    roles: Type.Array(PortRoleSchema, { minItems: 1, description: 'roles the port plays (PRT-1)' }),
    targetOnly: Type.Optional(Type.Boolean({ description: 'a mirror port explicitly set to Target Only (PRT-1)' })),
  },
  { additionalProperties: false },
);

export const ServerSpecSchema = Type.Object(
  {
    name: Name,
    ports: Type.Array(PortSpecSchema, { minItems: 1 }),
    autoRestartAttempts: Type.Integer({ minimum: 0, maximum: 3, description: 'automatic restarts after a crash, per window (SRV-10)' }),
    ups: Type.Boolean({ description: 'powered through a UPS that reports battery state (SRV-13)' }),
  },
  { additionalProperties: false },
);

export const VirtualDiskSpecSchema = Type.Union([
  Type.Object({ name: Name, kind: Type.Literal('single'), server: Name }, { additionalProperties: false }),
  Type.Object(
    {
      name: Name,
      kind: Type.Literal('mirrored'),
      // Two names as an array, not a TypeBox tuple: its `items` array is not draft 2020-12.
      copies: Type.Array(Name, { minItems: 2, maxItems: 2, description: 'servers of the two copies, preferred first' }),
    },
    { additionalProperties: false },
  ),
]);

/** A topology (models/types.ts); fields of later versions pass through, models/topology.ts checks the meaning. */
export const TopologySchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    servers: Type.Array(ServerSpecSchema, { minItems: 2 }),
    hosts: Type.Array(Name, { minItems: 1 }),
    virtualDisks: Type.Array(VirtualDiskSpecSchema),
    exclude: Type.Optional(Type.Array(Type.String(), { description: 'event types left out of the alphabet' })),
  },
  { additionalProperties: true },
);

/** An event of the topology's alphabet (models/types.ts `GroupEvent`), e.g. `{"type": "stop", "server": "s1"}`. */
export const PlanEventSchema = Type.Object(
  { type: Type.String({ minLength: 1, description: 'event type, e.g. stop, crash, write, recoveryComplete' }) },
  { additionalProperties: Type.Union([Type.String(), Type.Array(Type.String())]) },
);

export const PlanStepSchema = Type.Object(
  {
    event: PlanEventSchema,
    overlapIo: Type.Optional(Type.Boolean({ description: 'host writes are in flight while the action happens' })),
    note: Type.Optional(Type.String({ description: 'why the step is there; the heal suffix is noted "heal"' })),
  },
  { additionalProperties: false },
);

export const PlanPathSchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'stable path ID, e.g. components-3f9a0c12' }),
    spec: Type.Array(Type.String({ pattern: '^[A-Z]+-[0-9]+$' }), { description: 'SPEC IDs the path exercises' }),
    steps: Type.Array(PlanStepSchema),
    covers: Type.Array(Type.String(), { description: 'what the path was chosen to cover' }),
  },
  { additionalProperties: false },
);

export const PlanCoverageSchema = Type.Object(
  {
    unit: Type.String({ description: 'what is counted' }),
    goal: Type.Integer({ minimum: 0 }),
    covered: Type.Integer({ minimum: 0 }),
    uncovered: Type.Array(Type.String(), { description: 'a sample of uncovered items, with why' }),
    skipped: Type.Optional(Type.Array(Type.String(), { description: 'parts of the criterion the topology cannot have, with why' })),
  },
  { additionalProperties: false },
);

export const PlanSchema = Type.Object(
  {
    version: Type.Literal(1),
    topology: TopologySchema,
    criterion: Type.String({
      description: 'as given on the command line: components, states, transitions, transition-pairs, depth:K, random:N, replay',
    }),
    seed: Type.Integer({ minimum: 0, maximum: 4294967295 }),
    shard: Type.Union([
      Type.Object({ index: Type.Integer({ minimum: 1 }), count: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      Type.Null(),
    ]),
    maxPathLength: Type.Optional(Type.Integer({ minimum: 1 })),
    coverage: PlanCoverageSchema,
    paths: Type.Array(PlanPathSchema),
  },
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://sanspec.dev/schema/plan.json',
    title: 'sanspec test plan',
    additionalProperties: false,
  },
);

/** What the schema accepts; `loadPlan` narrows it to a `Plan` after checking the events against the topology. */
export type PlanJson = Static<typeof PlanSchema>;

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

// Every plan the planner makes is valid under the schema (a type error here means they drifted apart).
export const planIsPlanJson: (p: Plan) => DeepReadonly<PlanJson> = (p) => p;
