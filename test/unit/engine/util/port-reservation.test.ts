// A server listens on the same TCP ports at every power-on and start, so the ports a group is
// given must stay free for it between a crash and the next power-on. (No SPEC ID: PRT-* is about
// a port's mode and enabled flag, not the TCP listener port behind it.)
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ephemeralRange, portRange, releasePorts, reservePorts } from '../../../../engine/util/port-reservation.js';

let root: string;
let registry: string;
const listeners: Server[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'sanspec-ports-test-'));
  registry = join(root, 'registry');
});
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((s) => new Promise((r) => s.close(r))));
  rmSync(root, { recursive: true, force: true });
});

/** A group directory whose ports.json lists the given ports, as `sanspec group up` writes it. */
function groupDir(name: string, ports: number[] = []): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'ports.json'),
    JSON.stringify({ s1: { management: ports[0], ports: Object.fromEntries(ports.slice(1).map((p, i) => [`p${i}`, p])) } }),
  );
  return dir;
}

/** A free 16-port range outside the ephemeral range, found by probing (the test needs a small range). */
async function smallRange(): Promise<[number, number]> {
  const [lo, hi] = portRange();
  for (let tries = 0; tries < 50; tries++) {
    const base = lo + Math.floor(Math.random() * (hi - lo - 16));
    const probes = await Promise.all(Array.from({ length: 16 }, (_, i) => listen(base + i).catch(() => undefined)));
    await Promise.all(probes.map((s) => s && new Promise((r) => s.close(r))));
    if (probes.every(Boolean)) return [base, base + 15];
  }
  throw new Error('no free 16-port range found');
}

function listen(port: number): Promise<Server> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => ok(s));
  });
}

describe('port reservation for a group', () => {
  it('chooses distinct free ports outside the ephemeral range, which the kernel never hands to clients', async () => {
    const [elo, ehi] = ephemeralRange();
    const ports = await reservePorts(12, groupDir('g1'), { registry });
    expect(new Set(ports).size).toBe(12);
    for (const p of ports) expect(p < elo || p > ehi).toBe(true);
    // Each is really free: a server can listen on it right away.
    for (const p of ports) listeners.push(await listen(p));
    expect(readdirSync(registry).map(Number).sort()).toEqual([...ports].sort());
  });

  it('two groups reserving at once from the same small range never share a port, and a port in use is skipped', async () => {
    const [lo, hi] = await smallRange();
    listeners.push(await listen(lo), await listen(lo + 1));
    const [a, b] = await Promise.all([
      reservePorts(7, groupDir('a'), { registry, range: [lo, hi] }),
      reservePorts(7, groupDir('b'), { registry, range: [lo, hi] }),
    ]);
    const all = [...a, ...b];
    expect(new Set(all).size).toBe(14);
    expect(all).not.toContain(lo);
    expect(all).not.toContain(lo + 1);
    // The range is now used up: a third group gets a clear error, and nothing is left reserved for it.
    const c = groupDir('c');
    await expect(reservePorts(1, c, { registry, range: [lo, hi] })).rejects.toMatchObject({ code: 'ENGINE_NO_FREE_PORTS' });
    expect(await releasePorts(c, { registry })).toEqual([]);
  });

  it('a port stays reserved while its group lists it, even with nothing listening on it, until the group releases it', async () => {
    const [lo] = await smallRange();
    const range: [number, number] = [lo, lo + 15];
    const a = groupDir('a');
    const ports = await reservePorts(16, a, { registry, range });
    groupDir('a', ports); // ports.json written, no server running (all crashed)
    for (const f of readdirSync(registry)) utimesSync(join(registry, f), new Date(0), new Date(0)); // long ago
    await expect(reservePorts(1, groupDir('b'), { registry, range })).rejects.toMatchObject({ code: 'ENGINE_NO_FREE_PORTS' });
    expect(await releasePorts(a, { registry })).toEqual([...ports].sort((x, y) => x - y));
    expect(await reservePorts(16, groupDir('b'), { registry, range })).toHaveLength(16);
  });

  it('a new group can take over the ports of a group that is gone, but not fresh ones whose group is still being written', async () => {
    const [lo] = await smallRange();
    const range: [number, number] = [lo, lo + 15];
    const gone = groupDir('gone');
    await reservePorts(16, gone, { registry, range });
    rmSync(gone, { recursive: true }); // removed without `group down`
    // Fresh reservations are respected (their owner may not have written ports.json yet).
    await expect(reservePorts(1, groupDir('b'), { registry, range })).rejects.toMatchObject({ code: 'ENGINE_NO_FREE_PORTS' });
    for (const f of readdirSync(registry)) utimesSync(join(registry, f), new Date(0), new Date(0));
    expect(await reservePorts(16, groupDir('b'), { registry, range })).toHaveLength(16);
  });

  it('SANSPEC_PORT_RANGE chooses the range the listeners use; a bad one is refused with a stable code', () => {
    expect(portRange('20000-20999')).toEqual([20000, 20999]);
    for (const bad of ['80-90', '20000-20001', 'x', '30000-70000']) {
      expect(() => portRange(bad)).toThrow(expect.objectContaining({ code: 'ENGINE_BAD_PORT_RANGE' }));
    }
  });
});
