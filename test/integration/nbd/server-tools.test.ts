// The engine NBD server against real clients nobody here wrote: nbdinfo, qemu-io, nbdcopy, fio.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryBlockDevice } from '../../helpers/memory-block-device.js';
import { describeRun, missingTools, mustRun, runTool } from '../../helpers/debian-tools.js';
import { createFileBlockDevice } from '../../helpers/file-block-device.js';
import { CleanupStack } from '../../helpers/cleanup-stack.js';
import { startTestServer } from '../../helpers/nbd-test-server.js';

const cleanup = new CleanupStack();
afterEach(() => cleanup.run());

function tempDir(): string {
  return cleanup.add(mkdtempSync(join(tmpdir(), 'sanspec-nbd-tools-')), (d) => rmSync(d, { recursive: true, force: true }));
}

describe.skipIf(missingTools('engine NBD server vs nbdinfo', 'nbdinfo').length > 0)('engine NBD server with nbdinfo', () => {
  it('nbdinfo reports the size, flags and block sizes the server advertises', async () => {
    const t = await startTestServer(cleanup, { size: 48 * 1024 * 1024, disk: { description: 'sanspec v1' } });
    const info = JSON.parse(await mustRun('nbdinfo', ['--json', t.uri('disk')])) as {
      protocol: string;
      exports: Record<string, unknown>[];
    };
    expect(info.protocol).toBe('newstyle-fixed');
    expect(info.exports[0]).toMatchObject({
      'export-name': 'disk',
      description: 'sanspec v1',
      'export-size': 48 * 1024 * 1024,
      is_read_only: false,
      can_flush: true,
      can_fua: true,
      can_trim: true,
      can_zero: true,
      can_multi_conn: true,
      block_size_minimum: 1,
      block_size_preferred: 4096,
      block_size_maximum: 32 * 1024 * 1024,
    });
    expect((await mustRun('nbdinfo', ['--size', t.uri('disk')])).trim()).toBe(String(48 * 1024 * 1024));
  });

  it('nbdinfo --list shows every export; a read-only export is reported read-only', async () => {
    const t = await startTestServer(cleanup, { unix: true });
    t.exports.set('v2', { device: createMemoryBlockDevice(65536), readOnly: true, description: 'single on s2' });
    const listed = JSON.parse(await mustRun('nbdinfo', ['--list', '--json', t.uri('')])) as { exports: Record<string, unknown>[] };
    const byName = new Map(listed.exports.map((e) => [e['export-name'], e]));
    expect([...byName.keys()].sort()).toEqual(['disk', 'v2']);
    expect(byName.get('v2')).toMatchObject({ description: 'single on s2', 'export-size': 65536, is_read_only: true, can_trim: false });
  });

  it('nbdinfo fails cleanly for an unknown export (NBD_REP_ERR_UNKNOWN)', async () => {
    const t = await startTestServer(cleanup);
    const result = await runTool('nbdinfo', [t.uri('nope')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/nope/);
  });
});

describe.skipIf(missingTools('engine NBD server vs qemu-io', 'qemu-io').length > 0)('engine NBD server with qemu-io', () => {
  it('qemu-io pattern writes and reads round-trip over TCP and Unix sockets', async () => {
    for (const unix of [false, true]) {
      const t = await startTestServer(cleanup, { size: 4 * 1024 * 1024, unix });
      const out = await mustRun('qemu-io', [
        '-f',
        'raw',
        t.uri('disk'),
        '-c',
        'write -P 0xab 0 64k',
        '-c',
        'read -P 0xab 0 64k',
        '-c',
        'write -P 0xcd 1M 4k',
        '-c',
        'flush',
        '-c',
        'read -P 0xcd 1M 4k',
        '-c',
        'read -P 0 64k 64k',
        '-c',
        'write -z 0 4k',
        '-c',
        'read -P 0 0 4k',
      ]);
      expect(out).not.toMatch(/failed|verification/i);
      expect(out).toContain('read 65536/65536 bytes at offset 0');
      expect(t.device.data.subarray(4096, 65536).equals(Buffer.alloc(61440, 0xab))).toBe(true);
      expect(t.device.durable.subarray(1024 * 1024, 1024 * 1024 + 4096).equals(Buffer.alloc(4096, 0xcd))).toBe(true);
    }
  });

  it('DS-7 I/O the device refuses fails in qemu-io with an error and writes nothing', async () => {
    const t = await startTestServer(cleanup);
    t.device.failNext('write', 'ESHUTDOWN', 1000);
    const result = await runTool('qemu-io', ['-f', 'raw', t.uri('disk'), '-c', 'write -P 0x11 0 4k']);
    expect(result.stdout + result.stderr).toMatch(/write failed/i);
    expect(t.device.data.subarray(0, 4096).equals(Buffer.alloc(4096))).toBe(true);
  });
});

describe.skipIf(missingTools('engine NBD server vs nbdcopy', 'nbdcopy').length > 0)('engine NBD server with nbdcopy', () => {
  it('a random file copied in and out with nbdcopy comes back byte for byte', async () => {
    const size = 24 * 1024 * 1024;
    const t = await startTestServer(cleanup, { size });
    const dir = tempDir();
    const source = join(dir, 'source.bin');
    const back = join(dir, 'back.bin');
    const content = randomBytes(size);
    writeFileSync(source, content);
    await mustRun('nbdcopy', ['--flush', source, t.uri('disk')]);
    expect(t.device.data.equals(content)).toBe(true);
    expect(t.device.durable.equals(content)).toBe(true); // --flush made it durable
    writeFileSync(back, '');
    await mustRun('nbdcopy', [t.uri('disk'), back]);
    expect(readFileSync(back).equals(content)).toBe(true);
  });
});

describe.skipIf(missingTools('engine NBD server vs fio', 'fio').length > 0)('engine NBD server with fio', () => {
  it('fio randrw with crc32c verify over 4 jobs (4 connections) finds no error, on a file-backed device', async () => {
    const dir = tempDir();
    const size = 64 * 1024 * 1024;
    const device = cleanup.add(await createFileBlockDevice(join(dir, 'disk.img'), size, { preallocate: true }), (d) => d.close());
    const t = await startTestServer(cleanup, { size, device });
    const args = [
      '--name=sanspec-verify',
      '--ioengine=nbd',
      `--uri=${t.uri('disk')}`,
      '--rw=randrw',
      '--bs=4k',
      '--iodepth=16',
      '--numjobs=4',
      '--size=16M',
      '--offset_increment=16M',
      '--verify=crc32c',
      '--verify_fatal=1',
      // fio would otherwise leave *-verify.state files in the working directory.
      '--verify_state_save=0',
      '--end_fsync=1',
      '--group_reporting',
      '--output-format=json',
    ];
    const result = await runTool('fio', args, 120_000);
    expect(result.code, describeRun('fio', args, result)).toBe(0);
    const report = JSON.parse(result.stdout.slice(result.stdout.indexOf('{'))) as {
      jobs: { error: number; read: { io_bytes: number }; write: { io_bytes: number } }[];
    };
    expect(report.jobs[0]?.error).toBe(0);
    expect(report.jobs[0]?.write.io_bytes).toBeGreaterThan(0);
    expect(report.jobs[0]?.read.io_bytes).toBeGreaterThan(0);
    expect(t.events.filter((e) => e.type === 'export-selected').length).toBeGreaterThanOrEqual(4);
  });
});
