// The group configuration file, schema first: its structure, limits and defaults. loadGroupConfig
// validates a file against it (naming every bad field), fills in the defaults, and then checks
// what a schema cannot say (names used twice, references to servers that do not exist).

import { type Static, Type } from '@sinclair/typebox';
import { CacheModeSchema, NameSchema, PortRoleSchema } from '../../contracts/status.js';
import { faultSwitchNames } from '../faults.js';
import { MAX_CACHE_MIB } from '../server/api-bodies.js';

const Int = (minimum: number, maximum: number, dflt: number, description: string) =>
  Type.Optional(Type.Integer({ minimum, maximum, default: dflt, description: `${description} (default ${dflt})` }));
const Bool = (dflt: boolean, description: string) =>
  Type.Optional(Type.Boolean({ default: dflt, description: `${description} (default ${dflt})` }));

/** The ports every server has unless its configuration lists its own: FE, mirror and BE (SPEC.md). */
export function defaultPortsInput(): Array<{ name: string; roles: Array<'frontEnd' | 'mirror' | 'backEnd'> }> {
  return [
    { name: 'fe1', roles: ['frontEnd'] },
    { name: 'mr1', roles: ['mirror'] },
    { name: 'be1', roles: ['backEnd'] },
  ];
}

const PortSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,15}$', description: 'a short lowercase port name of at most 16 characters, e.g. fe1' }),
    roles: Type.Array(PortRoleSchema, { minItems: 1, uniqueItems: true, description: 'frontEnd, mirror, backEnd' }),
    targetOnly: Bool(false, 'a mirror port explicitly set to Target Only (PRT-1)'),
    unixSocket: Bool(false, 'also listen on a Unix socket <dir>/servers/<server>/<port>.sock'),
  },
  { additionalProperties: false, description: 'like {"name": "fe1", "roles": ["frontEnd"]}' },
);

const CacheSchema = Type.Object(
  {
    mode: Type.Optional(Type.Union(CacheModeSchema.anyOf, { default: 'writeBack', description: 'write caching mode (default writeBack)' })),
    sizeMiB: Int(1, MAX_CACHE_MIB, 64, 'cache size in MiB, shared by the server’s virtual disks'),
  },
  { additionalProperties: false, default: {}, description: 'like {"mode": "writeBack", "sizeMiB": 64}' },
);

const ServerSchema = Type.Object(
  {
    name: NameSchema,
    ports: Type.Optional(Type.Array(PortSchema, { default: defaultPortsInput(), description: 'its ports (default fe1, mr1, be1)' })),
    autoRestartAttempts: Int(0, 10, 0, 'automatic restart attempts after an unexpected restart, per window (SRV-10)'),
    ups: Bool(false, 'powered through a UPS that reports battery state (SRV-13)'),
    cache: Type.Optional(CacheSchema),
    pool: Type.Optional(
      Type.Object(
        {
          backend: Type.Optional(
            Type.Union([Type.Literal('file'), Type.Literal('loop')], {
              default: 'file',
              description: 'backing disks: files, or loop devices over files',
            }),
          ),
        },
        { additionalProperties: false, default: {}, description: 'like {"backend": "file"}' },
      ),
    ),
  },
  { additionalProperties: false, description: 'an object with at least a "name"' },
);

const VirtualDiskSchema = Type.Object(
  {
    name: NameSchema,
    kind: Type.Union([Type.Literal('single'), Type.Literal('mirrored')]),
    server: Type.Optional(Type.String({ description: 'single: the server that holds it' })),
    copies: Type.Optional(
      Type.Array(Type.String(), { description: 'mirrored: the servers holding its two copies, preferred first: ["s1", "s2"]' }),
    ),
    sizeMiB: Int(1, 1 << 20, 64, 'size in MiB'),
  },
  { additionalProperties: false },
);

/** A group configuration file as written: every field but servers, hosts and virtualDisks may be left out. */
export const GroupConfigInputSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ ...NameSchema, default: 'group' })),
    servers: Type.Array(ServerSchema, { minItems: 2, description: 'servers, at least 2' }),
    hosts: Type.Array(NameSchema, { minItems: 1, description: 'host names' }),
    virtualDisks: Type.Array(VirtualDiskSchema, { description: 'virtual disks' }),
    autoRestartWindowSeconds: Int(1, 30 * 24 * 3600, 4 * 3600, 'the window automatic restarts are counted in (SRV-10)'),
    mirror: Type.Optional(
      Type.Object(
        {
          heartbeatMs: Int(10, 10_000, 100, 'mirror link heartbeat interval'),
          deadAfterMs: Int(50, 60_000, 1000, 'a partner silent this long is lost (MIR-2)'),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    recoveryMiBPerSecond: Int(0, 100_000, 0, 'background recovery throttle in MiB/s, 0 for unthrottled (MIR-7)'),
    tuning: Type.Optional(
      Type.Object(
        {
          destageDelayMs: Int(0, 3_600_000, 0, 'dirty cache data younger than this is not destaged unless a flush waits for it'),
          syncReads: Bool(true, 'backend reads on the main thread'),
          syncWrites: Bool(true, 'destager writes on the main thread'),
          threadPoolSize: Int(1, 128, 4, 'threads of each server’s I/O thread pool'),
        },
        { additionalProperties: false, default: {} },
      ),
    ),
    testing: Type.Optional(
      Type.Object(
        {
          faults: Type.Optional(
            Type.Array(Type.Union(faultSwitchNames.map((name) => Type.Literal(name))), {
              uniqueItems: true,
              default: [],
              description: `fault switches to turn on (engine/faults.ts); refused unless SANSPEC_ALLOW_FAULTS=1 (default none)`,
            }),
          ),
          powerLoss: Bool(false, 'writes the backends have not synced are lost by a crash, power-off or site crash'),
        },
        { additionalProperties: false, default: {}, description: 'test-only settings (docs/engine.md, "Testing the tests")' },
      ),
    ),
  },
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://sanspec.dev/schema/group-config.json',
    title: 'sanspec group configuration',
    additionalProperties: false,
  },
);
export type GroupConfigInput = Static<typeof GroupConfigInputSchema>;
