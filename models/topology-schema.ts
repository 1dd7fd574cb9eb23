// The structure of a topology (models/types.ts `Topology`), schema first, for topologies read from
// JSON files: topologyProblems checks a file against it and then checks what a schema cannot say
// (names used twice, references to servers that do not exist).

import { Type } from '@sinclair/typebox';
import { NameSchema, PortRoleSchema } from '../contracts/status.js';
import type { GroupEventType, TopologyFeature } from './types.js';

/** Every event type, in one list: topologies' `exclude`, the adapters' event lists and tests derive from it. */
export const groupEventTypes = [
  'stop',
  'start',
  'shutdown',
  'restart',
  'crash',
  'siteCrash',
  'powerOn',
  'setCache',
  'onBattery',
  'mainsRestored',
  'batteryLow',
  'autoRestartWindowElapsed',
  'write',
  'flush',
  'recoveryComplete',
  'forceMirrorRecovery',
  'linkDown',
  'linkUp',
  'hostDisconnect',
  'hostReconnect',
  'poolFail',
  'poolRestore',
] as const satisfies readonly GroupEventType[];
// A new event type must be added to the list above: this fails to compile until it is.
/** Every opt-in behaviour of a topology (`Topology.features`). */
export const topologyFeatures = ['hostConnections', 'backendPools', 'forceRecord'] as const satisfies readonly TopologyFeature[];
const everyFeature: Exclude<TopologyFeature, (typeof topologyFeatures)[number]> extends never ? true : never = true;
void everyFeature;

const everyEventType: Exclude<GroupEventType, (typeof groupEventTypes)[number]> extends never ? true : never = true;
void everyEventType;

const PortSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'a port name, unique within its server' }),
    roles: Type.Array(PortRoleSchema, { minItems: 1, uniqueItems: true, description: 'frontEnd, mirror, backEnd' }),
    targetOnly: Type.Optional(Type.Boolean({ description: 'a mirror port explicitly set to Target Only (PRT-1)' })),
  },
  { additionalProperties: false, description: 'like {"name": "fe1", "roles": ["frontEnd"]}' },
);

const ServerSchema = Type.Object(
  {
    name: NameSchema,
    ports: Type.Array(PortSchema, { description: 'ports' }),
    autoRestartAttempts: Type.Integer({ minimum: 0, maximum: 3, description: 'automatic restart attempts (SRV-10)' }),
    ups: Type.Boolean({ description: 'powered through a UPS (SRV-13)' }),
  },
  { additionalProperties: false, description: 'like {"name": "s1", "ports": [...], "autoRestartAttempts": 0, "ups": false}' },
);

const VirtualDiskSchema = Type.Object(
  {
    name: NameSchema,
    kind: Type.Union([Type.Literal('single'), Type.Literal('mirrored')]),
    server: Type.Optional(Type.String({ description: 'single: the server that holds it' })),
    copies: Type.Optional(Type.Array(Type.String(), { description: 'mirrored: the servers holding its two copies, preferred first' })),
  },
  { additionalProperties: false },
);

/** A topology as a JSON file holds it. */
export const TopologySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'the topology name, for reports' }),
    servers: Type.Array(ServerSchema, { minItems: 2, description: 'servers, at least 2' }),
    hosts: Type.Array(NameSchema, { minItems: 1, description: 'host names' }),
    virtualDisks: Type.Array(VirtualDiskSchema, { description: 'virtual disks' }),
    exclude: Type.Optional(
      Type.Array(Type.Union(groupEventTypes.map((t) => Type.Literal(t))), { description: 'event types left out of the alphabet' }),
    ),
    symmetry: Type.Optional(
      Type.Array(Type.Record(Type.String(), Type.String()), {
        description:
          'renamings (name -> name) of servers, hosts and virtual disks under which the topology is the same; the checker explores one state per class of renamed states',
      }),
    ),
    features: Type.Optional(
      Type.Array(Type.Union(topologyFeatures.map((t) => Type.Literal(t))), {
        uniqueItems: true,
        description: 'opt-in behaviours beyond the catalogue: hostConnections (PTH-1), backendPools (SRV-14), forceRecord (MIR-11)',
      }),
    ),
  },
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://sanspec.dev/schema/topology.json',
    title: 'sanspec topology',
    additionalProperties: false,
  },
);
