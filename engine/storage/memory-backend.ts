// A backend in memory, for unit tests. It models a disk with a volatile write cache: writes are
// visible at once, but only `sync` makes them durable, and `durableImage()` is what a crash
// (power loss) would leave behind (SRV-11).

import { BackendLink } from './backend-link.js';
import { checkRange, checkSize } from './check-range.js';
import { StorageError } from './storage-error.js';
import type { DiscardMethod } from './types.js';

/** Page size of the memory backend. */
const PAGE = 4096;

/** Counters of a memory backend, for tests. */
export interface MemoryBackendStats {
  /** Write calls (`write` and `writev`). */
  writes: number;
  /** Bytes written. */
  bytesWritten: number;
  /** Read calls. */
  reads: number;
  /** Completed syncs. */
  syncs: number;
  /** Discard calls. */
  discards: number;
}

export class MemoryBackend extends BackendLink {
  readonly kind = 'memory' as const;
  readonly location: string;
  readonly discardMethod: DiscardMethod = 'memory';
  readonly stats: MemoryBackendStats = { writes: 0, bytesWritten: 0, reads: 0, syncs: 0, discards: 0 };
  /** Current contents, page by page; a missing page is zeros. Pages are never modified in place. */
  private readonly pages = new Map<number, Buffer>();
  /** Contents as of the last sync. */
  private readonly durablePages = new Map<number, Buffer>();
  /** Pages changed since the last sync. */
  private readonly unsynced = new Set<number>();
  private closed = false;

  constructor(
    /** Size in bytes. */
    readonly size: number,
    /** A label for messages. */
    name = 'memory',
  ) {
    super();
    checkSize(`memory backend ${name}`, size);
    this.location = `memory:${name}`;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.check(offset, length);
    this.stats.reads++;
    return copyOut(this.pages, offset, length);
  }

  protected async writeBuffers(offset: number, buffers: readonly Buffer[]): Promise<void> {
    const length = buffers.reduce((sum, b) => sum + b.length, 0);
    this.check(offset, length);
    this.stats.writes++;
    this.stats.bytesWritten += length;
    let at = offset;
    for (const b of buffers) {
      this.put(at, b);
      at += b.length;
    }
  }

  /** Deallocates the range: reads return zeros afterwards. */
  async discard(offset: number, length: number): Promise<void> {
    this.check(offset, length);
    this.stats.discards++;
    this.put(offset, null, length);
  }

  /** Makes every completed write durable. */
  async sync(): Promise<void> {
    this.checkOpen();
    for (const page of this.unsynced) {
      const data = this.pages.get(page);
      if (data === undefined) this.durablePages.delete(page);
      else this.durablePages.set(page, data);
    }
    this.unsynced.clear();
    this.stats.syncs++;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** The current contents (what reads return). Works after `close()` too. */
  image(): Buffer {
    return copyOut(this.pages, 0, this.size);
  }

  /** What survives a crash: the contents as of the last completed sync. Works after `close()`. */
  durableImage(): Buffer {
    return copyOut(this.durablePages, 0, this.size);
  }

  /** Writes `data` (or zeros over `zeroLength` bytes when `data` is null) without copying twice. */
  private put(offset: number, data: Buffer | null, zeroLength = 0): void {
    const length = data === null ? zeroLength : data.length;
    const end = offset + length;
    for (let page = Math.floor(offset / PAGE); page * PAGE < end; page++) {
      const pageStart = page * PAGE;
      const from = Math.max(offset, pageStart);
      const to = Math.min(end, pageStart + PAGE);
      this.unsynced.add(page);
      if (data === null && from === pageStart && to === pageStart + PAGE) {
        this.pages.delete(page);
        continue;
      }
      const next = Buffer.alloc(PAGE);
      this.pages.get(page)?.copy(next);
      if (data === null) next.fill(0, from - pageStart, to - pageStart);
      else data.copy(next, from - pageStart, from - offset, to - offset);
      this.pages.set(page, next);
    }
  }

  private check(offset: number, length: number): void {
    this.checkOpen();
    checkRange(this.location, this.size, offset, length);
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new StorageError('STORAGE_CLOSED', `${this.location}: the backend is closed; open a new one`);
    }
  }
}

function copyOut(pages: ReadonlyMap<number, Buffer>, offset: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  const end = offset + length;
  for (let page = Math.floor(offset / PAGE); page * PAGE < end; page++) {
    const data = pages.get(page);
    if (data === undefined) continue;
    const pageStart = page * PAGE;
    const from = Math.max(offset, pageStart);
    const to = Math.min(end, pageStart + PAGE);
    data.copy(out, from - offset, from - pageStart, to - pageStart);
  }
  return out;
}
