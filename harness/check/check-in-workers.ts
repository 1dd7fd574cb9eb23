// `sanspec check` runs each topology's check in a worker thread started from an esbuild bundle of
// the checker: the TypeScript loader the CLI runs under (tsx) compiles with names kept on every
// function, which makes the checker's hot loops about 1.5 times slower, and worker threads check
// several topologies at once, one per core. The bundle is cached by a hash of its sources, like the
// engine's (engine/build/engine-bundle.ts). When no bundle can be built, topologies are checked
// in this thread, one after the other.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { cacheRoot, findOrBuildBundle, repositoryRoot } from '../../engine/build/engine-bundle.js';
import type { Topology } from '../../models/types.js';
import type { CheckReport } from '../types.js';

/** What a check worker posts. */
export type WorkerMessage =
  | { type: 'progress'; states: number }
  | { type: 'report'; report: CheckReport }
  | { type: 'error'; message: string; code?: string; details?: unknown };

/** A check that failed in its worker (an invalid topology, a state space too large, a bug). */
export class CheckWorkerError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly details: unknown,
  ) {
    super(message);
    this.name = 'CheckWorkerError';
  }
}

/** The checker's bundle (built once per change of models/, harness/ or contracts/), or null when esbuild cannot build it. */
export function checkerBundle(): string | null {
  try {
    const root = repositoryRoot();
    return findOrBuildBundle(root, cacheRoot(root), {
      name: 'checker',
      entries: { check: 'harness/check/check-worker.ts' },
      roots: ['models', 'harness', 'contracts'],
      version: 1,
    }).entries.check;
  } catch {
    return null;
  }
}

export interface CheckTopologiesOptions {
  /** Called with a topology's number of explored states now and then. */
  onProgress?: (topology: string, states: number) => void;
  /** Called with each report as soon as it and every report before it are done (reports come in topology order). */
  onReport?: (report: CheckReport) => void;
  /** Workers at once (default: the number of cores). */
  concurrency?: number;
}

/** Checks every topology, in worker threads when the checker's bundle can be built; reports in topology order. */
export async function checkTopologies(topologies: readonly Topology[], options: CheckTopologiesOptions = {}): Promise<CheckReport[]> {
  const bundle = checkerBundle();
  const reports: Array<CheckReport | undefined> = [];
  let delivered = 0;
  const deliver = () => {
    while (delivered < topologies.length && reports[delivered]) options.onReport?.(reports[delivered++]!);
  };
  if (!bundle) {
    const [{ createGroupModel }, { checkModel }] = await Promise.all([import('../../models/group.js'), import('./check-model.js')]);
    for (const [i, t] of topologies.entries()) {
      reports[i] = checkModel(createGroupModel(t), { onProgress: (n) => options.onProgress?.(t.name, n) });
      deliver();
    }
    return reports as CheckReport[];
  }
  const concurrency = Math.max(1, Math.min(options.concurrency ?? availableParallelism(), topologies.length));
  let next = 0;
  const running = new Set<Worker>();
  const runOne = async (): Promise<void> => {
    while (next < topologies.length) {
      const i = next++;
      const topology = topologies[i]!;
      reports[i] = await new Promise<CheckReport>((resolve, reject) => {
        // No inherited Node options: the bundle needs none, and a test runner's (vitest's loader
        // hooks) made the worker hang.
        const worker = new Worker(bundle, { workerData: { topology }, execArgv: [] });
        running.add(worker);
        let settled = false;
        worker.on('message', (m: WorkerMessage) => {
          if (m.type === 'progress') options.onProgress?.(topology.name, m.states);
          else if (m.type === 'report') {
            settled = true;
            resolve(m.report);
          } else {
            settled = true;
            reject(new CheckWorkerError(m.message, m.code, m.details));
          }
        });
        worker.on('error', (error) => {
          settled = true;
          reject(error);
        });
        worker.on('exit', (code) => {
          running.delete(worker);
          if (!settled) reject(new Error(`the check of ${topology.name} stopped with exit code ${code} before reporting`));
        });
      });
      deliver();
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, runOne));
  } finally {
    await Promise.all([...running].map((w) => w.terminate()));
  }
  return reports as CheckReport[];
}
