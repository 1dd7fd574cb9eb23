// A worker thread that checks one topology (check-in-workers.ts starts it from a bundle): the
// topology comes in as workerData, progress and the report go back as messages.
import { parentPort, workerData } from 'node:worker_threads';
import { createGroupModel } from '../../models/group.js';
import type { Topology } from '../../models/types.js';
import { checkModel } from './check-model.js';
import type { WorkerMessage } from './check-in-workers.js';

const post = (m: WorkerMessage) => parentPort!.postMessage(m);
const { topology } = workerData as { topology: Topology };
try {
  const report = checkModel(createGroupModel(topology), { onProgress: (states) => post({ type: 'progress', states }) });
  post({ type: 'report', report });
} catch (error) {
  const e = error as { message?: string; code?: string; details?: unknown };
  post({ type: 'error', message: e.message ?? String(error), code: e.code, details: e.details });
}
