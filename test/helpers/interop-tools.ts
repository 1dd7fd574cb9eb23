// Helpers for interoperability tests against a real engine group: Debian tools run in a chosen
// working directory (fio writes state files into it), fio's JSON report, and bytes read straight
// from a copy's backing file (what a crash cannot take away).

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { runTool, type ToolResult } from './debian-tools.js';

/** Runs `tool` in `cwd` with a timeout; never rejects for a non-zero exit (the caller asserts on it). */
export function runToolIn(tool: string, args: readonly string[], options: { cwd: string; timeoutMs?: number }): Promise<ToolResult> {
  return runTool(tool, args, options);
}

/** The parts of one fio job report the interop tests look at. */
export interface FioJobReport {
  jobname: string;
  error: number;
  read: { io_bytes: number; iops: number };
  write: { io_bytes: number; iops: number };
}

/**
 * Parses `fio --output-format=json` output. The nbd ioengine prints "fio: connected to NBD server"
 * lines on stdout before the JSON document, so parsing starts at the first '{'.
 */
export function parseFioJson(stdout: string): { jobs: FioJobReport[] } {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`fio printed no JSON report:\n${stdout.slice(0, 2000)}`);
  return JSON.parse(stdout.slice(start)) as { jobs: FioJobReport[] };
}

/** SHA-256 of a buffer, hex. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads `length` bytes at `offset` from a backing file (the copy's persistent bytes). */
export async function readBackingFile(path: string, offset: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(out, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return out;
  } finally {
    await fh.close();
  }
}

/**
 * A 4 KiB block image that names itself: block number and version in a header, then bytes derived
 * from both. A block read back is exactly one version, or torn (DS-8).
 */
export function versionedBlock(block: number, version: number): Buffer {
  const out = Buffer.allocUnsafe(4096);
  let seed = createHash('sha256').update(`block ${block} version ${version}`).digest();
  for (let at = 0; at < 4096; at += 32) {
    seed.copy(out, at);
    seed = createHash('sha256').update(seed).digest();
  }
  out.write('SANSPEC!', 0, 'latin1');
  out.writeUInt32BE(block, 8);
  out.writeUInt32BE(version, 12);
  return out;
}

/** Blocks [first, first + count) at `version`, back to back. */
export function versionedBlocks(first: number, count: number, version: number): Buffer {
  return Buffer.concat(Array.from({ length: count }, (_, i) => versionedBlock(first + i, version)));
}
