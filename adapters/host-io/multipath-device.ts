// A host's block device to a virtual disk over every path the topology gives it, preferred path
// first (PTH-3): the host multipath layer (harness/host) over NBD, failing over within
// `retryForMs` (MIR-2). Used by every adapter whose system serves NBD.

import { openMultipath } from '../../harness/host/index.js';
import type { DeviceOptions, HostDevice } from '../types.js';

/** One path to a disk: a name for the history (the server it leads to) and the NBD URI of the export. */
export interface NbdPath {
  readonly name: string;
  readonly uri: string;
}

/** Opens a multipath device over `paths` (preference order); rejects (MPATH_NO_PATH, outcome fail) when none connects in time. */
export async function openMultipathDevice(paths: readonly NbdPath[], options: DeviceOptions): Promise<HostDevice> {
  const device = await openMultipath({ paths, ioTimeoutMs: options.ioTimeoutMs, retryForMs: options.retryForMs });
  return {
    get size() {
      return device.size;
    },
    get activePath() {
      return device.activePath;
    },
    read: (offset, length) => device.read(offset, length),
    write: (offset, data, opts) => device.write(offset, data, opts),
    flush: () => device.flush(),
    close: () => device.close(),
  };
}
