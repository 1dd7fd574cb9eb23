import { Value } from '@sinclair/typebox/value';
import type { Code } from '../../contracts/codes.js';
import { groupShapeProblems } from '../../contracts/group-shape.js';
import { type FieldProblem, formatProblems, schemaProblems } from '../../contracts/validate.js';
import { FaultsDisabledError, faultsAllowed } from '../faults.js';
import { GroupConfigInputSchema, type GroupConfigInput } from './config-schema.js';
import type { BackendKind, GroupConfig, PortConfig, ServerConfig, VirtualDiskConfig } from './types.js';

/** A problem in a configuration: where (`servers[1].cache.mode`) and what. */
export type ConfigProblem = FieldProblem;

/** Thrown for an invalid configuration; lists every problem found. */
export class ConfigError extends Error {
  readonly code = 'ENGINE_BAD_CONFIG' satisfies Code;
  constructor(
    readonly problems: ConfigProblem[],
    source = 'configuration',
  ) {
    super(`invalid ${source}:\n${formatProblems(problems)}`);
  }

  /** Evidence for the error shape: every bad field. */
  get details(): { problems: ConfigProblem[] } {
    return { problems: this.problems };
  }
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
 * Validates a parsed configuration (GroupConfigInputSchema, then the checks a schema cannot do)
 * and fills in defaults. Every problem is reported with the field it is in. `backend` overrides
 * the pools' backend (the `--backend` option).
 *
 * A configuration that turns fault switches on (`testing.faults`) is refused with a
 * FaultsDisabledError (ENGINE_FAULTS_DISABLED) unless `allowFaults` (default: SANSPEC_ALLOW_FAULTS=1
 * in the environment).
 */
export function loadGroupConfig(
  input: unknown,
  options: { backend?: BackendKind; source?: string; allowFaults?: boolean } = {},
): GroupConfig {
  const problems = schemaProblems(GroupConfigInputSchema, input);
  const filled = isObj(input) ? (Value.Default(GroupConfigInputSchema, structuredClone(input)) as Obj) : {};
  const known = new Set(problems.map((p) => p.field));
  for (const p of groupShapeProblems(filled)) if (!known.has(p.field)) problems.push(p);
  if (problems.length > 0) throw new ConfigError(problems, options.source);
  // Valid, with every default filled in by Value.Default: the optional fields are all there.
  const c = filled as GroupConfigInput;
  const faults = c.testing!.faults!;
  if (faults.length > 0 && !(options.allowFaults ?? faultsAllowed())) throw new FaultsDisabledError(faults);
  return {
    name: c.name!,
    servers: c.servers.map(
      (s): ServerConfig => ({
        name: s.name,
        ports: s.ports!.map((p) => ({ name: p.name, roles: p.roles, targetOnly: p.targetOnly!, unixSocket: p.unixSocket! })),
        autoRestartAttempts: s.autoRestartAttempts!,
        ups: s.ups!,
        cache: { mode: s.cache!.mode!, sizeMiB: s.cache!.sizeMiB! },
        pool: { backend: options.backend ?? s.pool!.backend! },
      }),
    ),
    hosts: c.hosts,
    virtualDisks: c.virtualDisks.map(
      (v): VirtualDiskConfig =>
        v.kind === 'single'
          ? { name: v.name, kind: 'single', server: v.server!, sizeMiB: v.sizeMiB! }
          : { name: v.name, kind: 'mirrored', copies: [v.copies![0]!, v.copies![1]!], sizeMiB: v.sizeMiB! },
    ),
    autoRestartWindowSeconds: c.autoRestartWindowSeconds!,
    mirror: { heartbeatMs: c.mirror!.heartbeatMs!, deadAfterMs: c.mirror!.deadAfterMs! },
    recoveryMiBPerSecond: c.recoveryMiBPerSecond!,
    tuning: {
      destageDelayMs: c.tuning!.destageDelayMs!,
      syncReads: c.tuning!.syncReads!,
      syncWrites: c.tuning!.syncWrites!,
      threadPoolSize: c.tuning!.threadPoolSize!,
    },
    testing: { faults: [...faults], powerLoss: c.testing!.powerLoss! },
  };
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
