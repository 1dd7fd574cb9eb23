// Progress of a run on stderr: a cli-progress bar on a terminal (paths done of total, steps per
// second, time left, failures so far), or, without a terminal (CI logs), one line every few
// seconds.

import cliProgress from 'cli-progress';
import type { RunProgress } from './types.js';

/** A progress display. */
export interface ProgressDisplay {
  update(p: RunProgress): void;
  stop(): void;
}

/** Where progress goes: a writable stream, a terminal or not. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const rate = (p: RunProgress) => (p.elapsedMs > 0 ? (p.stepsDone * 1000) / p.elapsedMs : 0);

/** Creates the display for `total` paths on `stream`; `everyMs`: how often a line is written without a terminal. */
export function createProgress(stream: ProgressStream, total: number, everyMs = 5000): ProgressDisplay {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: stream as NodeJS.WritableStream,
        format: ' paths {bar} {value}/{total} | {rate} steps/s | ETA {eta_formatted} | failures {failures}',
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 20,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0.0', failures: 0 });
    return {
      update: (p) => bar.update(p.pathsDone, { rate: rate(p).toFixed(1), failures: p.failures }),
      stop: () => bar.stop(),
    };
  }
  let last = performance.now();
  let latest: RunProgress | null = null;
  const line = (p: RunProgress) => {
    const left = p.pathsDone > 0 ? ((p.elapsedMs / p.pathsDone) * (p.pathsTotal - p.pathsDone)) / 1000 : Number.NaN;
    stream.write(
      `paths ${p.pathsDone}/${p.pathsTotal}, ${rate(p).toFixed(1)} steps/s, ${Number.isNaN(left) ? 'time left unknown' : `about ${Math.ceil(left)} s left`}, failures ${p.failures}\n`,
    );
  };
  return {
    update(p) {
      latest = p;
      if (performance.now() - last >= everyMs) {
        last = performance.now();
        line(p);
      }
    },
    stop() {
      if (latest && latest.pathsDone > 0) line(latest);
    },
  };
}
