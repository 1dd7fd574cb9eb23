import { describe, expect, it } from 'vitest';
import type { VirtualDiskConfig } from '../../../../engine/config/types.js';
import { PassThroughLayer } from '../../../../engine/layers/pass-through-layer.js';
import { IoChain, type ChainPosition, type ExtraLink } from '../../../../engine/server/io-chain.js';
import { MemoryBackend } from '../../../../engine/storage/memory-backend.js';
import type { BlockLayer, WriteOptions } from '../../../../engine/types.js';
import { pattern } from '../../../helpers/storage-fixtures.js';

const MiB = 1024 * 1024;
const NO_FUA = { fua: false };
const single: VirtualDiskConfig = { name: 'v1', kind: 'single', server: 's1', sizeMiB: 4 };

/** A pass-through link that records what reaches it: the smallest useful extra link. */
class Recorder extends PassThroughLayer {
  readonly seen: string[] = [];
  constructor(
    next: BlockLayer,
    readonly closed: string[],
    readonly tag: string,
  ) {
    super(next, `recorder ${tag}`);
  }
  override write(offset: number, data: Buffer, options: WriteOptions): Promise<void> {
    this.seen.push(`write ${offset} ${data.length}`);
    return super.write(offset, data, options);
  }
  override writev(offset: number, buffers: readonly Buffer[], options: WriteOptions): Promise<void> {
    this.seen.push(`write ${offset} ${buffers.reduce((n, b) => n + b.length, 0)}`);
    return super.writev(offset, buffers, options);
  }
  override flush(): Promise<void> {
    this.seen.push('flush');
    return super.flush();
  }
  override close(): Promise<void> {
    this.closed.push(this.tag);
    return super.close();
  }
}

async function assemble(extraLinks: ExtraLink[], vdisk: VirtualDiskConfig = single): Promise<IoChain> {
  return IoChain.assemble({
    vdisk,
    backend: { kind: 'memory', path: vdisk.name, size: vdisk.sizeMiB * MiB },
    // A long destage delay: only the flush writes to the backend, so what the links see is exact.
    cache: { mode: 'writeBack', sizeBytes: MiB, destageDelayMs: 60_000 },
    extraLinks,
  });
}

describe('the I/O chain of a virtual disk', () => {
  it('an extra link stacks directly above the link it names: above the cache it sees host requests, above the backend what the cache writes', async () => {
    const closed: string[] = [];
    const recorders = new Map<ChainPosition, Recorder>();
    const at = (above: ChainPosition): ExtraLink => ({
      above,
      make: (next) => {
        const r = new Recorder(next, closed, above);
        recorders.set(above, r);
        return r;
      },
    });
    const chain = await assemble([at('backend'), at('cache'), at('mirror')]);
    // A single disk has no mirror link, so nothing is stacked above one.
    expect(recorders.has('mirror')).toBe(false);
    expect(chain.links.map((l) => l.location)).toEqual([
      'recorder cache over write-back cache over recorder backend over memory:v1',
      'write-back cache over recorder backend over memory:v1',
      'recorder backend over memory:v1',
      'memory:v1',
    ]);
    const device = chain.exported()!;
    expect(device).toBe(chain.links[0]);
    await device.write(0, pattern(4096, 1), NO_FUA);
    await device.write(4096, pattern(4096, 2), NO_FUA);
    expect(recorders.get('cache')!.seen).toEqual(['write 0 4096', 'write 4096 4096']);
    expect(recorders.get('backend')!.seen).toEqual([]);
    await device.flush();
    // The cache coalesced the two adjacent blocks into one destage write, then synced.
    expect(recorders.get('backend')!.seen).toEqual(['write 0 8192', 'flush']);
    const backend = chain.backend as MemoryBackend;
    expect(
      backend
        .durableImage()
        .subarray(0, 8192)
        .equals(Buffer.concat([pattern(4096, 1), pattern(4096, 2)])),
    ).toBe(true);
    await chain.close();
    expect(closed).toEqual(['cache', 'backend']);
    await expect(backend.read(0, 4096)).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
  });

  it('a mirrored disk without a mirror layer is never exported', async () => {
    const chain = await assemble([], { name: 'm1', kind: 'mirrored', copies: ['s1', 's2'], sizeMiB: 4 });
    expect(chain.mirror).toBeUndefined();
    expect(chain.exported()).toBeUndefined();
    await chain.close();
  });

  it('a chain that cannot be assembled closes the links it already opened', async () => {
    let opened: MemoryBackend | undefined;
    const failing: ExtraLink = {
      above: 'cache',
      make: () => {
        throw new Error('this link cannot be built');
      },
    };
    const spy: ExtraLink = {
      above: 'backend',
      make: (next) => {
        if (next instanceof MemoryBackend) opened = next;
        return next;
      },
    };
    await expect(assemble([spy, failing])).rejects.toThrow('this link cannot be built');
    expect(opened).toBeDefined();
    await expect(opened!.read(0, 4096)).rejects.toMatchObject({ code: 'STORAGE_CLOSED' });
  });
});
