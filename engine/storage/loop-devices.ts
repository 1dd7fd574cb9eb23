// Loop devices through util-linux `losetup`: check support, attach, detach, and find the devices
// whose backing files live under a directory (what the supervisor detaches after a server
// process crashed, so nothing stays attached).

import { access, readFile, realpath } from 'node:fs/promises';
import { resolve as resolvePath, sep } from 'node:path';
import { runTool, type ToolResult } from './run-tool.js';
import { StorageError } from './storage-error.js';
import type { LoopDeviceInfo, StorageErrorCode } from './types.js';

/** Whether loop devices can be used here, and if not why. */
export type LoopSupport = { ok: true } | { ok: false; code: StorageErrorCode; reason: string };

/** A freshly attached loop device. */
export interface AttachedLoopDevice {
  /** Device node, e.g. `/dev/loop3`. */
  device: string;
  /** The kernel does direct I/O to the backing file (sysfs `loop/dio`). */
  directIo: boolean;
  /** Why direct I/O is off, when it was asked for and refused; null otherwise. */
  directIoRefusal: string | null;
}

/**
 * Checks the preconditions of the loop backend: Linux, root, `losetup` installed, loop support.
 * Never throws.
 */
export async function checkLoopSupport(): Promise<LoopSupport> {
  if (process.platform !== 'linux') {
    return { ok: false, code: 'STORAGE_LOOP_UNSUPPORTED', reason: `loop devices need Linux, this is ${process.platform}` };
  }
  if (process.getuid?.() !== 0) {
    return {
      ok: false,
      code: 'STORAGE_NOT_ROOT',
      reason: `loop devices need root (running as uid ${process.getuid?.() ?? '?'}); run as root or use the file backend`,
    };
  }
  const version = await runTool('losetup', ['--version']);
  if (!version.ok && version.missing) {
    return {
      ok: false,
      code: 'STORAGE_LOSETUP_MISSING',
      reason: 'losetup is not installed; install util-linux (Debian: apt-get install util-linux) or use the file backend',
    };
  }
  const control = await access('/dev/loop-control').then(
    () => true,
    () => false,
  );
  const loop0 = await access('/dev/loop0').then(
    () => true,
    () => false,
  );
  if (!control && !loop0) {
    return {
      ok: false,
      code: 'STORAGE_LOOP_UNSUPPORTED',
      reason:
        'neither /dev/loop-control nor /dev/loop0 exists; load the loop module (modprobe loop) or, in a container, pass the loop devices in',
    };
  }
  return { ok: true };
}

/** Throws the reason of `checkLoopSupport` as a StorageError. */
export async function requireLoopSupport(): Promise<void> {
  const support = await checkLoopSupport();
  if (!support.ok) throw new StorageError(support.code, support.reason);
}

/**
 * Attaches `file` to a free loop device, with direct I/O to the file when `directIo` (falling back
 * to buffered I/O only if losetup refuses it; `directIoRefusal` then says why). Refuses a file
 * that is already attached. If losetup fails after all, any device it left attached to `file` is
 * detached before the error is thrown.
 */
export async function attachLoopDevice(file: string, options: { directIo: boolean }): Promise<AttachedLoopDevice> {
  await requireLoopSupport();
  const backingFile = await realpath(file);
  const before = await devicesOf(backingFile);
  if (before.length > 0) {
    throw new StorageError(
      'STORAGE_ALREADY_ATTACHED',
      `${backingFile} is already attached to ${before.map((d) => d.device).join(', ')}; ` +
        'detach it first (losetup -d, or detachLoopDevices on its directory)',
    );
  }
  let directIoRefusal: string | null = null;
  let result = await losetup(options.directIo ? ['-f', '--show', '--direct-io=on', backingFile] : ['-f', '--show', backingFile]);
  if (!result.ok && options.directIo && classify(result) === 'STORAGE_LOSETUP_FAILED') {
    await detachLeftovers(backingFile, before);
    directIoRefusal = result.message;
    result = await losetup(['-f', '--show', backingFile]);
  }
  if (!result.ok) {
    await detachLeftovers(backingFile, before);
    throw new StorageError(
      classify(result),
      `cannot attach ${backingFile} to a loop device: ${result.message}; ${advice(classify(result))}`,
    );
  }
  const device = result.stdout.trim();
  try {
    const dio = await readSysfs(device, 'dio');
    const directIo = dio === '1';
    if (options.directIo && !directIo && directIoRefusal === null) {
      directIoRefusal = 'the kernel attached the device without direct I/O (sysfs loop/dio is 0)';
    }
    return { device, directIo, directIoRefusal };
  } catch (error) {
    await detachLoopDevice(device).catch(() => undefined);
    throw error;
  }
}

/** Detaches one loop device (`losetup -d`). A device that is already gone is not an error. */
export async function detachLoopDevice(device: string): Promise<void> {
  const result = await losetup(['-d', device]);
  if (result.ok) return;
  if (/No such device|No such file|not a block device|is not a loop device|failed to use device/i.test(result.message)) {
    const still = (await listAllLoopDevices()).some((d) => d.device === device);
    if (!still) return;
  }
  throw new StorageError(classify(result), `cannot detach ${device}: ${result.message}; ${advice(classify(result))}`);
}

/**
 * Lists the loop devices whose backing file lies under `directory` (at any depth), including
 * devices whose backing file was deleted.
 */
export async function listLoopDevices(directory: string): Promise<LoopDeviceInfo[]> {
  const roots = new Set<string>([resolvePath(directory)]);
  roots.add(await realpath(directory).catch(() => resolvePath(directory)));
  const prefixes = [...roots].map((r) => (r.endsWith(sep) ? r : r + sep));
  return (await listAllLoopDevices()).filter((d) => prefixes.some((p) => d.backingFile.startsWith(p)));
}

/**
 * Detaches every loop device whose backing file lies under `directory`; returns the devices
 * detached. Used by the storage server's supervisor after a server process died (SIGKILL), and
 * by tests. Tries every device and throws the first failure afterwards.
 */
export async function detachLoopDevices(directory: string): Promise<string[]> {
  const detached: string[] = [];
  let firstError: unknown = null;
  for (const { device } of await listLoopDevices(directory)) {
    try {
      await detachLoopDevice(device);
      detached.push(device);
    } catch (error) {
      firstError ??= error;
    }
  }
  if (firstError !== null) throw firstError;
  return detached;
}

/** Every attached loop device, from `losetup --list --json`. */
export async function listAllLoopDevices(): Promise<LoopDeviceInfo[]> {
  const result = await losetup(['--list', '--json', '--output', 'NAME,BACK-FILE']);
  if (!result.ok) {
    throw new StorageError(classify(result), `cannot list loop devices: ${result.message}; ${advice(classify(result))}`);
  }
  const text = result.stdout.trim();
  if (text === '') return [];
  const parsed = JSON.parse(text) as { loopdevices?: Array<{ name?: unknown; 'back-file'?: unknown }> };
  const devices: LoopDeviceInfo[] = [];
  for (const entry of parsed.loopdevices ?? []) {
    if (typeof entry.name !== 'string' || typeof entry['back-file'] !== 'string') continue;
    const raw = entry['back-file'];
    const deleted = raw.endsWith(' (deleted)');
    devices.push({ device: entry.name, backingFile: deleted ? raw.slice(0, -' (deleted)'.length) : raw, deleted });
  }
  return devices;
}

async function devicesOf(backingFile: string): Promise<LoopDeviceInfo[]> {
  return (await listAllLoopDevices()).filter((d) => d.backingFile === backingFile);
}

/** Detaches devices attached to `backingFile` that were not there `before` (a half-failed attach). */
async function detachLeftovers(backingFile: string, before: readonly LoopDeviceInfo[]): Promise<void> {
  const known = new Set(before.map((d) => d.device));
  for (const d of await devicesOf(backingFile).catch(() => [])) {
    if (!known.has(d.device)) await detachLoopDevice(d.device).catch(() => undefined);
  }
}

async function readSysfs(device: string, attribute: string): Promise<string> {
  const name = device.slice(device.lastIndexOf('/') + 1);
  return (await readFile(`/sys/block/${name}/loop/${attribute}`, 'utf8')).trim();
}

async function losetup(args: readonly string[]): Promise<ToolResult> {
  const result = await runTool('losetup', args);
  if (!result.ok && result.missing) {
    throw new StorageError('STORAGE_LOSETUP_MISSING', `losetup is not installed; ${advice('STORAGE_LOSETUP_MISSING')}`);
  }
  return result;
}

function classify(result: ToolResult): StorageErrorCode {
  if (result.ok) return 'STORAGE_LOSETUP_FAILED';
  if (result.missing) return 'STORAGE_LOSETUP_MISSING';
  const message = result.message;
  if (/cannot find an unused loop device|could not find any free loop device|No free loop/i.test(message)) {
    return 'STORAGE_NO_FREE_LOOP';
  }
  if (/Permission denied|Operation not permitted/i.test(message)) return 'STORAGE_NOT_ROOT';
  return 'STORAGE_LOSETUP_FAILED';
}

function advice(code: StorageErrorCode): string {
  switch (code) {
    case 'STORAGE_NO_FREE_LOOP':
      return 'detach unused devices (losetup -a lists them, losetup -d DEVICE detaches one) or raise max_loop';
    case 'STORAGE_NOT_ROOT':
      return 'run as root (CAP_SYS_ADMIN) or use the file backend';
    case 'STORAGE_LOSETUP_MISSING':
      return 'install util-linux (Debian: apt-get install util-linux) or use the file backend';
    default:
      return 'see the losetup message above';
  }
}
