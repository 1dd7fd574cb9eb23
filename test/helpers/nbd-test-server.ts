// An in-test NBD server (engine/nbd) over an in-memory device, on 127.0.0.1 port 0 or a Unix
// socket in a temp dir. Registers its own cleanup.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockDevice } from '../../engine/types.js';
import {
  createNbdServer,
  formatNbdUri,
  type NbdAddress,
  type NbdExport,
  type NbdServer,
  type NbdServerEvent,
  type NbdServerOptions,
} from '../../engine/nbd/index.js';
import { createMemoryBlockDevice, type MemoryBlockDevice } from './memory-block-device.js';
import type { CleanupStack } from './cleanup-stack.js';
import { createServer } from 'node:net';

/** A running test server. */
export interface TestNbdServer {
  readonly server: NbdServer;
  readonly address: NbdAddress;
  /** The device behind export 'disk' (and the default export ''). */
  readonly device: MemoryBlockDevice;
  /** Events the server reported, in order. */
  readonly events: NbdServerEvent[];
  /** Exports by name (tests may add and remove entries). */
  readonly exports: Map<string, NbdExport>;
  /** URI of an export. */
  uri(exportName?: string): string;
  /** Target for RawNbdClient / the host client. */
  readonly target: { host: string; port: number } | { path: string };
}

/** Options of a test server. */
export interface TestServerOptions extends Partial<Omit<NbdServerOptions, 'exports' | 'listExports' | 'onEvent'>> {
  /** Device size (default 1 MiB). */
  size?: number;
  /** Listen on a Unix socket in a temp dir instead of TCP. */
  unix?: boolean;
  /** Extra export settings for 'disk'. */
  disk?: Partial<NbdExport>;
  /** Serve this device instead of a new memory device. */
  device?: BlockDevice;
}

/** Starts a server exporting 'disk' (also the default export ''). */
export async function startTestServer(cleanup: CleanupStack, options: TestServerOptions = {}): Promise<TestNbdServer> {
  const { size = 1024 * 1024, unix = false, disk = {}, device: custom, ...serverOptions } = options;
  const device = createMemoryBlockDevice(size);
  const served: BlockDevice = custom ?? device;
  const exports = new Map<string, NbdExport>();
  exports.set('disk', { device: served, canMultiConn: true, ...disk });
  const events: NbdServerEvent[] = [];
  const server = createNbdServer({
    ...serverOptions,
    exports: (name) => exports.get(name === '' ? 'disk' : name),
    listExports: () => [...exports.keys()],
    onEvent: (e) => events.push(e),
  });
  let target: TestNbdServer['target'];
  let address: NbdAddress;
  if (unix) {
    const dir = cleanup.add(mkdtempSync(join(tmpdir(), 'sanspec-nbd-')), (d) => rmSync(d, { recursive: true, force: true }));
    const path = join(dir, 'nbd.sock');
    address = await server.listen({ path });
    target = { path };
  } else {
    address = await server.listen({ host: '127.0.0.1', port: 0 });
    if (address.kind !== 'tcp') throw new Error('expected a TCP address');
    target = { host: address.host, port: address.port };
  }
  cleanup.add(server, (s) => s.close());
  return { server, address, device, events, exports, target, uri: (name = 'disk') => formatNbdUri(address, name) };
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago): a connection to it is refused. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const address = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  if (address === null || typeof address !== 'object') throw new Error('no port');
  return address.port;
}
