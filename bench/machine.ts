import { execFileSync } from 'node:child_process';
import { cpus, release, totalmem } from 'node:os';

/** One line describing the machine a benchmark ran on. */
export function machineLine(): string {
  const cpu = cpus();
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0]!.trim();
    } catch {
      return 'not installed';
    }
  };
  return [
    `${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}`,
    `${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    `Linux ${release()}`,
    `Node ${process.version}`,
    `fio ${version('fio', ['--version'])}`,
    `nbdkit ${version('nbdkit', ['--version'])}`,
  ].join(', ');
}
