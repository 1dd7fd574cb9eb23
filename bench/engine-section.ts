// The engine benchmark: fio through its `nbd` ioengine against the sanspec engine (a single
// virtual disk, write-back cache), nbdkit's file plugin and qemu-nbd, in one run, on identically
// prepared 1 GiB backing files, runs interleaved so that drift hits every server alike.
// Every process, group and temp file it makes is released on success, failure and SIGINT/SIGTERM.

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as nbdConnect } from '../harness/host/index.js';
import { runProcess } from '../adapters/command/run-command.js';
import { CleanupStack } from '../test/helpers/cleanup-stack.js';

export const MiB = 1024 * 1024;
export const DISK_BYTES = 1024 * MiB;
/** Measured seconds per fio run, after RAMP_SECONDS of warm-up. */
export const RUNTIME_SECONDS = 8;
export const RAMP_SECONDS = 2;
/** Each workload runs this many times per server; the better run is reported. */
const ROUNDS = 2;
export const SANSPEC = fileURLToPath(new URL('../bin/sanspec.mjs', import.meta.url));

/** The engine under test: s1 holds v1 (1 GiB) with a 256 MiB write-back cache. */
const ENGINE_CONFIG = {
  servers: [{ name: 's1', cache: { mode: 'writeBack', sizeMiB: 256 } }, { name: 's2' }],
  hosts: ['h1'],
  virtualDisks: [{ name: 'v1', kind: 'single', server: 's1', sizeMiB: 1024 }],
};

/** One NBD server under test. */
interface Target {
  /** Row label. */
  readonly label: string;
  /** NBD URI fio and the host client connect to (TCP on 127.0.0.1 for all). */
  readonly uri: string;
  /** The process doing the serving, whose CPU time is measured. */
  pid(): number;
}

/** One fio workload. */
interface Workload {
  readonly label: string;
  /** Which side of fio's report holds the figures. */
  readonly side: 'read' | 'write';
  readonly args: readonly string[];
}

const timed = ['--time_based', `--runtime=${RUNTIME_SECONDS}`, `--ramp_time=${RAMP_SECONDS}`];
const WORKLOADS: readonly Workload[] = [
  { label: '1 MiB sequential write, QD 4', side: 'write', args: ['--rw=write', '--bs=1M', '--iodepth=4', ...timed] },
  { label: '1 MiB sequential read, QD 4', side: 'read', args: ['--rw=read', '--bs=1M', '--iodepth=4', ...timed] },
  {
    label: '4 KiB random write, QD 16',
    side: 'write',
    args: ['--rw=randwrite', '--bs=4k', '--iodepth=16', '--norandommap', '--randrepeat=0', ...timed],
  },
  {
    label: '4 KiB random read, QD 16',
    side: 'read',
    args: ['--rw=randread', '--bs=4k', '--iodepth=16', '--norandommap', '--randrepeat=0', ...timed],
  },
];
const RANDOM_WRITE = WORKLOADS[2]!;
const RANDOM_READ = WORKLOADS[3]!;

/** What one fio run measured. */
interface Sample {
  iops: number;
  mibPerSecond: number;
  /** p99 completion latency in microseconds. */
  p99us: number;
  /** Server process CPU (user + system) over the run's wall time, in % of one core. */
  cpuPercent: number;
}

export interface FioSide {
  iops: number;
  bw_bytes: number;
  clat_ns: { percentile?: Record<string, number> };
}

/** The benchmarks' cleanup: the tests' stack, logging a failed release and carrying on. */
export function benchCleanup(): CleanupStack {
  return new CleanupStack({ report: (what, error) => process.stderr.write(`  cleanup of ${what} failed: ${(error as Error).message}\n`) });
}

export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Runs `cmd ARGS` through the toolkit's one subprocess runner; rejects with its output unless it exits 0. */
export async function run(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  const result = await runProcess(cmd, args, { cwd: options.cwd, timeoutMs: options.timeoutMs ?? 120_000 });
  if (result.exitCode !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} failed (${result.killed ?? `exit ${result.exitCode}`}):\n${result.stderr}${result.stdout}`.trim(),
    );
  return { stdout: result.stdout, stderr: result.stderr };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on `port`; fails if `child` exits first. */
async function waitListening(port: number, child: ChildProcess, name: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening:\n${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const probe = netConnect({ host: '127.0.0.1', port });
      probe.once('error', () => resolve(false));
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} did not listen on 127.0.0.1:${port} within 15 s:\n${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops a child: SIGTERM, SIGKILL after 5 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Starts a server process that must keep running; registers its stop. */
async function startServerProcess(cleanup: CleanupStack, name: string, cmd: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('error', (error) => (stderr += `spawn failed: ${error.message}\n`));
  cleanup.defer(name, () => stopChild(child));
  await waitListening(port, child, name, () => stderr);
  return child;
}

/**
 * The same backing file for every server: a sparse 1 GiB file, then preallocated with fallocate
 * (unwritten extents). The preconditioning pass through each server then writes all of it.
 */
export async function prepareBackingFile(path: string): Promise<void> {
  writeFileSync(path, '');
  await run('truncate', ['--size', String(DISK_BYTES), path]);
  await run('fallocate', ['--length', String(DISK_BYTES), path]);
}

/** utime + stime of a process, in clock ticks (all its threads). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the command name start at field 3 (state); utime is field 14, stime 15.
  return Number(fields[11]) + Number(fields[12]);
}

export const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

async function startEngine(root: string, cleanup: CleanupStack): Promise<Target> {
  const dir = join(root, 'engine');
  const disks = join(dir, 'servers', 's1', 'disks');
  mkdirSync(disks, { recursive: true });
  await prepareBackingFile(join(disks, 'v1.img'));
  const config = join(root, 'engine-config.json');
  writeFileSync(config, JSON.stringify(ENGINE_CONFIG));
  cleanup.defer('the engine group', async () => {
    await run(process.execPath, [SANSPEC, 'group', 'down', '--dir', dir], { timeoutMs: 240_000 });
  });
  await run(process.execPath, [SANSPEC, 'group', 'up', '--dir', dir, '--config', config, '--json'], { timeoutMs: 120_000 });
  const ports = JSON.parse(readFileSync(join(dir, 'ports.json'), 'utf8')) as Record<string, { ports: Record<string, number> }>;
  return {
    label: 'sanspec engine (write-back)',
    uri: `nbd://127.0.0.1:${ports.s1!.ports.fe1}/v1`,
    // Read each time: the pid file is the storage server process of s1.
    pid: () => Number(readFileSync(join(dir, 'servers', 's1', 'pid'), 'utf8').trim()),
  };
}

async function startNbdkit(root: string, cleanup: CleanupStack): Promise<Target> {
  const file = join(root, 'nbdkit.img');
  await prepareBackingFile(file);
  const port = await freePort();
  const child = await startServerProcess(
    cleanup,
    'nbdkit',
    'nbdkit',
    ['--foreground', '--exit-with-parent', '-i', '127.0.0.1', '--port', String(port), 'file', file],
    port,
  );
  return { label: 'nbdkit file', uri: `nbd://127.0.0.1:${port}/`, pid: () => child.pid! };
}

async function startQemuNbd(root: string, cleanup: CleanupStack): Promise<Target> {
  const file = join(root, 'qemu-nbd.img');
  await prepareBackingFile(file);
  const port = await freePort();
  const args = ['-f', 'raw', '--persistent', '--shared=8', '--bind', '127.0.0.1', '--port', String(port), file];
  // setpriv execs qemu-nbd (same pid) with a parent-death signal: it cannot outlive this process.
  const child = hasTool('setpriv')
    ? await startServerProcess(cleanup, 'qemu-nbd', 'setpriv', ['--pdeathsig', 'KILL', 'qemu-nbd', ...args], port)
    : await startServerProcess(cleanup, 'qemu-nbd', 'qemu-nbd', args, port);
  return { label: 'qemu-nbd', uri: `nbd://127.0.0.1:${port}/`, pid: () => child.pid! };
}

/** fio children running now, killed by the cleanup if the run is interrupted. */
export const fioChildren = new Set<ChildProcess>();

/** Runs one fio job (one connection) against `uri`; returns the side of its JSON report. */
export function fio(cwd: string, name: string, uri: string, args: readonly string[], side: 'read' | 'write'): Promise<FioSide> {
  const all = [
    `--name=${name}`,
    '--ioengine=nbd',
    `--uri=${uri}`,
    `--size=${DISK_BYTES}`,
    '--numjobs=1',
    '--direct=0',
    '--output-format=json',
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = execFile(
      'fio',
      all,
      { cwd, timeout: (RUNTIME_SECONDS + RAMP_SECONDS + 120) * 1000, maxBuffer: 64 * MiB, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        fioChildren.delete(child);
        if (error) {
          reject(new Error(`fio ${all.join(' ')} failed (${error.code ?? error.signal}):\n${stderr}${stdout.slice(-2000)}`));
          return;
        }
        try {
          // The nbd ioengine prints "fio: connected to NBD server" on stdout before the JSON.
          const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
            jobs: Array<{ error: number } & Record<'read' | 'write', FioSide>>;
          };
          const job = report.jobs[0];
          if (job?.error !== 0) throw new Error(`fio job error ${job?.error}: ${stderr}`);
          resolve(job[side]);
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      },
    );
    fioChildren.add(child);
  });
}

/** FLUSH through the sanspec host client: whatever a run left dirty is written before the next run. */
export async function settle(target: Target): Promise<void> {
  const client = await nbdConnect({ uri: target.uri, timeoutMs: 120_000 });
  try {
    await client.flush();
  } finally {
    await client.disconnect().catch(() => client.destroy());
  }
}

async function measure(cwd: string, target: Target, w: Workload): Promise<Sample> {
  const pid = target.pid();
  const ticks0 = cpuTicks(pid);
  const t0 = performance.now();
  const side = await fio(cwd, 'bench', target.uri, w.args, w.side);
  const seconds = (performance.now() - t0) / 1000;
  const ticks1 = cpuTicks(pid);
  await settle(target);
  return {
    iops: side.iops,
    mibPerSecond: side.bw_bytes / MiB,
    p99us: (side.clat_ns.percentile?.['99.000000'] ?? NaN) / 1000,
    cpuPercent: ((ticks1 - ticks0) / CLOCK_TICKS / seconds) * 100,
  };
}

export const fmt = (n: number, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';
const latency = (us: number) => (us >= 10_000 ? `${fmt(us / 1000, 1)} ms` : `${fmt(us)} µs`);

/** fio against the engine, nbdkit and qemu-nbd, side by side; returns the markdown section. */
export async function engineSection(): Promise<string> {
  for (const tool of ['fio', 'nbdkit', 'fallocate', 'truncate']) {
    if (!hasTool(tool)) throw new Error(`the engine benchmark needs ${tool} (apt-get install fio nbdkit util-linux)`);
  }
  const withQemu = hasTool('qemu-nbd');
  const loadStart = loadavg()[0]!;
  const cleanup = benchCleanup();
  const root = mkdtempSync(join(tmpdir(), 'sanspec-bench-engine-'));
  cleanup.defer('the temp dir', () => rmSync(root, { recursive: true, force: true }));
  cleanup.defer('fio', () => {
    for (const c of fioChildren) c.kill('SIGKILL');
  });
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: cleaning up the engine benchmark\n`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const cwd = join(root, 'fio');
    mkdirSync(cwd);
    const targets = [await startEngine(root, cleanup), await startNbdkit(root, cleanup)];
    if (withQemu) targets.push(await startQemuNbd(root, cleanup));
    for (const t of targets) {
      process.stderr.write(`  preconditioning ${t.label}: 1 GiB sequential write\n`);
      await fio(cwd, 'precondition', t.uri, ['--rw=write', '--bs=1M', '--iodepth=4', '--end_fsync=1'], 'write');
      await settle(t);
    }
    const samples = new Map<string, Sample[]>();
    const key = (t: Target, w: Workload) => `${t.label}|${w.label}`;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const w of WORKLOADS) {
        for (const t of targets) {
          const s = await measure(cwd, t, w);
          process.stderr.write(
            `  round ${round} ${w.label} ${t.label}: ${fmt(s.iops)} IOPS, ${fmt(s.mibPerSecond, 1)} MiB/s, p99 ${latency(s.p99us)}, CPU ${fmt(s.cpuPercent)}%\n`,
          );
          samples.set(key(t, w), [...(samples.get(key(t, w)) ?? []), s]);
        }
      }
    }
    const sorted = (t: Target, w: Workload): Sample[] => [...samples.get(key(t, w))!].sort((a, b) => b.iops - a.iops);
    const best = (t: Target, w: Workload): Sample => sorted(t, w)[0]!;
    const fsType = spawnSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', root], { encoding: 'utf8' }).stdout?.trim() || 'file system unknown';
    const qemuVersion = withQemu
      ? spawnSync('qemu-nbd', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]!.trim()
      : 'not installed';

    const lines = [
      '## Engine I/O against nbdkit and qemu-nbd (issue: engine performance)',
      '',
      'fio `--ioengine=nbd` (one job, one TCP connection on 127.0.0.1) against three servers started side by side',
      `in the same run, each on its own 1 GiB backing file in the same temp dir (${fsType}),`,
      'made identically: a sparse file preallocated with `fallocate`, then preconditioned with one sequential',
      '1 MiB write pass over the whole GiB through the server, so every read hits written data. Servers:',
      'the sanspec engine (single virtual disk v1 on s1, 1 GiB, write-back cache 256 MiB, file backend);',
      '`nbdkit --foreground file FILE`; `qemu-nbd -f raw --persistent FILE` (cache=writeback, its default)',
      `(${qemuVersion}). Each workload is fio \`--direct=0 --time_based --runtime=${RUNTIME_SECONDS} --ramp_time=${RAMP_SECONDS} --size=1G\``,
      `and runs ${ROUNDS} times per server, interleaved (round, then workload, then server); after every run a FLUSH`,
      'through the sanspec host client writes back what the run left dirty (not measured). Reported: the better of',
      `the ${ROUNDS} runs by IOPS, with latency and CPU from that same run; the other run's IOPS is in parentheses`,
      "(the spread shows how noisy the machine was). p99 is fio's completion latency",
      "(`clat_ns` percentile 99.000000). Server CPU is the serving process's user + system time (all threads;",
      "for the engine, the storage server process of s1) over the fio run's wall time, in % of one core.",
      `Load average (1 min) when the section started: ${loadStart.toFixed(2)}; when it ended: ${loadavg()[0]!.toFixed(2)}.`,
      '',
      '| workload | server | IOPS | MiB/s | p99 latency | server CPU % |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
    ];
    for (const w of WORKLOADS) {
      for (const t of targets) {
        const s = best(t, w);
        const others = sorted(t, w)
          .slice(1)
          .map((o) => fmt(o.iops))
          .join(', ');
        lines.push(
          `| ${w.label} | ${t.label} | ${fmt(s.iops)}${others ? ` (${others})` : ''} | ${fmt(s.mibPerSecond, 1)} | ${latency(s.p99us)} | ${fmt(s.cpuPercent)} |`,
        );
      }
    }
    const [engine, nbdkit] = targets as [Target, Target];
    const ratio = (t: Target, w: Workload) => best(t, w).iops / best(nbdkit, w).iops;
    lines.push('', 'Ratios of IOPS against nbdkit, measured side by side in this run:', '');
    for (const w of WORKLOADS) {
      const others = targets
        .slice(2)
        .map((t) => `, ${t.label} ${ratio(t, w).toFixed(2)}x`)
        .join('');
      lines.push(`- ${w.label}: sanspec engine ${ratio(engine, w).toFixed(2)}x${others}`);
    }
    const goal = (w: Workload, min: number, what: string) => {
      const r = ratio(engine, w);
      return `- Goal: ${what} at least ${min.toFixed(1)}x nbdkit's IOPS: ${r.toFixed(2)}x, ${r >= min ? 'met' : 'NOT met'}.`;
    };
    lines.push('', goal(RANDOM_WRITE, 1.0, '4 KiB random writes (write-back)'), goal(RANDOM_READ, 0.5, '4 KiB random reads'));
    return lines.join('\n');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup.run();
  }
}
