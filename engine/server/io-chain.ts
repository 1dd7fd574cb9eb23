// The I/O chain of one virtual disk on this server, assembled here and nowhere else, bottom up,
// as nbdkit stacks filters over a plugin. Each link is a `BlockLayer` (engine/types.ts) over the
// link below it and knows nothing else of it:
//
//   NBD front end -> [mirror] -> write-back cache -> backend
//
// The mirror link is there only for a mirrored disk (engine/mirror, through its `MirrorService`
// contract). Extra links (a fault layer, a tracer, a power-loss overlay; engine/layers/) are
// stacked with `extraLinks` directly above a standard link:
//   above 'backend': between the cache and the backend; sees destage writes, loads, discards and
//                    syncs (fdatasync), as a disk would;
//   above 'cache':   between the mirror (or the front end) and the cache; sees host requests and,
//                    on a mirrored disk, the partner's replicated and recovery writes;
//   above 'mirror':  between the front end and the mirror; sees only host requests.
// docs/engine.md has the diagram.

import type { VirtualDiskConfig } from '../config/types.js';
import type { MirrorLayer, MirrorService } from '../mirror/types.js';
import { openBackend, WriteBackCache, type OpenBackendOptions, type StorageBackend, type WriteBackCacheOptions } from '../storage/index.js';
import type { BlockDevice, BlockLayer } from '../types.js';

/** The standard links of a chain, bottom up. */
export type ChainPosition = 'backend' | 'cache' | 'mirror';

/** A link stacked into every chain directly above a standard link. */
export interface ExtraLink {
  /** The standard link it goes directly above ('mirror': mirrored disks only). */
  readonly above: ChainPosition;
  /** Builds the link over `next` for `vdisk`. Extras above the same link stack in the order given. */
  readonly make: (next: BlockLayer, vdisk: VirtualDiskConfig) => BlockLayer;
}

/** What a chain is assembled from. */
export interface IoChainOptions {
  vdisk: VirtualDiskConfig;
  /** The backend this copy lives on. */
  backend: OpenBackendOptions;
  /** The cache over it (`closeBackend` is ignored: the chain closes every link itself). */
  cache: WriteBackCacheOptions;
  /** The mirror layer of the server, for a mirrored disk; without it a mirrored disk is never served. */
  mirrors?: MirrorService;
  /** Links to stack into the chain besides the standard ones. */
  extraLinks?: readonly ExtraLink[];
}

/**
 * The links of one virtual disk's copy on this server, top first.
 *
 * Invariants: every link was built over the one after it in `links`, and only here; `close()`
 * closes every link exactly in that order (top down), each even when one above failed, so the
 * cache drains through the links below it before they close.
 */
export class IoChain {
  private constructor(
    readonly vdisk: VirtualDiskConfig,
    /** Every link, the one the front end serves first, the backend last. */
    readonly links: readonly BlockLayer[],
    readonly backend: StorageBackend,
    /** The cache, for the server's cache controls (SRV-13 write-through, stats). */
    readonly cache: WriteBackCache,
    readonly mirror: MirrorLayer | undefined,
  ) {}

  /** Opens the backend and stacks the links over it. On failure, closes what it opened and rethrows. */
  static async assemble(options: IoChainOptions): Promise<IoChain> {
    const { vdisk } = options;
    const built: BlockLayer[] = [];
    const stack = <T extends BlockLayer>(link: T, position: ChainPosition): BlockLayer => {
      built.unshift(link);
      let top: BlockLayer = link;
      for (const extra of options.extraLinks ?? []) {
        if (extra.above !== position) continue;
        top = extra.make(top, vdisk);
        built.unshift(top);
      }
      return top;
    };
    try {
      const backend = await openBackend(options.backend);
      let top = stack(backend, 'backend');
      const cache = new WriteBackCache(top, { ...options.cache, closeBackend: false });
      top = stack(cache, 'cache');
      let mirror: MirrorLayer | undefined;
      if (vdisk.kind === 'mirrored' && options.mirrors) {
        mirror = await options.mirrors.layer(vdisk, top);
        stack(mirror, 'mirror');
      }
      return new IoChain(vdisk, built, backend, cache, mirror);
    } catch (error) {
      await closeAll(built);
      throw error;
    }
  }

  /**
   * What the front end serves for this disk: the top link; for a mirrored disk only while this
   * copy serves hosts, else undefined (the export is refused here, MIR-9, MIR-13).
   */
  exported(): BlockDevice | undefined {
    if (this.vdisk.kind === 'mirrored' && !this.mirror?.serving) return undefined;
    return this.links[0];
  }

  /** Closes every link, top down (the cache drains to the backend first); rejects with the first error. */
  async close(): Promise<void> {
    const errors = await closeAll(this.links);
    if (errors.length > 0) throw errors[0];
  }
}

/** Closes `links` in order, each even if an earlier one failed; returns the errors. */
async function closeAll(links: readonly BlockLayer[]): Promise<unknown[]> {
  const errors: unknown[] = [];
  for (const link of links) await link.close().catch((e: unknown) => errors.push(e));
  return errors;
}
