// Starts test/fixtures/mirror-peer-main.ts in a child process (node --import tsx) and follows its
// event lines. Cleanup kills it (SIGKILL, then SIGCONT in case it was stopped) and waits for exit.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MirrorLinkOptions } from '../../engine/mirror/index.js';
import type { CleanupStack } from './cleanup-stack.js';
import { waitFor } from './wait-for.js';

const MAIN = fileURLToPath(new URL('../fixtures/mirror-peer-main.ts', import.meta.url));

/** One line the child printed. */
export interface PeerLine {
  readonly event: string;
  readonly [key: string]: unknown;
}

/** A running peer process. */
export interface PeerProcess {
  readonly child: ChildProcess;
  /** The port it listens on (listening side), else undefined. */
  readonly port: number | undefined;
  readonly lines: PeerLine[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** What it printed on stderr (for failure messages). */
  stderr(): string;
  /** Waits until it has printed `count` lines of this event in total. */
  waitEvent(event: string, count?: number, timeoutMs?: number): Promise<PeerLine>;
}

/** Spawns a peer with these link options; registers its cleanup. */
export async function startPeerProcess(cleanup: CleanupStack, options: Omit<MirrorLinkOptions, 'onRequest'>): Promise<PeerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanup.add(child, async (c) => {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGKILL');
      c.kill('SIGCONT');
    }
    await exited;
  });
  const lines: PeerLine[] = [];
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) if (part.trim() !== '') lines.push(JSON.parse(part) as PeerLine);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdin?.on('error', () => {});
  const count = (event: string) => lines.filter((l) => l.event === event).length;
  const waitEvent = async (event: string, n = count(event) + 1, timeoutMs = 10_000): Promise<PeerLine> => {
    await waitFor(
      () => count(event) >= n || child.exitCode !== null || child.signalCode !== null,
      `peer process event '${event}' #${n}`,
      timeoutMs,
    );
    const line = lines.filter((l) => l.event === event)[n - 1];
    if (line === undefined)
      throw new Error(`peer process exited (code ${child.exitCode}, signal ${child.signalCode}) before '${event}'; stderr:\n${stderr}`);
    return line;
  };
  const ready = await waitEvent('ready', 1, 20_000);
  return { child, port: typeof ready.port === 'number' ? ready.port : undefined, lines, exited, stderr: () => stderr, waitEvent };
}
