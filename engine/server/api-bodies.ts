// The bodies the management API of a server and the supervisor's API accept, schema first: the
// APIs validate them with parseBody (engine/util/json-http.ts), which names every bad field.

import { type Static, Type } from '@sinclair/typebox';
import { CacheModeSchema, NameSchema } from '../../contracts/status.js';

/** Largest write cache a server may be given, in MiB (also the limit of the group configuration). */
export const MAX_CACHE_MIB = 16384;

/** POST /cache: new cache settings; they apply at the next start (SRV-6). */
export const CacheBodySchema = Type.Object(
  {
    mode: Type.Optional(CacheModeSchema),
    sizeMiB: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CACHE_MIB, description: 'cache size in MiB' })),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type CacheBody = Static<typeof CacheBodySchema>;

/** A UPS event (SRV-13): on battery, mains restored, battery low. */
export const UpsEventSchema = Type.Union([Type.Literal('battery'), Type.Literal('mains'), Type.Literal('low')]);
export type UpsEvent = Static<typeof UpsEventSchema>;

/** POST /ups (server) and POST /servers/:name/ups (supervisor). */
export const UpsBodySchema = Type.Object({ event: UpsEventSchema }, { additionalProperties: false });

/** POST /mirror/:vdisk/force (supervisor): the copy to bring online (MIR-11). */
export const ForceBodySchema = Type.Object({ copy: NameSchema }, { additionalProperties: false });
