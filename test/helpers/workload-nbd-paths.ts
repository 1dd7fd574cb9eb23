// In-process NBD "path servers" for multipath tests: several engine NBD servers (engine/nbd) on
// 127.0.0.1, one per path, all serving export 'disk' over one shared memory device (a mirrored
// disk seen from the host: every path reaches the same data). Each can be stopped (connections
// refused), crashed (connections dropped), started again on the same port, or told to refuse the
// export like an engine copy that must not serve hosts (handshake NBD_REP_ERR_UNKNOWN, EIO on
// existing connections); per-path faults (errors, held requests) are injected in front of the
// shared device. Registers its cleanup.

import { BlockError, type BlockDevice, type BlockErrorCode, type WriteOptions } from '../../engine/types.js';
import { createNbdServer, type NbdServer, type NbdServerEvent } from '../../engine/nbd/index.js';
import { createMemoryBlockDevice, type MemoryBlockDevice } from './memory-block-device.js';
import type { CleanupStack } from './cleanup-stack.js';

type PathOp = 'read' | 'write' | 'flush';

/** One path's server. */
export interface PathServer {
  readonly name: string;
  /** nbd://127.0.0.1:PORT/disk (the port stays the same across stop and start). */
  readonly uri: string;
  /** Device requests that arrived through this path, in order. */
  readonly ops: Array<{ readonly op: PathOp; readonly offset: number; readonly length: number }>;
  /** Server events (connections opened, closed), across restarts. */
  readonly events: NbdServerEvent[];
  /** Requests of this path at the device and not finished. */
  readonly pending: number;
  /** Graceful stop: in-flight requests answered, later ones ESHUTDOWN, new connections refused. */
  stop(): Promise<void>;
  /** Crash: every connection dropped at once, new connections refused. */
  crash(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /** Like an engine copy that must not serve: the export is refused at handshake, requests get EIO. */
  refuseExport(): void;
  /** Serves the export again. */
  serveExport(): void;
  /** The next `count` requests of `op` through this path fail with `code` (not applied). */
  failNext(op: PathOp, code: BlockErrorCode, count?: number): void;
  /** Holds requests of `op` through this path until the returned release is called. */
  hold(op: PathOp): () => void;
}

/** Starts one path server per name over one shared memory device of `size` bytes (default 1 MiB). */
export async function startPathServers(
  cleanup: CleanupStack,
  names: readonly string[],
  size = 1024 * 1024,
): Promise<{ device: MemoryBlockDevice; paths: PathServer[] }> {
  const device = createMemoryBlockDevice(size);
  const paths: PathServer[] = [];
  for (const name of names) paths.push(await startPathServer(cleanup, name, device));
  return { device, paths };
}

async function startPathServer(cleanup: CleanupStack, name: string, shared: BlockDevice): Promise<PathServer> {
  const ops: PathServer['ops'] = [];
  const events: NbdServerEvent[] = [];
  const failures = new Map<PathOp, { code: BlockErrorCode; count: number }>();
  const holds = new Map<PathOp, Promise<void>>();
  let refusing = false;
  let pending = 0;

  async function gate<T>(op: PathOp, offset: number, length: number, body: () => Promise<T>): Promise<T> {
    ops.push({ op, offset, length });
    pending += 1;
    try {
      const held = holds.get(op);
      if (held !== undefined) await held;
      if (refusing) throw new BlockError('EIO', `${name}: this copy does not serve hosts now`);
      const f = failures.get(op);
      if (f !== undefined && f.count > 0) {
        f.count -= 1;
        if (f.count === 0) failures.delete(op);
        throw new BlockError(f.code, `${name}: injected ${f.code} on ${op}`);
      }
      return await body();
    } finally {
      pending -= 1;
    }
  }

  const device: BlockDevice = {
    size: shared.size,
    read: (offset, length) => gate('read', offset, length, () => shared.read(offset, length)),
    write: (offset, data, options: WriteOptions) => gate('write', offset, data.length, () => shared.write(offset, data, options)),
    flush: () => gate('flush', 0, 0, () => shared.flush()),
    trim: (offset, length, options) => shared.trim(offset, length, options),
    writeZeroes: (offset, length, options) => shared.writeZeroes(offset, length, options),
  };

  const create = (): NbdServer =>
    createNbdServer({
      exports: (exportName) => (!refusing && (exportName === 'disk' || exportName === '') ? { device, canMultiConn: true } : undefined),
      onEvent: (e) => events.push(e),
    });

  let server = create();
  let running = true;
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  if (address.kind !== 'tcp') throw new Error('expected a TCP address');
  const port = address.port;
  cleanup.add(null, async () => {
    if (running) await server.close();
  });
  const releases: Array<() => void> = [];
  cleanup.add(null, () => {
    for (const r of releases) r();
  });

  return {
    name,
    uri: `nbd://127.0.0.1:${port}/disk`,
    ops,
    events,
    get pending() {
      return pending;
    },
    async stop() {
      running = false;
      await server.shutdown({ graceMs: 1000 });
    },
    async crash() {
      running = false;
      await server.close();
    },
    async start() {
      if (running) throw new Error(`${name} is already running`);
      server = create();
      await server.listen({ host: '127.0.0.1', port });
      running = true;
    },
    refuseExport() {
      refusing = true;
    },
    serveExport() {
      refusing = false;
    },
    failNext(op, code, count = 1) {
      failures.set(op, { code, count });
    },
    hold(op) {
      let release!: () => void;
      holds.set(op, new Promise<void>((resolve) => (release = resolve)));
      const done = () => {
        holds.delete(op);
        release();
      };
      releases.push(done);
      return done;
    },
  };
}
