import type { Code } from '../contracts/codes.js';
import { type FieldProblem, formatProblems, schemaProblems } from '../contracts/validate.js';
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

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * What the schema cannot say: names used twice, a server without a front-end port, Target Only
 * on a port that cannot be, disks naming servers that do not exist. Reads the input defensively:
 * it runs on invalid input too, so that one pass reports every problem.
 */
function semanticProblems(t: Obj): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const bad = (field: string, problem: string) => problems.push({ field, problem });
  const names = new Set<string>();
  const unique = (field: string, name: unknown) => {
    if (typeof name !== 'string') return;
    if (names.has(name)) bad(field, `name ${JSON.stringify(name)} is used twice`);
    names.add(name);
  };
  const servers = new Set<string>();
  list(t.servers).forEach((s, i) => {
    if (!isObj(s)) return;
    unique(`servers[${i}].name`, s.name);
    if (typeof s.name === 'string') servers.add(s.name);
    const ports = new Set<string>();
    list(s.ports).forEach((p, j) => {
      if (!isObj(p)) return;
      if (typeof p.name === 'string' && ports.has(p.name))
        bad(`servers[${i}].ports[${j}].name`, `port ${p.name} is used twice on ${String(s.name)}`);
      if (typeof p.name === 'string') ports.add(p.name);
      const roles = list(p.roles);
      if (p.targetOnly === true && (!roles.includes('mirror') || roles.includes('backEnd'))) {
        bad(`servers[${i}].ports[${j}].targetOnly`, 'only a mirror port without the back-end role can be set to Target Only');
      }
    });
    if (Array.isArray(s.ports) && !s.ports.some((p) => isObj(p) && list(p.roles).includes('frontEnd'))) {
      bad(`servers[${i}].ports`, `server ${String(s.name)} has no front-end port; hosts could not reach it`);
    }
  });
  list(t.hosts).forEach((h, i) => {
    unique(`hosts[${i}]`, h);
  });
  const server = (field: string, s: unknown) => {
    if (typeof s === 'string' && !servers.has(s)) bad(field, `no server named ${JSON.stringify(s)}`);
  };
  list(t.virtualDisks).forEach((v, i) => {
    if (!isObj(v)) return;
    const f = `virtualDisks[${i}]`;
    unique(`${f}.name`, v.name);
    if (v.kind === 'single') {
      if (v.server === undefined) bad(`${f}.server`, 'a single virtual disk names the server that holds it');
      server(`${f}.server`, v.server);
    } else if (v.kind === 'mirrored') {
      if (!Array.isArray(v.copies) || v.copies.length !== 2) {
        bad(`${f}.copies`, 'a mirrored virtual disk has exactly two copies');
      } else {
        v.copies.forEach((c, j) => {
          server(`${f}.copies[${j}]`, c);
        });
        if (v.copies[0] === v.copies[1]) bad(`${f}.copies`, 'the two copies must be on different servers');
      }
    }
  });
  return problems;
}

/** Checks a topology (a Topology, or anything read from a JSON file); returns every problem found (empty when valid). */
export function topologyProblems(t: unknown): TopologyProblem[] {
  const problems = schemaProblems(TopologySchema, t);
  const known = new Set(problems.map((p) => p.field));
  for (const p of isObj(t) ? semanticProblems(t) : []) if (!known.has(p.field)) problems.push(p);
  return problems;
}

/** Throws a TopologyError naming every problem unless the topology is valid. */
export function assertTopology(t: unknown): Topology {
  const problems = topologyProblems(t);
  if (problems.length > 0) throw new TopologyError(problems);
  return t as Topology;
}
