// A stand-in for a storage server process in the loop-device crash test: opens a loop backend for
// argv[2] (size argv[3]), prints {"device": ...} on stdout, and waits to be killed.
// Run: node --import tsx test/helpers/storage-loop-holder.ts FILE SIZE

import { openLoopBackend } from '../../engine/storage/loop-backend.js';

const [file, size] = process.argv.slice(2);
if (file === undefined || size === undefined) {
  console.error('usage: storage-loop-holder.ts FILE SIZE');
  process.exit(2);
}
const backend = await openLoopBackend(file, Number(size));
await backend.write(0, Buffer.from('held by a process that will be killed'));
process.stdout.write(`${JSON.stringify({ device: backend.location })}\n`);
setInterval(() => undefined, 1 << 30);
