// The mirroring benchmark, all in one run on one group: mirrored against unmirrored 4 KiB random
// write IOPS (fio, QD 16); the longest pause host writes see across a graceful stop and a crash
// of the preferred server (the verifying workload through two paths); log recovery time against
// the fraction of the disk changed, next to a full recovery; full recovery bandwidth next to the
// backing file system's own sequential write bandwidth measured by fio.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../harness/host/index.js';
import { startWorkload } from '../harness/workload/index.js';
import { benchCleanup, fio, fmt, hasTool, MiB, run, SANSPEC, settle } from './engine-section.js';
import { openMirroredDevice } from '../test/helpers/mirrored-device.js';
import type { CleanupStack } from '../test/helpers/cleanup-stack.js';

const DISK_MIB = 1024;
const CONFIG = {
  servers: [
    { name: 's1', cache: { mode: 'writeBack', sizeMiB: 256 } },
    { name: 's2', cache: { mode: 'writeBack', sizeMiB: 256 } },
  ],
  hosts: ['h1'],
  virtualDisks: [
    { name: 'm1', kind: 'mirrored', copies: ['s1', 's2'], sizeMiB: DISK_MIB },
    { name: 'v1', kind: 'single', server: 's1', sizeMiB: DISK_MIB },
  ],
};

interface Group {
  dir: string;
  url: string;
  uri(vdisk: string, server: string): string;
  post(path: string): Promise<void>;
  mirror(): Promise<{ status: string; copies: string[] }>;
}

async function startGroup(root: string, cleanup: CleanupStack): Promise<Group> {
  const dir = join(root, 'group');
  const config = join(root, 'config.json');
  writeFileSync(config, JSON.stringify(CONFIG));
  cleanup.defer('the mirror group', async () => {
    await run(process.execPath, [SANSPEC, 'group', 'down', '--dir', dir], { timeoutMs: 240_000 });
  });
  const up = await run(process.execPath, [SANSPEC, 'group', 'up', '--dir', dir, '--config', config, '--json'], { timeoutMs: 120_000 });
  const url = (JSON.parse(up.stdout) as { supervisorUrl: string }).supervisorUrl;
  const ports = JSON.parse(readFileSync(join(dir, 'ports.json'), 'utf8')) as Record<string, { ports: Record<string, number> }>;
  const call = async (method: string, path: string) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: method === 'POST' ? '{}' : undefined,
    });
    const body = (await res.json()) as { error?: { code: string; message: string } };
    if (!res.ok) throw new Error(`${path}: ${body.error?.code} ${body.error?.message}`);
    return body;
  };
  return {
    dir,
    url,
    uri: (vdisk, server) => `nbd://127.0.0.1:${ports[server]!.ports.fe1}/${vdisk}`,
    post: async (path) => void (await call('POST', path)),
    mirror: async () => {
      const r = (await call('GET', '/status')) as unknown as {
        status: { virtualDisks: Array<{ name: string; status: string; copies: Array<{ dataStatus: string }> }> };
      };
      const m = r.status.virtualDisks.find((v) => v.name === 'm1')!;
      return { status: m.status, copies: m.copies.map((c) => c.dataStatus) };
    },
  };
}

async function until(what: string, ok: () => Promise<boolean>, timeoutMs = 600_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    if (await ok()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Writes `fraction` of the disk's 64 KiB regions (spread evenly) through a client. */
async function dirty(uri: string, fraction: number): Promise<number> {
  const regions = (DISK_MIB * MiB) / (64 * 1024);
  const count = Math.max(1, Math.round(regions * fraction));
  const client = await connect({ uri, timeoutMs: 60_000 });
  const data = Buffer.alloc(64 * 1024, 0x5a);
  const stride = regions / count;
  const writes: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    writes.push(client.write(Math.floor(i * stride) * 64 * 1024, data));
    if (writes.length >= 32) await Promise.all(writes.splice(0));
  }
  await Promise.all(writes);
  await client.flush();
  await client.disconnect();
  return count;
}

export async function mirrorSection(): Promise<string> {
  if (!hasTool('fio')) throw new Error('the mirror benchmark needs fio (apt-get install fio)');
  const cleanup = benchCleanup();
  const root = mkdtempSync(join(tmpdir(), 'sanspec-bench-mirror-'));
  cleanup.defer('the temp dir', () => rmSync(root, { recursive: true, force: true }));
  const loadStart = loadavg()[0]!;
  try {
    const cwd = join(root, 'fio');
    mkdirSync(cwd);
    const g = await startGroup(root, cleanup);
    const m1 = { uri: g.uri('m1', 's1'), label: 'm1', pid: () => 0 };
    const v1 = { uri: g.uri('v1', 's1'), label: 'v1', pid: () => 0 };
    const lines = ['## Mirroring (issue: synchronous mirroring)', ''];

    // 1. Mirrored against unmirrored random writes, interleaved, better of two each.
    for (const t of [m1, v1]) {
      process.stderr.write(`  preconditioning ${t.label}\n`);
      await fio(cwd, 'precondition', t.uri, ['--rw=write', '--bs=1M', '--iodepth=4', '--end_fsync=1'], 'write');
      await settle(t as never);
    }
    const randwrite = [
      '--rw=randwrite',
      '--bs=4k',
      '--iodepth=16',
      '--norandommap',
      '--randrepeat=0',
      '--time_based',
      '--runtime=8',
      '--ramp_time=2',
    ];
    const iops: Record<string, number[]> = { m1: [], v1: [] };
    for (let round = 0; round < 2; round++) {
      for (const t of [m1, v1]) {
        const side = await fio(cwd, 'randwrite', t.uri, randwrite, 'write');
        iops[t.label]!.push(side.iops);
        await settle(t as never);
        process.stderr.write(`  4 KiB random write QD16 ${t.label}: ${fmt(side.iops)} IOPS\n`);
      }
    }
    const bestM = Math.max(...iops.m1!);
    const bestV = Math.max(...iops.v1!);
    lines.push(
      'fio `--ioengine=nbd`, 4 KiB random writes at queue depth 16 (8 s after 2 s warm-up, better of 2 interleaved runs), through s1',
      'to a mirrored disk m1 (copies on s1 and s2, write-back caches) and to a single disk v1 on the same server, both 1 GiB:',
      '',
      '| disk | IOPS (runs) |',
      '| --- | ---: |',
      `| m1 mirrored | ${fmt(bestM)} (${iops.m1!.map((x) => fmt(x)).join(', ')}) |`,
      `| v1 unmirrored | ${fmt(bestV)} (${iops.v1!.map((x) => fmt(x)).join(', ')}) |`,
      '',
      `- mirrored / unmirrored: ${(bestM / bestV).toFixed(2)}x (goal: at least 0.5x): ${bestM / bestV >= 0.5 ? 'met' : 'NOT met'}.`,
      '',
    );

    // 2. Pauses across a graceful stop and a crash of the preferred server.
    const device = await openMirroredDevice(g, {
      retryForMs: 30_000,
      failbackProbeMs: 100,
    });
    cleanup.defer('the multipath device', () => device.close());
    const pauses: Record<string, number> = {};
    for (const event of ['stop', 'crash'] as const) {
      const w = startWorkload({ device, blocks: 16384, seed: 11, concurrency: 8, disk: `bench-${event}` });
      await until('writes', async () => w.stats().writesOk > 500);
      const before = w.stats().longestPauseMs;
      await g.post(`/servers/s1/${event}`);
      const acked = w.stats().writesOk;
      await until('writes through s2', async () => w.stats().writesOk > acked + 2000);
      const history = await w.stop();
      pauses[event] = w.stats().longestPauseMs;
      process.stderr.write(
        `  longest pause across ${event} of s1: ${fmt(pauses[event]!)} ms (before: ${fmt(before)} ms, ${history.entries.length} operations)\n`,
      );
      if (event === 'crash') await g.post('/servers/s1/power-on');
      await g.post('/servers/s1/start');
      await until('m1 online', async () => (await g.mirror()).status === 'online');
    }
    await device.close();
    lines.push(
      'The longest gap between consecutive acknowledged writes that hosts saw, writing 4 KiB blocks with 8 in flight through',
      'the sanspec multipath layer (paths s1 preferred, s2), across an event on the preferred server s1:',
      '',
      `- graceful stop of s1: ${fmt(pauses.stop!)} ms (goal: under 500 ms): ${pauses.stop! < 500 ? 'met' : 'NOT met'}.`,
      `- crash of s1 (SIGKILL): ${fmt(pauses.crash!)} ms (goal: under 2000 ms): ${pauses.crash! < 2000 ? 'met' : 'NOT met'}.`,
      '',
    );

    // 3. Log recovery against the fraction changed, and a full recovery, of the same 1 GiB disk.
    const times: Array<[string, number, number]> = [];
    for (const fraction of [0.01, 0.1, 0.5]) {
      await g.post('/servers/s2/stop');
      await until('s1 alone', async () => (await g.mirror()).status !== 'online');
      const regions = await dirty(g.uri('m1', 's1'), fraction);
      await g.post('/servers/s2/start');
      const ms = await until('log recovery', async () => (await g.mirror()).status === 'online');
      times.push([`log recovery, ${fraction * 100}% changed`, regions, ms]);
      process.stderr.write(`  log recovery of ${regions} regions: ${fmt(ms)} ms\n`);
    }
    await g.post('/servers/s2/crash');
    await until('s1 alone', async () => (await g.mirror()).copies[1] === 'fullRecoveryNeeded');
    await g.post('/servers/s2/power-on');
    await g.post('/servers/s2/start');
    const fullMs = await until('full recovery', async () => (await g.mirror()).status === 'online');
    times.push(['full recovery', (DISK_MIB * MiB) / (64 * 1024), fullMs]);
    process.stderr.write(`  full recovery: ${fmt(fullMs)} ms\n`);
    lines.push(
      'Recovery of the 1 GiB mirrored disk, from starting s2 until m1 is online again (includes the copies meeting): log',
      'recovery after a graceful stop of s2 and writes to a share of its 64 KiB regions, and full recovery after a crash of s2:',
      '',
      '| recovery | regions copied | time ms | share of full |',
      '| --- | ---: | ---: | ---: |',
      ...times.map(([label, regions, ms]) => `| ${label} | ${fmt(regions)} | ${fmt(ms)} | ${((ms / fullMs) * 100).toFixed(1)}% |`),
      '',
      `- 1% changed costs ${((times[0]![2] / fullMs) * 100).toFixed(1)}% of a full recovery (goal: under 5%): ${times[0]![2] / fullMs < 0.05 ? 'met' : 'NOT met'}.`,
      '',
    );

    // 4. Full recovery bandwidth against the backing file system's sequential bandwidth.
    const file = join(root, 'fio-seq.img');
    const seq = await run(
      'fio',
      [
        '--name=seq',
        `--filename=${file}`,
        '--rw=write',
        '--bs=1M',
        `--size=${DISK_MIB}M`,
        '--ioengine=psync',
        '--direct=0',
        '--end_fsync=1',
        '--output-format=json',
      ],
      { cwd, timeoutMs: 300_000 },
    );
    const seqMiBs =
      (JSON.parse(seq.stdout.slice(seq.stdout.indexOf('{'))) as { jobs: Array<{ write: { bw_bytes: number } }> }).jobs[0]!.write.bw_bytes /
      MiB;
    const fullMiBs = DISK_MIB / (fullMs / 1000);
    lines.push(
      `Full recovery bandwidth: ${fmt(fullMiBs, 1)} MiB/s against ${fmt(seqMiBs, 1)} MiB/s for fio's own 1 MiB sequential write of`,
      `a 1 GiB file on the same file system (psync, ending with fsync), measured in this run: ${(fullMiBs / seqMiBs).toFixed(2)}x`,
      `(goal: at least 0.5x): ${fullMiBs / seqMiBs >= 0.5 ? 'met' : 'NOT met'}.`,
      '',
      `Load average (1 min) when the section started: ${loadStart.toFixed(2)}; when it ended: ${loadavg()[0]!.toFixed(2)}.`,
    );
    return lines.join('\n');
  } finally {
    await cleanup.run();
  }
}
