// The contracts both sides of sanspec share: the engine and the toolkit (models, harness,
// adapters) import these and nothing of each other.

export { type Code, type CodeInfo, type CodeKind, codes, isCode, isRefusalCode, type RefusalCode } from './codes.js';
export { type ErrorBody, ErrorBodySchema, errorBody } from './error.js';
export type * from './status.js';
export {
  AluaSchema,
  CacheModeSchema,
  CacheStatusSchema,
  CopyStatusSchema,
  DataStatusSchema,
  GroupStatusSchema,
  HostAccessSchema,
  MirrorLinkStatusSchema,
  PathStatusSchema,
  PortModeSchema,
  PortRoleSchema,
  PortStatusSchema,
  SeenAsSchema,
  ServerStatusSchema,
  VirtualDiskStateSchema,
  VirtualDiskStatusSchema,
  VirtualizationSchema,
} from './status.js';
