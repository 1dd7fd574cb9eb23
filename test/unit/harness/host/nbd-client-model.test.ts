// Random command mixes through the host client and the engine server, checked against a model of
// the disk (fast-check model-based testing). Device calls complete after random delays, so
// pipelined replies come back out of order and must still reach the right caller.

import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockDevice } from '../../../../engine/types.js';
import { connect, type NbdClient } from '../../../../harness/host/index.js';
import { createMemoryBlockDevice, type MemoryBlockDevice } from '../../../helpers/memory-block-device.js';
import { CleanupStack } from '../../../helpers/cleanup-stack.js';
import { startTestServer, type TestNbdServer } from '../../../helpers/nbd-test-server.js';

const SIZE = 128 * 1024;
const cleanup = new CleanupStack();
const memory: MemoryBlockDevice = createMemoryBlockDevice(SIZE);
let t: TestNbdServer;

/** Delays every call by 0-2 ms so completions reorder. */
function jittery(device: MemoryBlockDevice): BlockDevice {
  const jitter = () => new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 3)));
  return {
    size: device.size,
    read: async (o, l) => {
      await jitter();
      return device.read(o, l);
    },
    write: async (o, d, opts) => {
      await jitter();
      return device.write(o, d, opts);
    },
    flush: async () => {
      await jitter();
      return device.flush();
    },
    trim: async (o, l, opts) => {
      await jitter();
      return device.trim(o, l, opts);
    },
    writeZeroes: async (o, l, opts) => {
      await jitter();
      return device.writeZeroes(o, l, opts);
    },
  };
}

beforeAll(async () => {
  t = await startTestServer(cleanup, { size: SIZE, device: jittery(memory) });
});
afterAll(() => cleanup.run());

interface Model {
  readonly data: Buffer;
}
interface Real {
  readonly client: NbdClient;
}
type Cmd = fc.AsyncCommand<Model, Real>;

const range = fc
  .tuple(fc.integer({ min: 0, max: SIZE - 1 }), fc.integer({ min: 1, max: 16384 }))
  .map(([offset, length]) => ({ offset, length: Math.min(length, SIZE - offset) }));

class Write implements Cmd {
  constructor(
    readonly offset: number,
    readonly data: Buffer,
    readonly fua: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.client.write(this.offset, this.data, { fua: this.fua });
    this.data.copy(m.data, this.offset);
    if (this.fua) expect(memory.durable.subarray(this.offset, this.offset + this.data.length).equals(this.data)).toBe(true);
  }
  toString = () => `write(${this.offset}, ${this.data.length}${this.fua ? ', fua' : ''})`;
}

class Read implements Cmd {
  constructor(
    readonly offset: number,
    readonly length: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const got = await r.client.read(this.offset, this.length);
    expect(got.equals(m.data.subarray(this.offset, this.offset + this.length))).toBe(true);
  }
  toString = () => `read(${this.offset}, ${this.length})`;
}

class Zero implements Cmd {
  constructor(
    readonly kind: 'trim' | 'writeZeroes',
    readonly offset: number,
    readonly length: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.client[this.kind](this.offset, this.length);
    m.data.fill(0, this.offset, this.offset + this.length); // the test device zeroes trimmed ranges
  }
  toString = () => `${this.kind}(${this.offset}, ${this.length})`;
}

class Flush implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.client.flush();
    expect(memory.durable.equals(m.data)).toBe(true);
  }
  toString = () => 'flush()';
}

/** Pipelined writes and reads on distinct 4 KiB blocks, all in flight at once. */
class Batch implements Cmd {
  constructor(readonly ops: readonly { block: number; write: boolean }[]) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const before = Buffer.from(m.data);
    await Promise.all(
      this.ops.map(async ({ block, write }) => {
        const offset = block * 4096;
        if (write) {
          const data = randomBytes(4096);
          await r.client.write(offset, data);
          data.copy(m.data, offset);
        } else {
          const got = await r.client.read(offset, 4096);
          expect(got.equals(before.subarray(offset, offset + 4096)), `block ${block}`).toBe(true);
        }
      }),
    );
  }
  toString = () => `batch(${this.ops.map((o) => `${o.write ? 'w' : 'r'}${o.block}`).join(' ')})`;
}

const commands = [
  fc.tuple(range, fc.boolean()).map(([r, fua]) => new Write(r.offset, randomBytes(r.length), fua)),
  range.map((r) => new Read(r.offset, r.length)),
  fc.tuple(fc.constantFrom('trim' as const, 'writeZeroes' as const), range).map(([kind, r]) => new Zero(kind, r.offset, r.length)),
  fc.constant(new Flush()),
  fc
    .uniqueArray(fc.record({ block: fc.integer({ min: 0, max: SIZE / 4096 - 1 }), write: fc.boolean() }), {
      selector: (o) => o.block,
      minLength: 2,
      maxLength: 24,
    })
    .map((ops) => new Batch(ops)),
];

describe('host client and engine server under random command mixes', () => {
  it('DS-4 every read returns the latest acknowledged write (model), with pipelined out-of-order completions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30 }), async (cmds) => {
        memory.data.fill(0);
        memory.durable.fill(0);
        const client = await connect({ ...t.target, exportName: 'disk', timeoutMs: 5000 });
        try {
          await fc.asyncModelRun(() => ({ model: { data: Buffer.alloc(SIZE) }, real: { client } }), cmds);
        } finally {
          await client.disconnect();
        }
      }),
      { numRuns: 60 },
    );
  });
});
