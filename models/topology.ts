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

/** Named topologies the CLI accepts. */
export const namedTopologies: Record<string, () => Topology> = {
  default: defaultTopology,
  'three-servers': threeServerTopology,
  ups: upsTopology,
  conformance: conformanceTopology,
};

/** A problem found in a topology: where it is and what is wrong. */
export interface TopologyProblem {
  /** JSON path of the offending field, e.g. `servers[1].ports[0].roles`. */
  field: string;
  /** What is wrong with it. */
  problem: string;
}

/** Thrown for an invalid topology; carries every problem found. */
export class TopologyError extends Error {
  readonly code = 'SANSPEC_BAD_TOPOLOGY';
  constructor(readonly problems: TopologyProblem[]) {
    super(`invalid topology:\n${problems.map((p) => `  ${p.field}: ${p.problem}`).join('\n')}`);
  }
}

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Checks a topology; returns every problem found (empty when valid). */
export function topologyProblems(t: Topology): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const bad = (field: string, problem: string) => problems.push({ field, problem });
  const names = new Set<string>();
  const checkName = (field: string, name: unknown) => {
    if (typeof name !== 'string' || !NAME.test(name)) {
      bad(field, `must be a lowercase name of letters, digits and '-' (got ${JSON.stringify(name)})`);
    } else if (names.has(name)) {
      bad(field, `name ${JSON.stringify(name)} is used twice`);
    } else {
      names.add(name);
    }
  };
  if (!Array.isArray(t.servers) || t.servers.length < 2) bad('servers', 'a group needs at least 2 servers');
  const servers = new Set<string>();
  (t.servers ?? []).forEach((s, i) => {
    checkName(`servers[${i}].name`, s.name);
    servers.add(s.name);
    if (!Number.isInteger(s.autoRestartAttempts) || s.autoRestartAttempts < 0 || s.autoRestartAttempts > 3) {
      bad(`servers[${i}].autoRestartAttempts`, 'must be an integer from 0 to 3');
    }
    const ports = new Set<string>();
    let frontEnds = 0;
    (s.ports ?? []).forEach((p, j) => {
      if (ports.has(p.name)) bad(`servers[${i}].ports[${j}].name`, `port ${p.name} is used twice on ${s.name}`);
      ports.add(p.name);
      if (!Array.isArray(p.roles) || p.roles.length === 0) bad(`servers[${i}].ports[${j}].roles`, 'needs at least one role');
      if (p.roles?.includes('frontEnd')) frontEnds++;
      if (p.targetOnly && (!p.roles?.includes('mirror') || p.roles.includes('backEnd'))) {
        bad(`servers[${i}].ports[${j}].targetOnly`, 'only a mirror port without the back-end role can be set to Target Only');
      }
    });
    if (frontEnds === 0) bad(`servers[${i}].ports`, `server ${s.name} has no front-end port; hosts could not reach it`);
  });
  if (!Array.isArray(t.hosts) || t.hosts.length === 0) bad('hosts', 'needs at least one host');
  (t.hosts ?? []).forEach((h, i) => {
    checkName(`hosts[${i}]`, h);
  });
  (t.virtualDisks ?? []).forEach((v, i) => {
    checkName(`virtualDisks[${i}].name`, v.name);
    if (v.kind === 'single') {
      if (!servers.has(v.server)) bad(`virtualDisks[${i}].server`, `no server named ${JSON.stringify(v.server)}`);
    } else if (v.kind === 'mirrored') {
      if (!Array.isArray(v.copies) || v.copies.length !== 2) {
        bad(`virtualDisks[${i}].copies`, 'a mirrored virtual disk has exactly two copies');
      } else {
        v.copies.forEach((c, j) => {
          if (!servers.has(c)) bad(`virtualDisks[${i}].copies[${j}]`, `no server named ${JSON.stringify(c)}`);
        });
        if (v.copies[0] === v.copies[1]) bad(`virtualDisks[${i}].copies`, 'the two copies must be on different servers');
      }
    } else {
      bad(`virtualDisks[${i}].kind`, `must be "single" or "mirrored" (got ${JSON.stringify((v as { kind: unknown }).kind)})`);
    }
  });
  return problems;
}

/** Throws a TopologyError naming every problem unless the topology is valid. */
export function assertTopology(t: Topology): Topology {
  const problems = topologyProblems(t);
  if (problems.length > 0) throw new TopologyError(problems);
  return t;
}
