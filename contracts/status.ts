// The observable status of a server group (CF-2): the one JSON shape every system under test
// reports and the harness compares with the model's prediction. Written once, schema first: the
// TypeScript types are derived from the schema, and the published JSON Schema is the schema itself
// (docs/schema/group-status.json is this schema as JSON; test/unit/docs/published-schema.test.ts
// fails when it falls behind and rewrites it with SANSPEC_UPDATE_DOCS=1).
// This module is a leaf: it imports TypeBox and nothing from the toolkit or the engine, so both
// may import it.

import { type Static, Type } from '@sinclair/typebox';

/** The name of a server, host or virtual disk. */
export const NameSchema = Type.String({
  pattern: '^[a-z][a-z0-9-]{0,31}$',
  description: 'a lowercase name of letters, digits and "-", starting with a letter, at most 32 characters',
});
const Name = NameSchema;

/**
 * A pair of names, typed [string, string]. As a plain array of exactly two: TypeBox's Tuple is
 * written in draft-07 form (`items` as a list), which draft 2020-12 validators reject.
 */
export const NamePairSchema = (description: string) =>
  Type.Unsafe<[string, string]>(Type.Array(Name, { minItems: 2, maxItems: 2, description }));
const Lit = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  );

/** Write caching mode of a server (SRV-6, SRV-13). */
export const CacheModeSchema = Lit(['writeBack', 'writeThrough'] as const, 'write caching mode (SRV-6, SRV-13)');
export type CacheMode = Static<typeof CacheModeSchema>;

/** A role a port plays (PRT-1). */
export const PortRoleSchema = Lit(['frontEnd', 'mirror', 'backEnd'] as const, 'a role a port plays (PRT-1)');
export type PortRole = Static<typeof PortRoleSchema>;

/** Mode a port runs in, derived from its roles (PRT-1). */
export const PortModeSchema = Lit(['targetOnly', 'initiator', 'initiatorTarget'] as const, 'port mode, derived from its roles (PRT-1)');
export type PortMode = Static<typeof PortModeSchema>;

/** ALUA access state of a path for one virtual disk (PTH-3). */
export const AluaSchema = Lit(['activeOptimized', 'activeNonOptimized', 'unavailable'] as const, 'ALUA access state (PTH-3)');
export type Alua = Static<typeof AluaSchema>;

/** Copy data status vocabulary (MIR-4). */
export const DataStatusSchema = Lit(
  [
    'upToDate',
    'logRecoveryNeeded',
    'fullRecoveryNeeded',
    'logRecoveryPending',
    'fullRecoveryPending',
    'inLogRecovery',
    'inFullRecovery',
    'unknown',
    'doubleFailure',
  ] as const,
  'copy data status (MIR-4)',
);
export type DataStatus = Static<typeof DataStatusSchema>;

/** Virtual disk status vocabulary (MIR-4). */
export const VirtualDiskStateSchema = Lit(['online', 'failedRedundancy', 'offline', 'unknown'] as const, 'virtual disk status (MIR-4)');
export type VirtualDiskState = Static<typeof VirtualDiskStateSchema>;

/** Host access to a virtual disk (MIR-4). */
export const HostAccessSchema = Lit(['readWrite', 'disabled'] as const, 'host access (MIR-4)');
export type HostAccess = Static<typeof HostAccessSchema>;

/** Virtualization state of a server (SRV vocabulary). */
export const VirtualizationSchema = Lit(['stopped', 'starting', 'running', 'stopping'] as const, 'virtualization state (SRV)');
export type Virtualization = Static<typeof VirtualizationSchema>;

/** How the other servers of the group see a server (SRV vocabulary). */
export const SeenAsSchema = Lit(['Running', 'Stopped', 'Failed', 'Unavailable'] as const, 'how the rest of the group sees a server');
export type SeenAs = Static<typeof SeenAsSchema>;

/** Cache settings of a server (SRV-6, SRV-13). */
export const CacheStatusSchema = Type.Object(
  {
    applied: Type.Union([CacheModeSchema], { description: 'mode in force since the last start' }),
    pending: Type.Union([CacheModeSchema, Type.Null()], {
      description: 'mode set since, applying at the next start; null when nothing is pending',
    }),
    effective: Type.Union([CacheModeSchema], { description: 'mode actually used now: write-through while on battery (SRV-13)' }),
  },
  { additionalProperties: false },
);
export type CacheStatus = Static<typeof CacheStatusSchema>;

/** One server. */
export const ServerStatusSchema = Type.Object(
  {
    name: Name,
    power: Lit(['on', 'off'] as const, 'machine power'),
    state: VirtualizationSchema,
    seenAs: SeenAsSchema,
    ups: Lit(['mains', 'battery'] as const, 'UPS power source; mains for servers without a UPS'),
    cache: CacheStatusSchema,
    autoRestartsUsed: Type.Integer({ minimum: 0, description: 'automatic restarts used in the current window (SRV-10)' }),
    pool: Type.Optional(
      Lit(
        ['available', 'unavailable'] as const,
        'its backend pool (backing storage), reported by systems that model its failure (SRV-14); absent otherwise',
      ),
    ),
  },
  { additionalProperties: false },
);
export type ServerStatus = Static<typeof ServerStatusSchema>;

/** One port of one server. */
export const PortStatusSchema = Type.Object(
  {
    server: Name,
    name: Type.String({ minLength: 1, description: 'port name' }),
    roles: Type.Array(PortRoleSchema, { minItems: 1 }),
    mode: PortModeSchema,
    enabled: Type.Boolean({ description: 'enabled (PRT-2, PRT-3)' }),
  },
  { additionalProperties: false },
);
export type PortStatus = Static<typeof PortStatusSchema>;

/** One front-end path from a host to a server's front-end port. */
export const PathStatusSchema = Type.Object(
  {
    host: Name,
    server: Name,
    port: Type.String({ minLength: 1, description: 'front-end port name on that server' }),
    online: Type.Boolean({ description: 'online (PTH-1)' }),
    hostConnected: Type.Optional(
      Type.Boolean({
        description: 'its host is connected to the group (PTH-1), reported by systems that model host disconnects; absent otherwise',
      }),
    ),
    alua: Type.Record(Type.String(), AluaSchema, {
      description: 'ALUA state per virtual disk the server holds (PTH-3); unavailable while offline',
    }),
  },
  { additionalProperties: false },
);
export type PathStatus = Static<typeof PathStatusSchema>;

/** One copy of a virtual disk. */
export const CopyStatusSchema = Type.Object(
  {
    server: Name,
    preferred: Type.Boolean({ description: 'the preferred copy of a mirrored virtual disk (PTH-3); true for a single virtual disk' }),
    dataStatus: DataStatusSchema,
  },
  { additionalProperties: false },
);
export type CopyStatus = Static<typeof CopyStatusSchema>;

/** One virtual disk. */
export const VirtualDiskStatusSchema = Type.Object(
  {
    name: Name,
    kind: Lit(['single', 'mirrored'] as const, 'single or mirrored'),
    status: VirtualDiskStateSchema,
    hostAccess: HostAccessSchema,
    copies: Type.Array(CopyStatusSchema, { minItems: 1, description: 'its copies, preferred first' }),
    forced: Type.Optional(
      Type.Object(
        {
          copy: Type.Union([Name], { description: 'the server of the copy an operator forced online' }),
          discarded: Type.Boolean({
            description: 'the other copy held, or may have held, acknowledged writes the forced copy lacks: they were given up',
          }),
        },
        {
          additionalProperties: false,
          description:
            'MIR-11: the last forced decision, until the copies are in sync again; reported by systems that keep the record, absent otherwise',
        },
      ),
    ),
  },
  { additionalProperties: false },
);
export type VirtualDiskStatus = Static<typeof VirtualDiskStatusSchema>;

/** The mirror link between two servers that share mirrored virtual disks. */
export const MirrorLinkStatusSchema = Type.Object(
  {
    servers: NamePairSchema('the two servers, in topology order'),
    up: Type.Boolean({ description: 'link up (MIR-13)' }),
  },
  { additionalProperties: false },
);
export type MirrorLinkStatus = Static<typeof MirrorLinkStatusSchema>;

/** The observable status of a whole server group (CF-2). Arrays are in topology order. */
export const GroupStatusSchema = Type.Object(
  {
    servers: Type.Array(ServerStatusSchema),
    ports: Type.Array(PortStatusSchema, { description: 'ports of every server' }),
    paths: Type.Array(PathStatusSchema, { description: 'front-end paths, host-major' }),
    virtualDisks: Type.Array(VirtualDiskStatusSchema),
    mirrorLinks: Type.Array(MirrorLinkStatusSchema),
  },
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://sanspec.dev/schema/group-status.json',
    title: 'sanspec group status (CF-2)',
    additionalProperties: false,
  },
);
export type GroupStatus = Static<typeof GroupStatusSchema>;
