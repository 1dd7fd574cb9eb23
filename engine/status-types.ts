// The observable status a server group reports (CF-2): one source, contracts/status.ts (TypeBox
// schema first, types derived). Re-exported here for the engine's modules.

export type {
  Alua,
  CacheMode,
  CacheStatus,
  CopyStatus,
  DataStatus,
  GroupStatus,
  HostAccess,
  MirrorLinkStatus,
  PathStatus,
  PortMode,
  PortRole,
  PortStatus,
  SeenAs,
  ServerStatus,
  VirtualDiskState,
  VirtualDiskStatus,
  Virtualization,
} from '../contracts/status.js';
