// Child-process scenario for the backpressure regression test: several 1 MiB writers wait for
// room in a full cache over a slow backend. Prints a JSON result; a livelock would starve the
// event loop of this process, so the parent enforces the deadline.
import { FaultInjectingBackend, MemoryBackend, WriteBackCache } from '../../engine/storage/index.js';
import { pattern } from './storage-fixtures.js';

const BS = 4096;
const memory = new MemoryBackend(64 * 1024 * 1024, 'slow');
const slow = () => new Promise<void>((r) => setTimeout(r, 5));
const backend = new FaultInjectingBackend(memory, { gate: (op, _o, _l, phase) => (op === 'write' && phase === 'start' ? slow() : Promise.resolve()) });
const cache = new WriteBackCache(backend, { mode: 'writeBack', sizeBytes: 1024 * BS, maxDestageBytes: 8 * BS, closeBackend: false });
let ticks = 0;
const timer = setInterval(() => ticks++, 10);
const started = Date.now();
await Promise.all(
  [0, 1, 2, 3].map(async (w) => {
    for (let i = 0; i < 8; i++) await cache.write((w * 8 + i) * 256 * BS, pattern(256 * BS, w * 100 + i), { fua: false });
  }),
);
await cache.close();
clearInterval(timer);
const last = await memory.read((3 * 8 + 7) * 256 * BS, 256 * BS);
process.stdout.write(`${JSON.stringify({ ms: Date.now() - started, ticks, maxDirtyBytes: cache.stats().maxDirtyBytes, lastBlockIntact: last.equals(pattern(256 * BS, 307)) })}\n`);
