// The checks a schema cannot make on a group's shape, shared by the engine's group configuration
// (engine/config/load-config.ts) and the models' topology (models/topology.ts): both describe the
// same servers, ports, hosts and virtual disks, so they are refused for the same reasons.

import type { FieldProblem } from './validate.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * What the schema cannot say: names used twice, a server without a front-end port, Target Only on
 * a port that cannot be, disks naming servers that do not exist. Reads the input defensively: it
 * runs on invalid input too, so that one pass reports every problem.
 */
export function groupShapeProblems(input: unknown): FieldProblem[] {
  if (!isObj(input)) return [];
  const problems: FieldProblem[] = [];
  const bad = (field: string, problem: string) => problems.push({ field, problem });
  const names = new Set<string>();
  const unique = (field: string, name: unknown) => {
    if (typeof name !== 'string') return;
    if (names.has(name)) bad(field, `name ${JSON.stringify(name)} is used twice`);
    names.add(name);
  };
  const servers = new Set<string>();
  list(input.servers).forEach((s, i) => {
    if (!isObj(s)) return;
    unique(`servers[${i}].name`, s.name);
    if (typeof s.name === 'string') servers.add(s.name);
    const portNames = new Set<string>();
    list(s.ports).forEach((p, j) => {
      if (!isObj(p)) return;
      if (typeof p.name === 'string' && portNames.has(p.name)) bad(`servers[${i}].ports[${j}].name`, `port ${p.name} is used twice`);
      if (typeof p.name === 'string') portNames.add(p.name);
      const roles = list(p.roles);
      if (p.targetOnly === true && (!roles.includes('mirror') || roles.includes('backEnd')))
        bad(`servers[${i}].ports[${j}].targetOnly`, 'only a mirror port without the back-end role can be set to Target Only');
    });
    if (Array.isArray(s.ports) && !s.ports.some((p) => isObj(p) && list(p.roles).includes('frontEnd')))
      bad(`servers[${i}].ports`, 'needs a port with the frontEnd role; hosts could not reach the server');
  });
  list(input.hosts).forEach((h, i) => {
    unique(`hosts[${i}]`, h);
  });
  const server = (field: string, s: unknown) => {
    if (typeof s === 'string' && !servers.has(s)) bad(field, `no server named ${JSON.stringify(s)}`);
  };
  list(input.virtualDisks).forEach((v, i) => {
    if (!isObj(v)) return;
    const f = `virtualDisks[${i}]`;
    unique(`${f}.name`, v.name);
    if (v.kind === 'single') {
      if (v.server === undefined) bad(`${f}.server`, 'a single virtual disk names the server that holds it');
      server(`${f}.server`, v.server);
      if (v.copies !== undefined) bad(`${f}.copies`, 'only a mirrored virtual disk has copies');
    } else if (v.kind === 'mirrored') {
      if (v.server !== undefined) bad(`${f}.server`, 'a mirrored virtual disk has copies, not a server');
      if (!Array.isArray(v.copies) || v.copies.length !== 2) {
        bad(`${f}.copies`, 'a mirrored virtual disk has exactly two copies: ["preferred server", "other server"]');
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
