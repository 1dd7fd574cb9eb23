// Runs nbdkit (Debian package nbdkit) on a Unix socket in a temp dir for client tests.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CleanupStack } from './cleanup-stack.js';
import { waitFor } from './wait-for.js';

/** A running nbdkit. */
export interface NbdkitProcess {
  readonly socket: string;
  /** nbd+unix URI of the default export. */
  readonly uri: string;
  readonly child: ChildProcess;
  /** What nbdkit printed on stderr so far (for failure messages). */
  stderr(): string;
}

const filters = new Map<string, boolean>();

/** True when this nbdkit has the filter (some distributions package filters separately); warns if not. */
export function hasNbdkitFilter(filter: string): boolean {
  let ok = filters.get(filter);
  if (ok === undefined) {
    ok = spawnSync('nbdkit', [`--filter=${filter}`, 'null', '--run', 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
    filters.set(filter, ok);
    if (!ok) console.warn(`skipping tests that need the nbdkit ${filter} filter: not available (apt-get install nbdkit)`);
  }
  return ok;
}

/** Starts `nbdkit <args>` in the foreground on a fresh Unix socket; stops it at cleanup. */
export async function startNbdkit(cleanup: CleanupStack, args: readonly string[]): Promise<NbdkitProcess> {
  const dir = cleanup.add(mkdtempSync(join(tmpdir(), 'sanspec-nbdkit-')), (d) => rmSync(d, { recursive: true, force: true }));
  const socket = join(dir, 'nbdkit.sock');
  const child = spawn('nbdkit', ['--foreground', '--exit-with-parent', '-U', socket, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanup.add(child, async (c) => {
    if (c.exitCode === null && c.signalCode === null) {
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  });
  const accepts = () =>
    new Promise<boolean>((resolve) => {
      const probe = connect({ path: socket });
      probe.on('error', () => resolve(false));
      probe.on('connect', () => {
        probe.destroy();
        resolve(true);
      });
    });
  await waitFor(
    async () => child.exitCode !== null || (existsSync(socket) && (await accepts())),
    `nbdkit ${args.join(' ')} to listen`,
    10_000,
  );
  if (child.exitCode !== null) throw new Error(`nbdkit ${args.join(' ')} exited with ${child.exitCode}: ${stderr}`);
  return { socket, uri: `nbd+unix:///?socket=${socket}`, child, stderr: () => stderr };
}
