// The loop backend against real losetup (needs root). Skips with the reason when loop devices
// cannot be used here; every device a test attaches is detached in afterEach, even on failure.

import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLoopBackend, type LoopBackend } from '../../../engine/storage/loop-backend.js';
import { checkLoopSupport, detachLoopDevices, listAllLoopDevices, listLoopDevices } from '../../../engine/storage/loop-devices.js';
import { openBackend } from '../../../engine/storage/open-backend.js';
import { runTool } from '../../../engine/storage/run-tool.js';
import { WriteBackCache } from '../../../engine/storage/write-back-cache.js';
import { firstDifference, makeTempDir, pattern, removeTempDir } from '../../helpers/storage-fixtures.js';

const MiB = 1024 * 1024;
const PREFIX = 'sanspec-loop-';
const support = await checkLoopSupport();
if (!support.ok) console.warn(`skipping loop backend tests (${support.code}): ${support.reason}`);

describe.skipIf(!support.ok)('loop backend (real losetup)', () => {
  let dir = '';
  const opened: LoopBackend[] = [];

  beforeEach(async () => {
    dir = await makeTempDir(PREFIX);
  });

  afterEach(async () => {
    try {
      for (const backend of opened.splice(0)) await backend.close().catch(() => undefined);
    } finally {
      await detachLoopDevices(dir);
      await removeTempDir(dir);
    }
  });

  afterAll(async () => {
    const all = await runTool('losetup', ['-a']);
    const ours = all.ok ? all.stdout.split('\n').filter((line) => line.includes(join(tmpdir(), PREFIX))) : [];
    expect(ours, 'loop devices of these tests still attached (losetup -a)').toEqual([]);
  });

  async function openLoop(name: string, size: number): Promise<LoopBackend> {
    const backend = await openLoopBackend(join(dir, name), size);
    opened.push(backend);
    return backend;
  }

  it('attaches the backing file to a loop device (direct I/O unless refused), and close detaches it', async () => {
    const backend = await openLoop('disk.img', 16 * MiB);
    expect(backend.location).toMatch(/^\/dev\/loop\d+$/);
    expect(backend.directIo || backend.directIoRefusal !== null).toBe(true);
    expect(await listLoopDevices(dir)).toEqual([{ device: backend.location, backingFile: join(dir, 'disk.img'), deleted: false }]);
    await backend.close();
    await backend.close();
    expect(await listLoopDevices(dir)).toEqual([]);
    expect((await listAllLoopDevices()).some((d) => d.device === backend.location && d.backingFile.startsWith(dir))).toBe(false);
    await expect(backend.read(0, 512)).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
  });

  it('VD-2 data written through the device and synced is in the backing file, and reads back', async () => {
    const backend = await openLoop('disk.img', 16 * MiB);
    const data = pattern(3 * MiB + 4096, 1);
    await backend.write(MiB + 512, data);
    await backend.writev(8 * MiB, [pattern(4096, 2), pattern(8192, 3)]);
    await backend.sync();
    expect(firstDifference(await backend.read(MiB + 512, data.length), data)).toBe(-1);
    const file = await readFile(join(dir, 'disk.img'));
    expect(firstDifference(file.subarray(MiB + 512, MiB + 512 + data.length), data)).toBe(-1);
    expect(file.subarray(8 * MiB + 4096, 8 * MiB + 12_288).equals(pattern(8192, 3))).toBe(true);
  });

  it('discard makes small and large ranges read back as zeros', async () => {
    const backend = await openLoop('disk.img', 16 * MiB);
    const expected = pattern(16 * MiB, 4);
    await backend.write(0, expected);
    await backend.sync();
    await backend.discard(1000, 3000);
    await backend.discard(2 * MiB + 512, 6 * MiB);
    expected.fill(0, 1000, 4000);
    expected.fill(0, 2 * MiB + 512, 8 * MiB + 512);
    expect(firstDifference(await backend.read(0, 16 * MiB), expected)).toBe(-1);
    await backend.sync();
    expect(firstDifference(await readFile(join(dir, 'disk.img')), expected)).toBe(-1);
    expect(backend.discardMethod, 'blkdiscard (util-linux) worked on the loop device').toBe('punchHole');
    expect((await stat(join(dir, 'disk.img'))).blocks * 512, 'the discarded range was deallocated in the file').toBeLessThanOrEqual(
      10 * MiB + 64 * 1024,
    );
  });

  it('refuses a backing file already attached (STORAGE_ALREADY_ATTACHED) and leaves that attachment alone', async () => {
    const backend = await openLoop('disk.img', 4 * MiB);
    await expect(openLoopBackend(join(dir, 'disk.img'), 4 * MiB)).rejects.toMatchObject({ code: 'STORAGE_ALREADY_ATTACHED' });
    expect((await listLoopDevices(dir)).map((d) => d.device)).toEqual([backend.location]);
  });

  it('refuses an existing backing file of another size (STORAGE_SIZE_MISMATCH) without attaching anything', async () => {
    const first = await openLoop('disk.img', 4 * MiB);
    await first.close();
    await expect(openLoopBackend(join(dir, 'disk.img'), 8 * MiB)).rejects.toMatchObject({ code: 'STORAGE_SIZE_MISMATCH' });
    expect(await listLoopDevices(dir)).toEqual([]);
  });

  it('a killed server process leaves its loop device attached; detachLoopDevices finds and detaches it', async () => {
    const holder = fileURLToPath(new URL('../../helpers/storage-loop-holder.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', holder, join(dir, 'crash.img'), String(4 * MiB)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const device = await new Promise<string>((resolve, reject) => {
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const line = out.split('\n')[0];
          if (out.includes('\n') && line !== undefined) resolve((JSON.parse(line) as { device: string }).device);
        });
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.on('exit', (code) => reject(new Error(`holder exited ${code} before attaching: ${err}`)));
      });
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      expect((await listLoopDevices(dir)).map((d) => d.device)).toEqual([device]);
      expect(await detachLoopDevices(dir)).toEqual([device]);
      expect(await listLoopDevices(dir)).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('lists devices whose backing file was deleted, and detaches them', async () => {
    const backend = await openLoop('gone.img', 4 * MiB);
    await removeTempDir(dir);
    const listed = await listLoopDevices(dir);
    expect(listed).toEqual([{ device: backend.location, backingFile: join(dir, 'gone.img'), deleted: true }]);
  });

  it('SRV-3 a write-back cache over the loop backend: close puts every write in the backing file and detaches', async () => {
    const backend = await openBackend({ kind: 'loop', path: join(dir, 'cache.img'), size: 32 * MiB });
    const cache = new WriteBackCache(backend, { mode: 'writeBack', sizeBytes: 2 * MiB });
    const model = Buffer.alloc(32 * MiB);
    await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const offset = ((i * 7919) % 8000) * 4096 + (i % 5) * 512;
        const data = pattern(4096 * (1 + (i % 9)), i);
        await cache.write(offset, data, { fua: i % 10 === 0 });
        return { offset, data };
      }),
    ).then((writes) => {
      for (const { offset, data } of writes) data.copy(model, offset);
    });
    await cache.close();
    expect(await listLoopDevices(dir)).toEqual([]);
    expect(firstDifference(await readFile(join(dir, 'cache.img')), model)).toBe(-1);
  });
});
