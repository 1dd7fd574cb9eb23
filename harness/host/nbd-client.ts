// An open NBD connection in the transmission phase: pipelined requests matched to replies by
// handle, per-request timeouts, and errors that tell fail from unknown.

import type { Socket } from 'node:net';
import { ByteQueue } from '../../contracts/byte-queue.js';
import {
  NbdConnectionLostError,
  NbdInvalidRequestError,
  NbdNotConnectedError,
  NbdRequestError,
  NbdTimeoutError,
  type NbdCommandName,
} from './errors.js';
import {
  CMD_DISC,
  CMD_FLAG_FUA,
  CMD_FLAG_NO_HOLE,
  CMD_FLUSH,
  CMD_READ,
  CMD_TRIM,
  CMD_WRITE,
  CMD_WRITE_ZEROES,
  NBD_ERRNO_NAMES,
  REQUEST_HEADER_SIZE,
  REQUEST_MAGIC,
  SIMPLE_REPLY_MAGIC,
  SIMPLE_REPLY_SIZE,
  STRUCTURED_REPLY_MAGIC,
} from '../../contracts/nbd.js';
import type { NbdBlockSize, NbdExportInfo, NbdFeatures, NbdRequestOptions, NbdWriteOptions, NbdWriteZeroesOptions } from './types.js';
import { match } from 'ts-pattern';

const TWO_POW_32 = 0x1_0000_0000;
const MAX_UINT32 = 0xffff_ffff;
/** Default maximum READ/WRITE when the server did not advertise one (proto.md interop limit). */
const DEFAULT_MAX_BLOCK = 32 * 1024 * 1024;

/** A request sent and not yet answered. */
interface Pending {
  readonly handle: number;
  readonly command: NbdCommandName;
  readonly offset: number;
  readonly length: number;
  readonly resolve: (value: Buffer | undefined) => void;
  readonly reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
  /** The caller got a timeout; a late reply is consumed and dropped. */
  timedOut: boolean;
}

/** Reply parser state. */
type ReplyState = { readonly kind: 'header' } | { readonly kind: 'data'; readonly pending: Pending; readonly data: Buffer; filled: number };

/** Connection life. */
type ClientState =
  | { readonly kind: 'open' }
  | { readonly kind: 'server-shutdown' } // got ESHUTDOWN: no new requests, soft disconnect when idle
  | { readonly kind: 'disconnecting' }
  | { readonly kind: 'closed'; readonly detail: string };

/** Settings the client got from `connect`. */
export interface NbdClientSettings {
  readonly timeoutMs: number;
  readonly validateRequests: boolean;
}

/** An open NBD export. Create it with `connect`. */
export class NbdClient {
  /** Export name as opened. */
  readonly exportName: string;
  /** Export size in bytes. */
  readonly size: number;
  /** Raw transmission flags. */
  readonly flags: number;
  /** Decoded transmission flags. */
  readonly features: NbdFeatures;
  /** Block size constraints, if advertised. */
  readonly blockSize: NbdBlockSize | undefined;
  /** Everything the handshake established. */
  readonly info: NbdExportInfo;
  /** Resolves when the socket is closed, with why. */
  readonly closed: Promise<string>;

  private readonly queue = new ByteQueue();
  private readonly pending = new Map<number, Pending>();
  private replyState: ReplyState = { kind: 'header' };
  private state: ClientState = { kind: 'open' };
  private nextHandle = 1;
  private corked = false;
  private waitingIdle: (() => void)[] = [];
  private resolveClosed!: (detail: string) => void;

  constructor(
    private readonly socket: Socket,
    info: NbdExportInfo,
    leftover: readonly Buffer[],
    private readonly settings: NbdClientSettings,
  ) {
    this.info = info;
    this.exportName = info.exportName;
    this.size = info.size;
    this.flags = info.flags;
    this.features = info.features;
    this.blockSize = info.blockSize;
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    for (const chunk of leftover) this.queue.push(chunk);
    socket.on('data', (chunk: Buffer) => {
      this.queue.push(chunk);
      this.parse();
    });
    socket.on('error', (err) => this.lose(`socket error: ${err.message}`));
    socket.on('end', () => this.lose('the server closed the connection'));
    socket.on('close', () => this.onClose());
    if (this.queue.length > 0) this.parse();
  }

  /** Requests sent and not yet answered (timed-out requests included until their reply comes). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** True until the connection closes or a disconnect starts. */
  get isOpen(): boolean {
    return this.state.kind === 'open';
  }

  /** Reads `length` bytes at `offset`. */
  read(offset: number, length: number, options?: NbdRequestOptions): Promise<Buffer> {
    return this.send('read', CMD_READ, 0, offset, length, undefined, options?.timeoutMs).then((b) => b ?? Buffer.alloc(0));
  }

  /** Writes `data` at `offset`; with `fua`, the server replies once it is durable. */
  async write(offset: number, data: Buffer, options?: NbdWriteOptions): Promise<void> {
    await this.send('write', CMD_WRITE, this.fuaFlag('write', options?.fua), offset, data.length, data, options?.timeoutMs);
  }

  /** Makes every write answered before it durable. */
  async flush(options?: NbdRequestOptions): Promise<void> {
    await this.send('flush', CMD_FLUSH, 0, 0, 0, undefined, options?.timeoutMs);
  }

  /** Discards a range (its contents are undefined until written again). */
  async trim(offset: number, length: number, options?: NbdWriteOptions): Promise<void> {
    await this.send('trim', CMD_TRIM, this.fuaFlag('trim', options?.fua), offset, length, undefined, options?.timeoutMs);
  }

  /** Writes zeros over a range. */
  async writeZeroes(offset: number, length: number, options?: NbdWriteZeroesOptions): Promise<void> {
    const flags = this.fuaFlag('write-zeroes', options?.fua) | (options?.noHole === true ? CMD_FLAG_NO_HOLE : 0);
    await this.send('write-zeroes', CMD_WRITE_ZEROES, flags, offset, length, undefined, options?.timeoutMs);
  }

  /**
   * Soft disconnect: waits for answered-or-timed-out in-flight requests, sends NBD_CMD_DISC and
   * closes. New requests are refused from the call on. Resolves when the socket is closed.
   */
  async disconnect(): Promise<void> {
    if (this.state.kind === 'closed') return;
    if (this.state.kind !== 'disconnecting') {
      this.state = { kind: 'disconnecting' };
      await this.whenNoLiveRequests();
      this.sendDisc();
    }
    const timeoutMs = this.settings.timeoutMs;
    if (timeoutMs > 0) {
      const timer = setTimeout(() => this.socket.destroy(), timeoutMs);
      await this.closed;
      clearTimeout(timer);
    } else {
      await this.closed;
    }
  }

  /** Hard disconnect now: unanswered requests fail with NbdConnectionLostError (outcome unknown). */
  destroy(): void {
    this.lose('destroyed by the client');
    this.socket.destroy();
  }

  // ---- sending ----------------------------------------------------------------------------------

  private fuaFlag(command: NbdCommandName, fua: boolean | undefined): number {
    if (fua !== true) return 0;
    if (this.settings.validateRequests && !this.features.fua) {
      throw new NbdInvalidRequestError(command, 'the server did not advertise FUA (NBD_FLAG_SEND_FUA)');
    }
    return CMD_FLAG_FUA;
  }

  private validate(command: NbdCommandName, type: number, offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new NbdInvalidRequestError(command, `offset ${offset} is not a non-negative integer`);
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_UINT32) {
      throw new NbdInvalidRequestError(command, `length ${length} is not an integer from 0 to 2^32-1`);
    }
    if (!this.settings.validateRequests) return;
    const f = this.features;
    if (type === CMD_FLUSH) {
      if (!f.flush) throw new NbdInvalidRequestError(command, 'the server did not advertise FLUSH');
      return;
    }
    if (type === CMD_TRIM && !f.trim) throw new NbdInvalidRequestError(command, 'the server did not advertise TRIM');
    if (type === CMD_WRITE_ZEROES && !f.writeZeroes) throw new NbdInvalidRequestError(command, 'the server did not advertise WRITE_ZEROES');
    if (type !== CMD_READ && f.readOnly) throw new NbdInvalidRequestError(command, 'the export is read-only');
    if (offset + length > this.size) {
      throw new NbdInvalidRequestError(command, `range ${offset}+${length} ends beyond the export (${this.size} bytes)`);
    }
    const min = this.blockSize?.minimum ?? 1;
    if (offset % min !== 0 || length % min !== 0) {
      throw new NbdInvalidRequestError(command, `offset ${offset} and length ${length} must be multiples of the minimum block size ${min}`);
    }
    if (type === CMD_READ || type === CMD_WRITE || type === CMD_WRITE_ZEROES) {
      const max = this.blockSize?.maximum ?? DEFAULT_MAX_BLOCK;
      if (length > max)
        throw new NbdInvalidRequestError(command, `length ${length} exceeds the maximum block size ${max}; split the request`);
    }
  }

  private send(
    command: NbdCommandName,
    type: number,
    flags: number,
    offset: number,
    length: number,
    payload: Buffer | undefined,
    timeoutMs: number | undefined,
  ): Promise<Buffer | undefined> {
    try {
      if (this.state.kind !== 'open') throw new NbdNotConnectedError(command, this.notOpenDetail());
      if (this.socket.destroyed || this.socket.writableEnded) throw new NbdNotConnectedError(command, 'the socket is closed');
      this.validate(command, type, offset, length);
    } catch (err) {
      return Promise.reject(err);
    }
    const handle = this.nextHandle++;
    const header = Buffer.allocUnsafe(REQUEST_HEADER_SIZE);
    header.writeUInt32BE(REQUEST_MAGIC, 0);
    header.writeUInt16BE(flags, 4);
    header.writeUInt16BE(type, 6);
    header.writeUInt32BE(Math.floor(handle / TWO_POW_32), 8);
    header.writeUInt32BE(handle >>> 0, 12);
    header.writeUInt32BE(Math.floor(offset / TWO_POW_32), 16);
    header.writeUInt32BE(offset % TWO_POW_32, 20);
    header.writeUInt32BE(length, 24);
    const limit = timeoutMs ?? this.settings.timeoutMs;
    const promise = new Promise<Buffer | undefined>((resolve, reject) => {
      const p: Pending = { handle, command, offset, length, resolve, reject, timer: undefined, timedOut: false };
      if (limit > 0) {
        p.timer = setTimeout(() => {
          p.timedOut = true;
          p.timer = undefined;
          reject(new NbdTimeoutError(command, offset, length, limit));
          this.checkIdle();
        }, limit);
      }
      this.pending.set(handle, p);
    });
    this.cork();
    this.socket.write(header);
    if (payload !== undefined && payload.length > 0) this.socket.write(payload);
    return promise;
  }

  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.socket.uncork();
    });
  }

  private sendDisc(): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    const header = Buffer.alloc(REQUEST_HEADER_SIZE);
    header.writeUInt32BE(REQUEST_MAGIC, 0);
    header.writeUInt16BE(CMD_DISC, 6);
    this.socket.end(header);
  }

  private notOpenDetail(): string {
    return match(this.state)
      .with({ kind: 'open' }, () => 'the connection is open')
      .with({ kind: 'server-shutdown' }, () => 'the server answered ESHUTDOWN, so this connection is being closed')
      .with({ kind: 'disconnecting' }, () => 'disconnect() was called')
      .with({ kind: 'closed' }, (c) => `the connection is closed (${c.detail})`)
      .exhaustive();
  }

  // ---- receiving --------------------------------------------------------------------------------

  private parse(): void {
    const q = this.queue;
    for (;;) {
      const s = this.replyState;
      if (s.kind === 'data') {
        if (q.length === 0) return;
        const n = Math.min(q.length, s.data.length - s.filled);
        q.copyInto(s.data, s.filled, n);
        s.filled += n;
        if (s.filled < s.data.length) return;
        this.replyState = { kind: 'header' };
        this.complete(s.pending, 0, s.data);
        continue;
      }
      if (q.length < SIMPLE_REPLY_SIZE) return;
      const h = q.take(SIMPLE_REPLY_SIZE);
      const magic = h.readUInt32BE(0);
      if (magic !== SIMPLE_REPLY_MAGIC) {
        const what =
          magic === STRUCTURED_REPLY_MAGIC ? 'a structured reply, which was not negotiated' : `bad reply magic 0x${magic.toString(16)}`;
        this.protocolViolation(what);
        return;
      }
      const errno = h.readUInt32BE(4);
      const handle = h.readUInt32BE(8) * TWO_POW_32 + h.readUInt32BE(12);
      const p = this.pending.get(handle);
      if (p === undefined) {
        this.protocolViolation(`reply for unknown handle ${handle}`);
        return;
      }
      if (errno === 0 && p.command === 'read' && p.length > 0) {
        this.replyState = { kind: 'data', pending: p, data: Buffer.allocUnsafe(p.length), filled: 0 };
        continue;
      }
      this.complete(p, errno, p.command === 'read' ? Buffer.alloc(0) : undefined);
    }
  }

  private complete(p: Pending, errno: number, data: Buffer | undefined): void {
    this.pending.delete(p.handle);
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (!p.timedOut) {
      if (errno === 0) {
        p.resolve(data);
      } else {
        const name = NBD_ERRNO_NAMES.get(errno) ?? 'EINVAL';
        if (name === 'ESHUTDOWN' && this.state.kind === 'open') this.state = { kind: 'server-shutdown' };
        p.reject(new NbdRequestError(name, errno, p.command, p.offset, p.length));
      }
    }
    this.checkIdle();
  }

  /** Requests whose callers still wait (timed-out ones are not waited for). */
  private liveRequests(): number {
    let n = 0;
    for (const p of this.pending.values()) if (!p.timedOut) n += 1;
    return n;
  }

  private whenNoLiveRequests(): Promise<void> {
    if (this.liveRequests() === 0) return Promise.resolve();
    return new Promise((resolve) => this.waitingIdle.push(resolve));
  }

  private checkIdle(): void {
    if (this.liveRequests() > 0) return;
    const waiting = this.waitingIdle;
    this.waitingIdle = [];
    for (const resolve of waiting) resolve();
    // proto.md: a client that receives ESHUTDOWN MUST initiate a soft disconnect.
    if (this.state.kind === 'server-shutdown') {
      this.state = { kind: 'disconnecting' };
      this.sendDisc();
    }
  }

  private protocolViolation(detail: string): void {
    this.lose(`protocol violation by the server: ${detail}`);
    this.socket.destroy();
  }

  /** The connection is gone: every waiting request's outcome is unknown. */
  private lose(detail: string): void {
    if (this.state.kind === 'closed') return;
    this.state = { kind: 'closed', detail };
    this.queue.clear();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      if (!p.timedOut) p.reject(new NbdConnectionLostError(p.command, p.offset, p.length, detail));
    }
    this.checkIdle();
  }

  private onClose(): void {
    this.lose('the connection closed');
    const detail = this.state.kind === 'closed' ? this.state.detail : 'closed';
    this.resolveClosed(detail);
  }
}
