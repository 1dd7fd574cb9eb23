// A host's block device over one path only: a single NBD connection to one server's export, for
// probes of what that path's ALUA state claims (an unavailable path must refuse I/O, an active
// one must serve it). No retries: a refused connection or request is the answer.

import { connect } from '../../harness/host/index.js';
import type { DeviceOptions, HostDevice } from '../types.js';
import type { NbdPath } from './multipath-device.js';

/** Connects to `path`; rejects with the NBD client's error (code, outcome 'fail') when the server does not serve it. */
export async function openPathDevice(path: NbdPath, options: DeviceOptions): Promise<HostDevice> {
  const client = await connect({ uri: path.uri, timeoutMs: options.ioTimeoutMs });
  return {
    size: client.size,
    activePath: path.name,
    read: (offset, length) => client.read(offset, length),
    write: (offset, data, opts) => client.write(offset, data, { fua: opts?.fua === true }),
    flush: () => client.flush(),
    close: () => client.disconnect().catch(() => client.destroy()),
  };
}
