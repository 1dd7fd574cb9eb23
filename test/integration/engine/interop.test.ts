// The engine against NBD clients nobody here wrote (nbdinfo, qemu-io, nbdcopy, fio) and the
// sanspec host client, on real server processes, on the file backend and on Linux loop devices.
//
// One group per backend is shared by the tests; each test uses its own byte range:
//   v1 (on s1): [0, 32M) nbdcopy, [32M, 64M) fio (4 jobs x 8M)
//   v2 (on s2): [0, 4M) qemu-io, [8M, 9M) stop/start, [16M, 20M) two connections, [24M, 28M) crash
// Destaging is held back (tuning.destageDelayMs) so that data reaches the backing file only through
// FLUSH, FUA or a graceful stop: a check of the backing file, or of what survives a crash, then
// shows that the client's FLUSH was honoured, and not merely that the destager was quick.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NbdError, type NbdClient } from '../../../harness/host/index.js';
import { describeRun, missingTools, mustRun, runTool } from '../../helpers/debian-tools.js';
import { loopUnavailable, startGroup, type EngineGroup } from '../../helpers/engine-group.js';
import { parseFioJson, readBackingFile, runToolIn, sha256, versionedBlock, versionedBlocks } from '../../helpers/interop-tools.js';
import { waitFor, within } from '../../helpers/wait-for.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const BS = 4096;
const DISK_BYTES = 64 * MiB;

const CONFIG = {
  servers: [
    { name: 's1', cache: { mode: 'writeBack', sizeMiB: 256 } },
    { name: 's2', cache: { mode: 'writeBack', sizeMiB: 256 } },
  ],
  hosts: ['h1'],
  virtualDisks: [
    { name: 'v1', kind: 'single', server: 's1', sizeMiB: 64 },
    { name: 'v2', kind: 'single', server: 's2', sizeMiB: 64 },
  ],
  tuning: { destageDelayMs: 600_000 },
};

const missing = missingTools('engine interoperability tests', 'nbdinfo', 'qemu-io', 'nbdcopy', 'fio');
const lacks = (tool: string) => missing.includes(tool);
const loopReason = await loopUnavailable();
if (loopReason !== null) console.warn(`skipping the loop-backend interoperability tests: ${loopReason}`);

/** SRV-10: after a crash the server comes up stopped; start it so it serves again. */
async function crashAndRecover(g: EngineGroup, server: string): Promise<void> {
  await g.server('crash', server);
  await g.server('power-on', server);
  await g.server('start', server);
}

/** Indexes 0..n-1. */
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

for (const backend of ['file', 'loop'] as const) {
  describe.skipIf(backend === 'loop' && loopReason !== null)(`engine interoperability with real NBD clients (${backend} backend)`, () => {
    let group: EngineGroup | undefined;
    let work = '';
    const g = (): EngineGroup => {
      if (group === undefined) throw new Error('the engine group did not come up (see beforeAll)');
      return group;
    };

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'sanspec-interop-'));
      group = await startGroup({ backend, config: CONFIG });
    }, 60_000);

    afterAll(async () => {
      try {
        await group?.down();
      } finally {
        group = undefined;
        rmSync(work, { recursive: true, force: true });
      }
    }, 120_000);

    it.skipIf(lacks('nbdinfo'))(
      'nbdinfo sees each single disk with its size and every transmission flag (flush, fua, trim, zero, multi-conn)',
      async () => {
        for (const [vdisk, server] of [
          ['v1', 's1'],
          ['v2', 's2'],
        ] as const) {
          const uri = g().uri(vdisk, server);
          const info = JSON.parse(await mustRun('nbdinfo', ['--json', uri])) as { protocol: string; exports: Record<string, unknown>[] };
          expect(info.protocol).toBe('newstyle-fixed');
          expect(info.exports[0]).toMatchObject({
            'export-name': vdisk,
            'export-size': DISK_BYTES,
            is_read_only: false,
            can_flush: true,
            can_fua: true,
            can_trim: true,
            can_zero: true,
            can_multi_conn: true,
          });
          expect((await mustRun('nbdinfo', ['--size', uri])).trim()).toBe(String(DISK_BYTES));
          const listed = JSON.parse(await mustRun('nbdinfo', ['--list', '--json', uri])) as { exports: Array<{ 'export-name': string }> };
          expect(listed.exports.map((e) => e['export-name'])).toEqual([vdisk]);
        }
      },
    );

    it.skipIf(lacks('qemu-io'))('VD-2 qemu-io pattern writes, FUA, flush, write-zeroes and discard read back as written', async () => {
      const uri = g().uri('v2', 's2');
      // -d unmap: without it qemu drops discards before they reach the NBD server.
      const out = await mustRun('qemu-io', [
        '-f',
        'raw',
        '-d',
        'unmap',
        uri,
        '-c',
        'write -P 0xab 0 1M',
        '-c',
        'flush',
        '-c',
        'read -P 0xab 0 1M',
        '-c',
        'write -P 0xcd 1M 1M',
        '-c',
        'write -z 1M 512k',
        '-c',
        'read -P 0 1M 512k',
        '-c',
        'read -P 0xcd 1536k 512k',
        '-c',
        'write -P 0xef 2M 2M',
        '-c',
        'discard 2M 1M',
        '-c',
        'read -P 0 2M 1M',
        '-c',
        'read -P 0xef 3M 1M',
        '-c',
        'write -f -P 0x77 3M 4k',
        '-c',
        'read -P 0x77 3M 4k',
      ]);
      expect(out).not.toMatch(/fail|verification|error/i);
      expect(out).toContain('discard 1048576/1048576 bytes at offset 2097152');
      // The flush (and qemu's flush on close) put the data on the backing storage, not just in the cache.
      const backing = await readBackingFile(g().backingFile('v2', 's2'), 0, MiB);
      expect(backing.equals(Buffer.alloc(MiB, 0xab)), 'the flushed 0xab MiB is not on the backing file').toBe(true);
    });

    it.skipIf(lacks('nbdcopy'))(
      'VD-2 a random 32 MiB file copied in with nbdcopy --flush and out again comes back byte for byte, and is on the backing file',
      async () => {
        const size = 32 * MiB;
        const source = join(work, 'source.bin');
        const back = join(work, 'back.bin');
        const content = randomBytes(size);
        writeFileSync(source, content);
        const uri = g().uri('v1', 's1');
        // nbdcopy uses several connections (the export allows multi-conn) and flushes at the end.
        await mustRun('nbdcopy', ['--flush', source, uri]);
        expect(sha256(await readBackingFile(g().backingFile('v1', 's1'), 0, size)), 'backing file after nbdcopy --flush').toBe(
          sha256(content),
        );
        writeFileSync(back, '');
        await mustRun('nbdcopy', [uri, back]);
        expect(statSync(back).size).toBe(DISK_BYTES);
        expect(sha256(readFileSync(back).subarray(0, size)), 'what nbdcopy read back').toBe(sha256(content));
        rmSync(source);
        rmSync(back);
      },
    );

    it.skipIf(lacks('fio'))(
      'VD-2, DS-3 fio randrw with crc32c verify on 4 connections and distinct ranges; a FLUSH on a fifth connection makes it survive a crash (multi-conn)',
      async () => {
        const uri = g().uri('v1', 's1');
        const args = (extra: string[]) => [
          '--name=interop',
          '--ioengine=nbd',
          `--uri=${uri}`,
          '--rw=randrw',
          '--bs=4k',
          '--iodepth=16',
          '--numjobs=4',
          '--size=8M',
          '--offset=32M',
          '--offset_increment=8M',
          '--verify=crc32c',
          '--verify_fatal=1',
          '--verify_state_save=0',
          '--group_reporting',
          '--output-format=json',
          ...extra,
        ];
        const first = args([]);
        const written = await runToolIn('fio', first, { cwd: work, timeoutMs: 60_000 });
        expect(written.code, describeRun('fio', first, written)).toBe(0);
        const job = parseFioJson(written.stdout).jobs[0]!;
        expect(job.error, describeRun('fio', first, written)).toBe(0);
        expect(job.write.io_bytes).toBeGreaterThan(0);
        expect(job.read.io_bytes).toBeGreaterThan(0);

        // fio itself sent no FLUSH: one FLUSH on another connection covers every write answered on
        // the four fio connections (NBD_FLAG_CAN_MULTI_CONN), so they survive the crash (DS-3).
        const flusher = await g().connect('v1', 's1');
        await flusher.flush();
        await flusher.disconnect();
        await crashAndRecover(g(), 's1');

        const again = args(['--verify_only']);
        const verified = await runToolIn('fio', again, { cwd: work, timeoutMs: 60_000 });
        expect(verified.code, describeRun('fio', again, verified)).toBe(0);
        const check = parseFioJson(verified.stdout).jobs[0]!;
        expect(check.error, describeRun('fio', again, verified)).toBe(0);
        expect(check.read.io_bytes).toBeGreaterThan(0);
      },
      60_000,
    );

    it('the host client pipelines writes then reads through two connections; each reads what the other wrote, and a FLUSH on one covers both', async () => {
      const a = await g().connect('v2', 's2');
      const b = await g().connect('v2', 's2');
      const firstBlock = (16 * MiB) / BS;
      const blocksPerWrite = 8; // 32 KiB requests
      const writes = 128; // 4 MiB
      const offsetOf = (i: number) => (firstBlock + i * blocksPerWrite) * BS;
      const dataOf = (i: number) => versionedBlocks(firstBlock + i * blocksPerWrite, blocksPerWrite, 1);
      const via = (i: number, even: NbdClient, odd: NbdClient) => (i % 2 === 0 ? even : odd);

      const pendingWrites = range(writes).map((i) => via(i, a, b).write(offsetOf(i), dataOf(i)));
      const inFlightWrites = a.inFlight + b.inFlight;
      await Promise.all(pendingWrites);
      expect(inFlightWrites, 'writes were not pipelined').toBe(writes);

      // Each range is read through the connection that did not write it.
      const pendingReads = range(writes).map((i) => via(i, b, a).read(offsetOf(i), blocksPerWrite * BS));
      const inFlightReads = a.inFlight + b.inFlight;
      const got = await Promise.all(pendingReads);
      expect(inFlightReads, 'reads were not pipelined').toBe(writes);
      const wrong = range(writes).filter((i) => !got[i]!.equals(dataOf(i)));
      expect(wrong.map(offsetOf), 'ranges that read back wrong').toEqual([]);

      // can_multi_conn: FLUSH on b makes a's completed writes durable too.
      await b.flush();
      const backing = await readBackingFile(g().backingFile('v2', 's2'), offsetOf(0), writes * blocksPerWrite * BS);
      const notDurable = range(writes).filter(
        (i) => !backing.subarray(i * blocksPerWrite * BS, (i + 1) * blocksPerWrite * BS).equals(dataOf(i)),
      );
      expect(notDurable.map(offsetOf), 'ranges not on the backing file after FLUSH on the other connection').toEqual([]);
    });

    it('DS-8, DS-3 writes in flight when the server crashes read back as whole blocks of one version; what a FLUSH on the other connection covered survives', async () => {
      const firstBlock = (24 * MiB) / BS;
      const blocksPerWrite = 16; // 64 KiB requests
      const writes = 64; // 4 MiB
      const blockCount = writes * blocksPerWrite;
      const offsetOf = (i: number) => (firstBlock + i * blocksPerWrite) * BS;
      const a = await g().connect('v2', 's2');
      const b = await g().connect('v2', 's2');
      // Version 1 everywhere, half of it written on b, made durable by a FLUSH on a (multi-conn).
      await Promise.all(
        range(writes).map((i) =>
          (i % 2 === 0 ? a : b).write(offsetOf(i), versionedBlocks(firstBlock + i * blocksPerWrite, blocksPerWrite, 1)),
        ),
      );
      await a.flush();

      // Version 2, pipelined on both connections; a FLUSH on b once a quarter is answered; crash.
      const answered = new Set<number>();
      // Outcomes are taken as they come (a rejection must not wait for a handler until after the crash).
      const version2 = range(writes).map((i) =>
        (i % 2 === 0 ? a : b).write(offsetOf(i), versionedBlocks(firstBlock + i * blocksPerWrite, blocksPerWrite, 2)).then(
          () => void answered.add(i),
          (error: unknown) => error,
        ),
      );
      await waitFor(() => answered.size >= writes / 4, 'a quarter of the writes to be answered', 10_000, 1);
      const answeredBeforeFlush = new Set(answered);
      const flush = b.flush().then(
        () => 'ok' as const,
        (error: unknown) => (error instanceof NbdError ? error.outcome : 'unexpected'),
      );
      await g().server('crash', 's2');
      // VD-1: every request gets an outcome (no hang), and a lost connection is an unknown outcome.
      const failures = (await within(Promise.all(version2), 15_000, 'writes in flight at the crash')).filter((e) => e !== undefined);
      const flushOutcome = await within(flush, 15_000, 'the FLUSH in flight at the crash');
      for (const e of failures) expect(e).toMatchObject({ outcome: 'unknown' });
      expect(['ok', 'unknown']).toContain(flushOutcome);
      await g().server('power-on', 's2');
      await g().server('start', 's2');

      const after = await g().connect('v2', 's2');
      const image = await after.read(firstBlock * BS, blockCount * BS);
      const versions = range(blockCount).map((k) => {
        const block = image.subarray(k * BS, (k + 1) * BS);
        if (block.equals(versionedBlock(firstBlock + k, 2))) return 2;
        if (block.equals(versionedBlock(firstBlock + k, 1))) return 1;
        return -1;
      });
      const torn = range(blockCount).filter((k) => versions[k] === -1);
      expect(
        torn.map((k) => (firstBlock + k) * BS),
        'blocks that are neither version 1 nor version 2: torn (DS-8), or lost although a FLUSH covered them (DS-3)',
      ).toEqual([]);
      if (flushOutcome === 'ok') {
        const lost = [...answeredBeforeFlush].filter((i) => range(blocksPerWrite).some((j) => versions[i * blocksPerWrite + j] !== 2));
        expect(lost.map(offsetOf), 'writes answered before an answered FLUSH but lost in the crash').toEqual([]);
      }
    }, 60_000);

    it.skipIf(lacks('qemu-io') || lacks('nbdinfo'))(
      'VD-1 while its server is stopped a single disk fails in qemu-io, nbdinfo and the host client with an error, not a hang; VD-2 after start it reads back',
      async () => {
        const uri = g().uri('v2', 's2');
        const offset = 8 * MiB;
        await mustRun('qemu-io', ['-f', 'raw', uri, '-c', `write -P 0x5a ${offset} 1M`]);
        const open = await g().connect('v2', 's2');
        await g().server('stop', 's2');
        try {
          const started = Date.now();
          const qemu = await runTool('qemu-io', ['-f', 'raw', uri, '-c', `read -P 0x5a ${offset} 1M`], 30_000);
          expect(qemu.code, describeRun('qemu-io', [uri], qemu)).not.toBe(0);
          expect(qemu.stderr + qemu.stdout).toMatch(/refused|connect/i);
          const info = await runTool('nbdinfo', [uri], 30_000);
          expect(info.code, describeRun('nbdinfo', [uri], info)).not.toBe(0);
          await expect(open.read(offset, 4096)).rejects.toBeInstanceOf(NbdError);
          await expect(g().connect('v2', 's2', 5000)).rejects.toMatchObject({ code: 'NBD_CONNECTION_REFUSED' });
          expect(Date.now() - started, 'time until every client had its error').toBeLessThan(10_000);
        } finally {
          await g().server('start', 's2');
        }
        await mustRun('qemu-io', ['-f', 'raw', uri, '-c', `read -P 0x5a ${offset} 1M`]);
      },
      60_000,
    );
  });
}
