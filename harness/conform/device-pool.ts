// The host devices of a path: one multipath device per host and disk, opened on first use and kept
// while the disk stays accessible. When the model says a disk lost host access its devices are
// closed, so that I/O after access returns starts on a fresh device rather than on one whose paths
// all failed.

import type { DeviceOptions, HostDevice, SystemUnderTest } from '../../adapters/types.js';

/** Cached devices of one path. */
export class DevicePool {
  private readonly open = new Map<string, Promise<HostDevice>>();

  constructor(
    private readonly sut: SystemUnderTest,
    private readonly options: DeviceOptions,
  ) {}

  /** The device of `host` for `vdisk`, opened if needed (a failed open is forgotten, so the next call retries). */
  get(host: string, vdisk: string): Promise<HostDevice> {
    const key = `${host}\n${vdisk}`;
    let device = this.open.get(key);
    if (!device) {
      device = this.sut.device(host, vdisk, this.options);
      this.open.set(key, device);
      device.catch(() => {
        if (this.open.get(key) === device) this.open.delete(key);
      });
    }
    return device;
  }

  /** Closes the devices of `vdisk` (every host). */
  async drop(vdisk: string): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [key, device] of this.open) {
      if (key.split('\n')[1] !== vdisk) continue;
      this.open.delete(key);
      closing.push(closeQuietly(device));
    }
    await Promise.all(closing);
  }

  /** Closes every device. */
  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map(closeQuietly));
  }
}

/** Closes a device that may never have opened; errors are ignored (the system is closed after anyway). */
export async function closeQuietly(device: Promise<HostDevice> | HostDevice): Promise<void> {
  try {
    await (await device).close();
  } catch {
    // Nothing to do: closing a failed device has no effect to check.
  }
}
