// The observable status a server group reports: the JSON shape of CF-2. The engine declares it
// itself (it imports nothing from the toolkit); test/integration checks that what the engine
// reports validates against the JSON Schema published by models/status-schema.ts.

export type CacheMode = 'writeBack' | 'writeThrough';
export type Alua = 'activeOptimized' | 'activeNonOptimized' | 'unavailable';
export type DataStatus =
  | 'upToDate'
  | 'logRecoveryNeeded'
  | 'fullRecoveryNeeded'
  | 'logRecoveryPending'
  | 'fullRecoveryPending'
  | 'inLogRecovery'
  | 'inFullRecovery'
  | 'unknown'
  | 'doubleFailure';

export interface ServerStatus {
  name: string;
  power: 'on' | 'off';
  state: 'stopped' | 'starting' | 'running' | 'stopping';
  seenAs: 'Running' | 'Stopped' | 'Failed' | 'Unavailable';
  ups: 'mains' | 'battery';
  cache: { applied: CacheMode; pending: CacheMode | null; effective: CacheMode };
  autoRestartsUsed: number;
}

export interface PortStatus {
  server: string;
  name: string;
  roles: Array<'frontEnd' | 'mirror' | 'backEnd'>;
  mode: 'targetOnly' | 'initiator' | 'initiatorTarget';
  enabled: boolean;
}

export interface PathStatus {
  host: string;
  server: string;
  port: string;
  online: boolean;
  alua: Record<string, Alua>;
}

export interface CopyStatus {
  server: string;
  preferred: boolean;
  dataStatus: DataStatus;
}

export interface VirtualDiskStatus {
  name: string;
  kind: 'single' | 'mirrored';
  status: 'online' | 'failedRedundancy' | 'offline' | 'unknown';
  hostAccess: 'readWrite' | 'disabled';
  copies: CopyStatus[];
}

export interface MirrorLinkStatus {
  servers: [string, string];
  up: boolean;
}

export interface GroupStatus {
  servers: ServerStatus[];
  ports: PortStatus[];
  paths: PathStatus[];
  virtualDisks: VirtualDiskStatus[];
  mirrorLinks: MirrorLinkStatus[];
}
