// The one copy is contracts/byte-queue.ts, shared with the host's NBD client.
export { ByteQueue } from '../../contracts/byte-queue.js';
