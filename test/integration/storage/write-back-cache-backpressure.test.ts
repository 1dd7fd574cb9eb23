import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('write-back cache under backpressure', () => {
  it('several large writers waiting for room on a slow backend all complete and every write lands (no livelock)', async () => {
    // In a child process: a livelock would starve this test's own event loop, so the deadline
    // must be enforced from outside.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/fixtures/storage-backpressure-scenario.ts'], {
      timeout: 60_000,
      killSignal: 'SIGKILL',
    });
    const r = JSON.parse(stdout) as { ms: number; ticks: number; maxDirtyBytes: number; lastBlockIntact: boolean };
    expect(r.ticks).toBeGreaterThan(5); // timers kept firing while writers waited
    expect(r.maxDirtyBytes).toBeLessThanOrEqual(1024 * 4096); // the bound held
    expect(r.lastBlockIntact).toBe(true);
  }, 90_000);
});
