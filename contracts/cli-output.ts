// What `sanspec COMMAND --json` prints: one JSON document on stdout, the command's result below,
// or the error shape of contracts/error.ts (`{"error":{"code","message","details?"}}`) when the
// command line was bad (exit 2) or the command was refused or failed (exit 1). Vendors' scripts
// and the command adapter parse these, so each is a documented contract (docs/cli.md), written
// once here, schema first; the engine's and the toolkit's commands print values of these types.

import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { CacheModeSchema, GroupStatusSchema, NamePairSchema, NameSchema, VirtualizationSchema } from './status.js';

const Lit = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );

/** A published schema: draft 2020-12, with its id under https://sanspec.dev/schema/cli/. */
function published<T extends TSchema>(id: string, title: string, schema: T): T {
  return { ...schema, $schema: 'https://json-schema.org/draft/2020-12/schema', $id: `https://sanspec.dev/schema/cli/${id}.json`, title };
}

// ---------------------------------------------------------------------------------------------
// Model and conformance commands

/** An event of the model (models/types.ts `GroupEvent`): its `type` and the names it applies to. */
const EventSchema = Type.Object(
  { type: Type.String({ description: 'event type, e.g. stop, linkDown, forceMirrorRecovery' }) },
  {
    additionalProperties: true,
    description: 'an event: {"type": "stop", "server": "s1"}, {"type": "linkDown", "servers": ["s1", "s2"]}, ...',
  },
);

/** One violated property with the shortest trace to it. */
const ViolationSchema = Type.Object(
  {
    invariant: Type.String({ description: 'the property, or "recoverability"' }),
    spec: Type.Array(Type.String(), { description: 'the SPEC IDs it encodes' }),
    message: Type.String({ description: 'what is wrong in the last state of the trace' }),
    trace: Type.Array(
      Type.Object(
        {
          event: Type.Union([EventSchema, Type.Null()], { description: 'the event, null for the initial state' }),
          status: Type.Object(GroupStatusSchema.properties, { additionalProperties: false, description: 'the CF-2 status after it' }),
        },
        { additionalProperties: false },
      ),
      { description: 'from the initial state to the violation; no shorter trace exists' },
    ),
  },
  { additionalProperties: false },
);

/** `sanspec check --json`: one report per topology checked, in the order given. */
export const CheckOutputSchema = published(
  'check',
  'sanspec check --json',
  Type.Array(
    Type.Object(
      {
        topology: Type.String({ description: 'topology name' }),
        states: Type.Integer({ minimum: 0, description: 'reachable states of the model' }),
        exploredStates: Type.Integer({
          minimum: 0,
          description: "states explored together with the checker's own record of the truth (harness/check/ghost.ts)",
        }),
        transitions: Type.Integer({ minimum: 0, description: 'transitions applied' }),
        refusals: Type.Integer({ minimum: 0, description: 'events refused as not applicable (SRV-12)' }),
        invariants: Type.Array(Type.String(), { description: 'ids of the properties checked' }),
        violations: Type.Array(ViolationSchema, { description: 'at most one per property; empty when the model is correct' }),
        complete: Type.Boolean({ description: 'every reachable state was explored' }),
        unrecoverableStates: Type.Integer({ minimum: 0, description: 'states from which no repair reaches the healthy state' }),
        elapsedMs: Type.Integer({ minimum: 0, description: 'wall time in milliseconds' }),
        symmetry: Type.Optional(
          Type.Object(
            {
              renamings: Type.Integer({ minimum: 1, description: "size of the topology's symmetry group (the identity included)" }),
              fullStates: Type.Integer({ minimum: 0, description: 'reachable model states without symmetry reduction' }),
              fullExploredStates: Type.Integer({ minimum: 0, description: "states with the checker's record, without symmetry reduction" }),
            },
            {
              additionalProperties: false,
              description:
                'present when the topology declares symmetries: states and exploredStates then count one state per class of renamed states',
            },
          ),
        ),
      },
      { additionalProperties: false },
    ),
  ),
);
export type CheckOutput = Static<typeof CheckOutputSchema>;

// ---------------------------------------------------------------------------------------------
// Engine commands

/** `sanspec group up --json`: where the group is and how hosts reach its disks. */
export const GroupUpOutputSchema = published(
  'group-up',
  'sanspec group up --json',
  Type.Object(
    {
      dir: Type.String({ description: 'the group directory (absolute); pass it as --dir to every other engine command' }),
      supervisorUrl: Type.String({ description: "the supervisor's HTTP API, http://127.0.0.1:PORT (docs/engine.md)" }),
      servers: Type.Record(
        Type.String(),
        Type.Object(
          {
            managementUrl: Type.String({ description: "the server's management API, http://127.0.0.1:PORT" }),
            ports: Type.Record(Type.String(), Type.Integer({ minimum: 1, maximum: 65535 }), {
              description: 'TCP port of each front-end and mirror port, by port name; the same across restarts',
            }),
          },
          { additionalProperties: false },
        ),
        { description: 'every server of the group, by name' },
      ),
      virtualDisks: Type.Record(Type.String(), Type.Array(Type.String()), {
        description:
          'NBD URIs of each virtual disk, one per front-end port of each server holding a copy (nbd://127.0.0.1:PORT/NAME, nbd+unix:///NAME?socket=PATH)',
      }),
    },
    { additionalProperties: false },
  ),
);
export type GroupUpOutput = Static<typeof GroupUpOutputSchema>;

/** `sanspec group down --json`: what was ended. */
export const GroupDownOutputSchema = published(
  'group-down',
  'sanspec group down --json',
  Type.Object(
    {
      dir: Type.String({ description: 'the group directory (absolute)' }),
      supervisor: Lit(
        ['stopped', 'killed', 'none'] as const,
        'stopped: it shut every server down; killed: it did not end in time; none: no supervisor was running',
      ),
      killedServers: Type.Array(Type.Object({ server: NameSchema, pid: Type.Integer() }, { additionalProperties: false }), {
        description: 'server processes still running without a supervisor, killed now (SIGKILL)',
      }),
      detachedLoopDevices: Type.Array(Type.String(), { description: 'loop devices of the group detached now, e.g. /dev/loop3' }),
    },
    { additionalProperties: false },
  ),
);
export type GroupDownOutput = Static<typeof GroupDownOutputSchema>;

/** `sanspec status --json`: the CF-2 status of the group, exactly the shape of contracts/status.ts. */
export const StatusOutputSchema = GroupStatusSchema;
export type StatusOutput = Static<typeof StatusOutputSchema>;

/** `sanspec status --details --json`: the CF-2 status and, per server, where to reach it and what it reports for operators. */
export const StatusDetailsOutputSchema = published(
  'status-details',
  'sanspec status --details --json',
  Type.Object(
    {
      status: Type.Object(GroupStatusSchema.properties, { additionalProperties: false, description: 'the CF-2 status' }),
      servers: Type.Record(
        Type.String(),
        Type.Object(
          {
            power: Lit(['on', 'off'] as const, 'machine power'),
            managementUrl: Type.String(),
            details: Type.Optional(
              Type.Unknown({
                description: 'what a running server reports for operators (exports, caches, mirror links); not a stable contract',
              }),
            ),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
);
export type StatusDetailsOutput = Static<typeof StatusDetailsOutputSchema>;

const ServerActions = ['server stop', 'server start', 'server shutdown', 'server restart', 'server crash', 'server power-on'] as const;

/** `sanspec server stop|start|shutdown|restart|crash|power-on NAME --json`. */
export const ServerActionOutputSchema = published(
  'server-action',
  'sanspec server stop|start|shutdown|restart|crash|power-on --json',
  Type.Object(
    { command: Lit(ServerActions, 'the command that was done'), server: NameSchema },
    { additionalProperties: false, description: 'printed once the server has done it' },
  ),
);
export type ServerActionOutput = Static<typeof ServerActionOutputSchema>;

/** `sanspec server cache NAME --json`: the settings asked for; they apply at the next start (SRV-6). */
export const ServerCacheOutputSchema = published(
  'server-cache',
  'sanspec server cache --json',
  Type.Object(
    {
      command: Type.Literal('server cache'),
      server: NameSchema,
      mode: Type.Optional(CacheModeSchema),
      sizeMiB: Type.Optional(Type.Integer({ minimum: 1 })),
    },
    { additionalProperties: false },
  ),
);
export type ServerCacheOutput = Static<typeof ServerCacheOutputSchema>;

/** `sanspec server ups NAME EVENT --json` (SRV-13). */
export const ServerUpsOutputSchema = published(
  'server-ups',
  'sanspec server ups --json',
  Type.Object(
    { command: Type.Literal('server ups'), server: NameSchema, event: Lit(['battery', 'mains', 'low'] as const, 'the UPS event') },
    { additionalProperties: false },
  ),
);
export type ServerUpsOutput = Static<typeof ServerUpsOutputSchema>;

/** `sanspec link cut|restore A B --json` (MIR-13). */
export const LinkOutputSchema = published(
  'link',
  'sanspec link cut|restore --json',
  Type.Object(
    {
      command: Lit(['link cut', 'link restore'] as const, 'the command that was done'),
      servers: NamePairSchema('the two servers of the link'),
    },
    { additionalProperties: false },
  ),
);
export type LinkOutput = Static<typeof LinkOutputSchema>;

/** `sanspec site crash --json` (MIR-11). */
export const SiteCrashOutputSchema = published(
  'site-crash',
  'sanspec site crash --json',
  Type.Object({ command: Type.Literal('site crash') }, { additionalProperties: false }),
);
export type SiteCrashOutput = Static<typeof SiteCrashOutputSchema>;

/** `sanspec mirror force-recovery VDISK --copy SERVER --json` (MIR-11). */
export const ForceRecoveryOutputSchema = published(
  'mirror-force-recovery',
  'sanspec mirror force-recovery --json',
  Type.Object(
    { command: Type.Literal('mirror force-recovery'), vdisk: NameSchema, copy: NameSchema },
    { additionalProperties: false, description: 'the copy on `copy` is online; the other copy gets full recovery from it' },
  ),
);
export type ForceRecoveryOutput = Static<typeof ForceRecoveryOutputSchema>;

// ---------------------------------------------------------------------------------------------
// The `details` of errors whose evidence has a documented shape

/** `details` of ENGINE_BAD_CONFIG, SANSPEC_BAD_TOPOLOGY and API_BAD_REQUEST: every bad field. */
export const FieldProblemsSchema = published(
  'field-problems',
  'details: the invalid fields',
  Type.Object(
    {
      problems: Type.Array(
        Type.Object(
          {
            field: Type.String({ description: 'the field as written, e.g. servers[1].cache.mode' }),
            problem: Type.String({ description: 'what is wrong with it, with the value found' }),
          },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
);
export type FieldProblems = Static<typeof FieldProblemsSchema>;

/**
 * `details` of ENGINE_NOT_RESPONDING: the supervisor is gone (or does not answer) while server
 * processes of the group still run; what runs, as far as their pid files and their management
 * APIs tell.
 */
export const NotRespondingSchema = published(
  'not-responding',
  'details: what still runs without a supervisor',
  Type.Object(
    {
      dir: Type.String({ description: 'the group directory' }),
      supervisor: Type.Object(
        {
          pid: Type.Union([Type.Integer(), Type.Null()], { description: 'its pid as recorded, null if none was' }),
          alive: Type.Boolean({ description: 'the process exists (it may still not answer)' }),
        },
        { additionalProperties: false },
      ),
      servers: Type.Array(
        Type.Object(
          {
            server: NameSchema,
            pid: Type.Integer(),
            managementUrl: Type.Union([Type.String(), Type.Null()]),
            state: Type.Union([VirtualizationSchema, Type.Null()], {
              description: 'as its management API reports it; null if it does not answer',
            }),
          },
          { additionalProperties: false },
        ),
        { description: 'server processes of the group that are alive' },
      ),
    },
    { additionalProperties: false },
  ),
);
export type NotResponding = Static<typeof NotRespondingSchema>;
