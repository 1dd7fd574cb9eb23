// Progress on stderr: without a terminal, a plain line every few seconds (CI logs); on a
// terminal, a cli-progress bar that leaves no line behind when it stops.

import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../../harness/conform/progress.js';

const at = (pathsDone: number, stepsDone: number, failures = 0) => ({ pathsDone, pathsTotal: 10, stepsDone, failures, elapsedMs: 2000 });

describe('progress', () => {
  it('without a terminal: lines of paths done, steps per second, time left and failures, at most every interval', () => {
    let out = '';
    const p = createProgress({ write: (t: string) => (out += t) }, 10, 0);
    p.update(at(2, 8, 1));
    p.stop();
    expect(out.split('\n').filter(Boolean)).toEqual([
      'paths 2/10, 4.0 steps/s, about 8 s left, failures 1',
      'paths 2/10, 4.0 steps/s, about 8 s left, failures 1',
    ]);
    let quiet = '';
    const q = createProgress({ write: (t: string) => (quiet += t) }, 10, 60_000);
    q.update(at(1, 1));
    expect(quiet).toBe('');
  });

  it('on a terminal: a bar with paths, steps per second and failures', () => {
    let out = '';
    const tty = {
      isTTY: true,
      columns: 120,
      write: (t: string) => {
        out += t;
        return true;
      },
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    };
    const p = createProgress(tty, 10);
    p.update(at(5, 20, 2));
    p.stop();
    expect(out).toMatch(/paths .* 5\/10 \| 10\.0 steps\/s \| ETA .* \| failures 2/);
  });
});
