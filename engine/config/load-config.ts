import type { BackendKind, CacheSettings, GroupConfig, PortConfig, ServerConfig, VirtualDiskConfig } from './types.js';

/** A problem in a configuration: where and what. */
export interface ConfigProblem {
  /** JSON path of the field, e.g. `servers[1].cache.mode`. */
  field: string;
  problem: string;
}

/** Thrown for an invalid configuration; lists every problem found. */
export class ConfigError extends Error {
  readonly code = 'ENGINE_BAD_CONFIG';
  constructor(
    readonly problems: ConfigProblem[],
    source = 'configuration',
  ) {
    super(`invalid ${source}:\n${problems.map((p) => `  ${p.field}: ${p.problem}`).join('\n')}`);
  }
}

const NAME = /^[a-z][a-z0-9-]{0,31}$/;
const DEFAULT_CACHE: CacheSettings = { mode: 'writeBack', sizeMiB: 64 };

function defaultPorts(): PortConfig[] {
  return [
    { name: 'fe1', roles: ['frontEnd'], targetOnly: false, unixSocket: false },
    { name: 'mr1', roles: ['mirror'], targetOnly: false, unixSocket: false },
    { name: 'be1', roles: ['backEnd'], targetOnly: false, unixSocket: false },
  ];
}

/** SPEC.md's default topology: s1, s2, hosts h1, h2, m1 mirrored (preferred s1), v1 on s1, v2 on s2. */
export function defaultConfigInput(): Record<string, unknown> {
  return {
    name: 'default',
    servers: [{ name: 's1' }, { name: 's2' }],
    hosts: ['h1', 'h2'],
    virtualDisks: [
      { name: 'm1', kind: 'mirrored', copies: ['s1', 's2'] },
      { name: 'v1', kind: 'single', server: 's1' },
      { name: 'v2', kind: 'single', server: 's2' },
    ],
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a parsed configuration and fills in defaults. Every problem is reported with the
 * field it is in. `backend` overrides the pools' backend (the `--backend` option).
 */
export function loadGroupConfig(input: unknown, options: { backend?: BackendKind; source?: string } = {}): GroupConfig {
  const problems: ConfigProblem[] = [];
  const bad = (field: string, problem: string) => problems.push({ field, problem });
  /** Records a problem and returns the value to go on with. */
  const badThen = <T>(field: string, problem: string, fallback: T): T => {
    bad(field, problem);
    return fallback;
  };
  const root: Obj = isObj(input) ? input : badThen('(root)', 'must be a JSON object', {});

  const known = (o: Obj, field: string, keys: string[]) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) bad(field ? `${field}.${k}` : k, `unknown field (known: ${keys.join(', ')})`);
  };
  known(root, '', ['name', 'servers', 'hosts', 'virtualDisks', 'autoRestartWindowSeconds', 'mirror', 'recoveryMiBPerSecond', 'tuning']);

  const names = new Set<string>();
  const name = (field: string, v: unknown): string => {
    if (typeof v !== 'string' || !NAME.test(v)) {
      bad(field, `must be a lowercase name of letters, digits and '-', starting with a letter (got ${JSON.stringify(v)})`);
      return String(v);
    }
    if (names.has(v)) bad(field, `name ${JSON.stringify(v)} is used twice`);
    names.add(v);
    return v;
  };
  const int = (field: string, v: unknown, dflt: number, min: number, max: number): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      bad(field, `must be an integer from ${min} to ${max} (got ${JSON.stringify(v)})`);
      return dflt;
    }
    return v;
  };
  const oneOf = <T extends string>(field: string, v: unknown, allowed: readonly T[], dflt: T): T => {
    if (v === undefined) return dflt;
    if (!allowed.includes(v as T)) {
      bad(field, `must be one of ${allowed.join(', ')} (got ${JSON.stringify(v)})`);
      return dflt;
    }
    return v as T;
  };
  const bool = (field: string, v: unknown, dflt: boolean): boolean => {
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') {
      bad(field, `must be true or false (got ${JSON.stringify(v)})`);
      return dflt;
    }
    return v;
  };
  const cache = (field: string, v: unknown): CacheSettings => {
    if (v === undefined) return { ...DEFAULT_CACHE };
    if (!isObj(v)) {
      bad(field, 'must be an object like {"mode": "writeBack", "sizeMiB": 64}');
      return { ...DEFAULT_CACHE };
    }
    known(v, field, ['mode', 'sizeMiB']);
    return {
      mode: oneOf(`${field}.mode`, v.mode, ['writeBack', 'writeThrough'] as const, 'writeBack'),
      sizeMiB: int(`${field}.sizeMiB`, v.sizeMiB, DEFAULT_CACHE.sizeMiB, 1, 16384),
    };
  };

  const serversIn = root.servers;
  if (!Array.isArray(serversIn) || serversIn.length < 2) bad('servers', 'a group needs at least 2 servers');
  const servers: ServerConfig[] = (Array.isArray(serversIn) ? serversIn : []).map((s, i) => {
    const f = `servers[${i}]`;
    if (!isObj(s)) {
      bad(f, 'must be an object with at least a "name"');
      return {
        name: `?${i}`,
        ports: defaultPorts(),
        autoRestartAttempts: 0,
        ups: false,
        cache: { ...DEFAULT_CACHE },
        pool: { backend: 'file' },
      };
    }
    known(s, f, ['name', 'ports', 'autoRestartAttempts', 'ups', 'cache', 'pool']);
    const portNames = new Set<string>();
    const ports: PortConfig[] =
      s.ports === undefined
        ? defaultPorts()
        : !Array.isArray(s.ports)
          ? badThen(`${f}.ports`, 'must be an array of ports', defaultPorts())
          : s.ports.map((p, j) => {
              const pf = `${f}.ports[${j}]`;
              if (!isObj(p)) {
                bad(pf, 'must be an object like {"name": "fe1", "roles": ["frontEnd"]}');
                return { name: `?${j}`, roles: [], targetOnly: false, unixSocket: false };
              }
              known(p, pf, ['name', 'roles', 'targetOnly', 'unixSocket']);
              const pname =
                typeof p.name === 'string' && /^[a-z][a-z0-9-]{0,15}$/.test(p.name)
                  ? p.name
                  : badThen(`${pf}.name`, 'must be a short lowercase name', `?${j}`);
              if (portNames.has(pname)) bad(`${pf}.name`, `port ${pname} is used twice`);
              portNames.add(pname);
              const roles = Array.isArray(p.roles) ? p.roles : [];
              if (roles.length === 0 || roles.some((r) => !['frontEnd', 'mirror', 'backEnd'].includes(r as string))) {
                bad(`${pf}.roles`, 'must list one or more of frontEnd, mirror, backEnd');
              }
              const targetOnly = bool(`${pf}.targetOnly`, p.targetOnly, false);
              if (targetOnly && (!roles.includes('mirror') || roles.includes('backEnd'))) {
                bad(`${pf}.targetOnly`, 'only a mirror port without the back-end role can be set to Target Only');
              }
              return {
                name: pname,
                roles: roles as PortConfig['roles'],
                targetOnly,
                unixSocket: bool(`${pf}.unixSocket`, p.unixSocket, false),
              };
            });
    if (!ports.some((p) => p.roles.includes('frontEnd')))
      bad(`${f}.ports`, 'needs a port with the frontEnd role; hosts could not reach the server');
    const pool = isObj(s.pool) ? s.pool : {};
    if (s.pool !== undefined && !isObj(s.pool)) bad(`${f}.pool`, 'must be an object like {"backend": "file"}');
    return {
      name: name(`${f}.name`, s.name),
      ports,
      autoRestartAttempts: int(`${f}.autoRestartAttempts`, s.autoRestartAttempts, 0, 0, 10),
      ups: bool(`${f}.ups`, s.ups, false),
      cache: cache(`${f}.cache`, s.cache),
      pool: { backend: options.backend ?? oneOf(`${f}.pool.backend`, pool.backend, ['file', 'loop'] as const, 'file') },
    };
  });
  const serverNames = new Set(servers.map((s) => s.name));

  const hosts = Array.isArray(root.hosts)
    ? root.hosts.map((h, i) => name(`hosts[${i}]`, h))
    : badThen('hosts', 'must be a list of host names', []);
  if (Array.isArray(root.hosts) && hosts.length === 0) bad('hosts', 'needs at least one host');

  const disksIn = root.virtualDisks;
  if (!Array.isArray(disksIn)) bad('virtualDisks', 'must be a list of virtual disks');
  const virtualDisks: VirtualDiskConfig[] = (Array.isArray(disksIn) ? disksIn : []).flatMap((v, i): VirtualDiskConfig[] => {
    const f = `virtualDisks[${i}]`;
    if (!isObj(v)) {
      bad(f, 'must be an object');
      return [];
    }
    known(v, f, ['name', 'kind', 'server', 'copies', 'sizeMiB']);
    const vname = name(`${f}.name`, v.name);
    const sizeMiB = int(`${f}.sizeMiB`, v.sizeMiB, 64, 1, 1 << 20);
    const server = (field: string, s: unknown) => {
      if (typeof s !== 'string' || !serverNames.has(s)) bad(field, `no server named ${JSON.stringify(s)}`);
      return String(s);
    };
    if (v.kind === 'single') return [{ name: vname, kind: 'single', server: server(`${f}.server`, v.server), sizeMiB }];
    if (v.kind === 'mirrored') {
      if (!Array.isArray(v.copies) || v.copies.length !== 2) {
        bad(`${f}.copies`, 'a mirrored virtual disk has exactly two copies: ["preferred server", "other server"]');
        return [];
      }
      const copies: [string, string] = [server(`${f}.copies[0]`, v.copies[0]), server(`${f}.copies[1]`, v.copies[1])];
      if (copies[0] === copies[1]) bad(`${f}.copies`, 'the two copies must be on different servers');
      return [{ name: vname, kind: 'mirrored', copies, sizeMiB }];
    }
    bad(`${f}.kind`, `must be "single" or "mirrored" (got ${JSON.stringify(v.kind)})`);
    return [];
  });

  const tuning = isObj(root.tuning) ? root.tuning : {};
  if (root.tuning !== undefined) known(tuning, 'tuning', ['destageDelayMs', 'syncReads', 'syncWrites', 'threadPoolSize']);
  const mirror = isObj(root.mirror) ? root.mirror : {};
  if (root.mirror !== undefined) known(mirror, 'mirror', ['heartbeatMs', 'deadAfterMs']);
  const config: GroupConfig = {
    name:
      typeof root.name === 'string' && NAME.test(root.name)
        ? root.name
        : root.name === undefined
          ? 'group'
          : badThen('name', 'must be a lowercase name', 'group'),
    servers,
    hosts,
    virtualDisks,
    autoRestartWindowSeconds: int('autoRestartWindowSeconds', root.autoRestartWindowSeconds, 4 * 3600, 1, 30 * 24 * 3600),
    mirror: {
      heartbeatMs: int('mirror.heartbeatMs', mirror.heartbeatMs, 100, 10, 10_000),
      deadAfterMs: int('mirror.deadAfterMs', mirror.deadAfterMs, 1000, 50, 60_000),
    },
    recoveryMiBPerSecond: int('recoveryMiBPerSecond', root.recoveryMiBPerSecond, 0, 0, 100_000),
    tuning: {
      destageDelayMs: int('tuning.destageDelayMs', tuning.destageDelayMs, 0, 0, 3_600_000),
      syncReads: bool('tuning.syncReads', tuning.syncReads, true),
      syncWrites: bool('tuning.syncWrites', tuning.syncWrites, true),
      threadPoolSize: int('tuning.threadPoolSize', tuning.threadPoolSize, 4, 1, 128),
    },
  };
  if (problems.length > 0) throw new ConfigError(problems, options.source);
  return config;
}

/** The virtual disks a server holds a copy of, in configuration order. */
export function disksOn(config: GroupConfig, server: string): VirtualDiskConfig[] {
  return config.virtualDisks.filter((v) => (v.kind === 'single' ? v.server === server : v.copies.includes(server)));
}

/** PRT-1: FE only -> Target Only; BE only -> Initiator; any other combination -> Initiator/Target. */
export function portMode(p: PortConfig): 'targetOnly' | 'initiator' | 'initiatorTarget' {
  if (p.targetOnly) return 'targetOnly';
  if (p.roles.length === 1 && p.roles[0] === 'frontEnd') return 'targetOnly';
  if (p.roles.length === 1 && p.roles[0] === 'backEnd') return 'initiator';
  return 'initiatorTarget';
}
