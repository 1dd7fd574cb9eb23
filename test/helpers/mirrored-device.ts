// The host's view of a mirrored disk in an engine group: one multipath device over both copies'
// front-end ports, the preferred server (s1) first (PTH-3). Used by the failover tests and the
// mirroring benchmark; imports no vitest so that bench/ may use it.
import { type MultipathDevice, type MultipathOptions, openMultipath } from '../../harness/host/index.js';

/** A group that can name a disk's NBD URI on a server (test/helpers/engine-group.ts, bench/). */
export interface HasDiskUris {
  uri(vdisk: string, server: string): string;
}

/** Options of the device; `paths` is made from `vdisk` (default m1) on `servers` (default s1, s2). */
export type MirroredDeviceOptions = Partial<Omit<MultipathOptions, 'paths'>> & {
  vdisk?: string;
  servers?: readonly [string, string];
};

/** Opens the two-path device of a mirrored disk (I/O timeout 3 s unless given). */
export function openMirroredDevice(group: HasDiskUris, options: MirroredDeviceOptions = {}): Promise<MultipathDevice> {
  const { vdisk = 'm1', servers = ['s1', 's2'], ...rest } = options;
  return openMultipath({
    paths: servers.map((name) => ({ name, uri: group.uri(vdisk, name) })),
    ioTimeoutMs: 3000,
    ...rest,
  });
}
