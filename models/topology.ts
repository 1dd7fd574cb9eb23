import type { Code } from '../contracts/codes.js';
import { groupShapeProblems } from '../contracts/group-shape.js';
import { type FieldProblem, formatProblems, schemaProblems } from '../contracts/validate.js';
import { symmetryProblems } from './symmetry.js';
import { TopologySchema } from './topology-schema.js';
import type { PortSpec, ServerSpec, Topology } from './types.js';

/** The ports every server has by default: FE, mirror and BE (SPEC.md, default topology). */
export function defaultPorts(): PortSpec[] {
  return [
    { name: 'fe1', roles: ['frontEnd'] },
    { name: 'mr1', roles: ['mirror'] },
    { name: 'be1', roles: ['backEnd'] },
  ];
}

function server(name: string, options: Partial<Omit<ServerSpec, 'name'>> = {}): ServerSpec {
  return { name, ports: defaultPorts(), autoRestartAttempts: 0, ups: false, ...options };
}

/**
 * SPEC.md's default topology: servers s1 and s2, hosts h1 and h2, mirrored virtual disk m1
 * (preferred s1), single virtual disks v1 on s1 and v2 on s2.
 */
export function defaultTopology(): Topology {
  return {
    name: 'default',
    servers: [server('s1'), server('s2')],
    hosts: ['h1', 'h2'],
    virtualDisks: [
      { name: 'm1', kind: 'mirrored', copies: ['s1', 's2'] },
      { name: 'v1', kind: 'single', server: 's1' },
      { name: 'v2', kind: 'single', server: 's2' },
    ],
  };
}

/**
 * Three servers in a chain of mirrors: m1 on s1/s2 and m2 on s2/s3, so that s2 holds copies
 * of two mirrored disks with different partners; s3 allows one automatic restart (SRV-10).
 * One host and no cache-setting changes keep the state space small enough to explore
 * completely in the test suite.
 */
export function threeServerTopology(): Topology {
  return {
    name: 'three-servers',
    servers: [server('s1'), server('s2'), server('s3', { autoRestartAttempts: 1 })],
    hosts: ['h1'],
    virtualDisks: [
      { name: 'm1', kind: 'mirrored', copies: ['s1', 's2'] },
      { name: 'm2', kind: 'mirrored', copies: ['s2', 's3'] },
    ],
    // Cache settings are independent per server and checked in the default topology.
    exclude: ['setCache'],
  };
}

/**
 * Four servers in two mirror pairs: m1 on s1/s2 and m2 on s3/s4, one host. The pairs are
 * interchangeable (the renaming s1<->s3, s2<->s4, m1<->m2 maps the topology onto itself), so the
 * checker explores one state of each pair of mirror-image states (models/symmetry.ts). What it
 * adds to `default`: two mirrors whose servers fail independently, and a site crash that takes
 * both pairs down at once. Cache settings are checked in `default`.
 */
export function fourServerTopology(): Topology {
  return {
    name: 'four-servers',
    servers: [server('s1'), server('s2'), server('s3'), server('s4')],
    hosts: ['h1'],
    virtualDisks: [
      { name: 'm1', kind: 'mirrored', copies: ['s1', 's2'] },
      { name: 'm2', kind: 'mirrored', copies: ['s3', 's4'] },
    ],
    exclude: ['setCache'],
    symmetry: [{ s1: 's3', s3: 's1', s2: 's4', s4: 's2', m1: 'm2', m2: 'm1' }],
  };
}

/**
 * Two servers on UPS power (SRV-13) sharing mirrored virtual disk m1: battery state, write-through
 * on battery and the graceful stop at battery low, with failover, checked together.
 */
export function upsTopology(): Topology {
  return {
    name: 'ups',
    servers: [server('s1', { ups: true }), server('s2', { ups: true })],
    hosts: ['h1'],
    virtualDisks: [{ name: 'm1', kind: 'mirrored', copies: ['s1', 's2'] }],
  };
}

/**
 * The topology conformance runs use by default: SPEC.md's default topology with both servers on
 * UPS power, so that one plan exercises every behaviour of the catalogue, SRV-13 included.
 */
export function conformanceTopology(): Topology {
  const t = defaultTopology();
  return { ...t, name: 'conformance', servers: t.servers.map((s) => ({ ...s, ups: true })) };
}

/**
 * Hosts that disconnect and reconnect (PTH-1), with the record of forced decisions (MIR-11):
 * SPEC.md's default topology without v2 and cache-setting changes (checked in `default`), so that
 * host connections, failover, partitions and site crashes with no host writing are explored
 * together in about a second.
 */
export function hostsTopology(): Topology {
  const t = defaultTopology();
  return {
    ...t,
    name: 'hosts',
    virtualDisks: t.virtualDisks.filter((v) => v.name !== 'v2'),
    exclude: ['setCache'],
    features: ['hostConnections', 'forceRecord'],
  };
}

/**
 * Backend pools that fail and come back (SRV-14), with the record of forced decisions (MIR-11):
 * one host, mirrored m1 and single v1 on s1, without cache-setting changes (checked in `default`).
 */
export function poolsTopology(): Topology {
  const t = defaultTopology();
  return {
    ...t,
    name: 'pools',
    hosts: ['h1'],
    virtualDisks: t.virtualDisks.filter((v) => v.name !== 'v2'),
    exclude: ['setCache'],
    features: ['backendPools', 'forceRecord'],
  };
}

/** Named topologies the CLI accepts. */
export const namedTopologies: Record<string, () => Topology> = {
  default: defaultTopology,
  'three-servers': threeServerTopology,
  'four-servers': fourServerTopology,
  ups: upsTopology,
  conformance: conformanceTopology,
  hosts: hostsTopology,
  pools: poolsTopology,
};

/** A problem found in a topology: where it is (`servers[1].ports[0].roles`) and what is wrong. */
export type TopologyProblem = FieldProblem;

/** Thrown for an invalid topology; carries every problem found. */
export class TopologyError extends Error {
  readonly code = 'SANSPEC_BAD_TOPOLOGY' satisfies Code;
  constructor(readonly problems: TopologyProblem[]) {
    super(`invalid topology:\n${formatProblems(problems)}`);
  }

  /** Evidence for the error shape: every bad field. */
  get details(): { problems: TopologyProblem[] } {
    return { problems: this.problems };
  }
}

/** Checks a topology (a Topology, or anything read from a JSON file); returns every problem found (empty when valid). */
export function topologyProblems(t: unknown): TopologyProblem[] {
  const problems = schemaProblems(TopologySchema, t);
  const known = new Set(problems.map((p) => p.field));
  for (const p of groupShapeProblems(t)) if (!known.has(p.field)) problems.push(p);
  if (problems.length === 0) {
    for (const [i, r] of ((t as Topology).symmetry ?? []).entries()) problems.push(...symmetryProblems(t as Topology, r, i));
  }
  return problems;
}

/** Throws a TopologyError naming every problem unless the topology is valid. */
export function assertTopology(t: unknown): Topology {
  const problems = topologyProblems(t);
  if (problems.length > 0) throw new TopologyError(problems);
  return t as Topology;
}
