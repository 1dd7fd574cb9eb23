// TCP ports for a group's listeners that stay theirs for the group's whole life.
//
// A server listens on the same ports each time it is powered on, and between a crash and the
// next power-on nothing holds them. A port the kernel hands out (listen on port 0, or the local
// end of any outgoing connection) comes from the ephemeral range, so any client on the machine
// may take it in that gap and the power-on then fails with EADDRINUSE. Ports are therefore
// chosen outside the ephemeral range, and each is recorded in a machine-wide registry (one file
// per port, created exclusively) so that two groups never choose the same one.
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where reservations live: one file per port, holding the owner's group directory. */
export const defaultRegistry = (): string => process.env.SANSPEC_PORT_REGISTRY ?? join(tmpdir(), 'sanspec-ports');

/** A reservation younger than this is never taken over: its owner may still be writing ports.json. */
const GRACE_MS = 60_000;

interface Reservation {
  owner: string;
  pid: number;
  at: string;
}

/** The kernel's ephemeral port range (Linux), or the IANA one elsewhere. */
export function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi && lo <= hi) return [lo, hi];
  } catch {
    // not Linux
  }
  return [49152, 65535];
}

/**
 * The range ports are chosen from, [lo, hi] inclusive: SANSPEC_PORT_RANGE=LO-HI if set, else the
 * larger gap below or above the ephemeral range.
 */
export function portRange(env = process.env.SANSPEC_PORT_RANGE): [number, number] {
  if (env !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(env.trim());
    const lo = Number(m?.[1]);
    const hi = Number(m?.[2]);
    if (!m || lo < 1024 || hi > 65535 || hi - lo < 15) {
      throw Object.assign(new Error(`SANSPEC_PORT_RANGE must be LO-HI with 1024 <= LO, HI <= 65535 and at least 16 ports (got ${env})`), {
        code: 'ENGINE_BAD_PORT_RANGE',
      });
    }
    return [lo, hi];
  }
  const [elo, ehi] = ephemeralRange();
  const below: [number, number] = [Math.max(1024, Math.min(10_000, elo - 1000)), elo - 1];
  const above: [number, number] = [ehi + 1, 65535];
  return below[1] - below[0] >= above[1] - above[0] ? below : above;
}

/** Whether nothing listens on 127.0.0.1:port; the probe is returned open so it keeps the port. */
function probe(port: number): Promise<Server | undefined> {
  return new Promise((ok) => {
    const s = createServer();
    s.once('error', () => ok(undefined));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => ok(s));
  });
}

async function readReservation(file: string): Promise<Reservation | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Reservation;
  } catch {
    return undefined;
  }
}

/** Every number anywhere in a JSON value (ports.json: server -> management and port numbers). */
function numbersIn(value: unknown): number[] {
  if (typeof value === 'number') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(numbersIn);
  return [];
}

/** A reservation whose owner no longer lists the port in its ports.json (and is past its grace). */
async function stale(file: string, port: number): Promise<boolean> {
  const r = await readReservation(file);
  const age = Date.now() - (await stat(file).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
  if (age < GRACE_MS) return false;
  if (!r) return true;
  const portsFile = join(r.owner, 'ports.json');
  if (!existsSync(portsFile)) return true;
  try {
    return !numbersIn(JSON.parse(readFileSync(portsFile, 'utf8'))).includes(port);
  } catch {
    return false; // being rewritten: assume it is still in use
  }
}

/** Creates the reservation file for port, taking over a stale one. False if someone holds it. */
async function claim(registry: string, port: number, owner: string): Promise<boolean> {
  const file = join(registry, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(file, 'wx', 0o644);
      await fh.writeFile(JSON.stringify({ owner, pid: process.pid, at: new Date().toISOString() } satisfies Reservation));
      await fh.close();
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (attempt > 0 || !(await stale(file, port))) return false;
      await unlink(file).catch(() => {});
    }
  }
  return false;
}

export interface ReserveOptions {
  /** The registry directory (default: SANSPEC_PORT_REGISTRY or TMPDIR/sanspec-ports). */
  registry?: string;
  /** The range to choose from, inclusive (default: portRange()). */
  range?: [number, number];
}

/**
 * Reserves n distinct free ports on 127.0.0.1 for the group in `owner` (its directory): each is
 * outside the ephemeral range, not listened on now, and not reserved by another group.
 */
export async function reservePorts(n: number, owner: string, opts: ReserveOptions = {}): Promise<number[]> {
  const registry = opts.registry ?? defaultRegistry();
  const [lo, hi] = opts.range ?? portRange();
  const who = resolve(owner);
  await mkdir(registry, { recursive: true });
  await chmod(registry, 0o1777).catch(() => {}); // shared by every user's groups, like /tmp (umask would narrow mkdir's mode)
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    const size = hi - lo + 1;
    for (let tries = 0; ports.length < n; tries++) {
      if (tries > Math.max(200, 4 * size)) {
        throw Object.assign(
          new Error(`found only ${ports.length} of ${n} free ports in ${lo}-${hi}; set SANSPEC_PORT_RANGE to a wider free range`),
          {
            code: 'ENGINE_NO_FREE_PORTS',
          },
        );
      }
      const port = lo + Math.floor(Math.random() * size);
      if (ports.includes(port)) continue;
      if (!(await claim(registry, port, who))) continue;
      const s = await probe(port);
      if (!s) {
        await unlink(join(registry, String(port))).catch(() => {});
        continue;
      }
      held.push(s);
      ports.push(port);
    }
    return ports;
  } catch (error) {
    await Promise.all(ports.map((p) => unlink(join(registry, String(p))).catch(() => {})));
    throw error;
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
}

/** Releases every port reserved for the group in `owner`. Returns the ports released. */
export async function releasePorts(owner: string, opts: Pick<ReserveOptions, 'registry'> = {}): Promise<number[]> {
  const registry = opts.registry ?? defaultRegistry();
  const who = resolve(owner);
  const released: number[] = [];
  for (const name of existsSync(registry) ? await readdir(registry) : []) {
    if (!/^\d+$/.test(name)) continue;
    const file = join(registry, name);
    if ((await readReservation(file))?.owner !== who) continue;
    await unlink(file).catch(() => {});
    released.push(Number(name));
  }
  return released.sort((a, b) => a - b);
}
