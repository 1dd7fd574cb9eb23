// A byte-level NBD peer for protocol tests: sends exactly the bytes a test builds (valid, garbled,
// truncated) and reads exact byte counts back. Written from proto.md, independent of both the
// engine server and the host client under test.

import { connect, type Socket } from 'node:net';

export const NBD_MAGIC = 0x4e42444d41474943n;
export const IHAVEOPT = 0x49484156454f5054n;
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n;
export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;

export const OPT = { EXPORT_NAME: 1, ABORT: 2, LIST: 3, STARTTLS: 5, INFO: 6, GO: 7, STRUCTURED_REPLY: 8 } as const;
export const REP = {
  ACK: 1,
  SERVER: 2,
  INFO: 3,
  ERR_UNSUP: 0x80000001,
  ERR_POLICY: 0x80000002,
  ERR_INVALID: 0x80000003,
  ERR_UNKNOWN: 0x80000006,
  ERR_SHUTDOWN: 0x80000007,
  ERR_TOO_BIG: 0x80000009,
} as const;
export const CMD = { READ: 0, WRITE: 1, DISC: 2, FLUSH: 3, TRIM: 4, CACHE: 5, WRITE_ZEROES: 6, BLOCK_STATUS: 7 } as const;
export const CMD_FLAG = { FUA: 1, NO_HOLE: 2, DF: 4, REQ_ONE: 8, FAST_ZERO: 16 } as const;
export const TFLAG = {
  HAS_FLAGS: 1,
  READ_ONLY: 2,
  SEND_FLUSH: 4,
  SEND_FUA: 8,
  SEND_TRIM: 32,
  SEND_WRITE_ZEROES: 64,
  CAN_MULTI_CONN: 256,
} as const;
export const ERRNO = { EPERM: 1, EIO: 5, EINVAL: 22, ENOSPC: 28, EOVERFLOW: 75, ENOTSUP: 95, ESHUTDOWN: 108 } as const;

/** Where to connect. */
export type RawTarget = { host: string; port: number } | { path: string };

/** One client socket with exact reads. */
export class RawNbdClient {
  private chunks: Buffer[] = [];
  private total = 0;
  private waiter: (() => void) | undefined;
  private ended = false;
  /** Resolves when the socket is closed. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.total += chunk.length;
      this.waiter?.();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.waiter?.();
        resolve();
      });
    });
  }

  /** Connects a raw socket. */
  static open(target: RawTarget): Promise<RawNbdClient> {
    return new Promise((resolve, reject) => {
      const socket = 'path' in target ? connect({ path: target.path }) : connect({ host: target.host, port: target.port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new RawNbdClient(socket));
      });
    });
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Bytes received and not yet read. */
  get available(): number {
    return this.total;
  }

  send(bytes: Buffer): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(bytes);
  }

  /** Reads exactly `n` bytes; rejects if the connection closes first or `timeoutMs` passes. */
  async read(n: number, timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.total < n) {
      if (this.ended) throw new Error(`connection closed after ${this.total} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms with ${this.total} of ${n} bytes`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.total = rest.length;
    return out;
  }

  /** Resolves true if the server closes the connection within `timeoutMs`, false otherwise. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      this.closed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return result;
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---- handshake helpers ------------------------------------------------------------------------

  /** Reads the 18-byte greeting; returns the handshake flags. */
  async readGreeting(): Promise<number> {
    const g = await this.read(18);
    if (g.readBigUInt64BE(0) !== NBD_MAGIC || g.readBigUInt64BE(8) !== IHAVEOPT) throw new Error('bad greeting');
    return g.readUInt16BE(16);
  }

  sendClientFlags(flags: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(flags >>> 0, 0);
    this.send(b);
  }

  /** Reads one option reply. */
  async readOptionReply(): Promise<{ option: number; type: number; data: Buffer }> {
    const h = await this.read(20);
    if (h.readBigUInt64BE(0) !== OPTION_REPLY_MAGIC) throw new Error('bad option reply magic');
    const length = h.readUInt32BE(16);
    return { option: h.readUInt32BE(8), type: h.readUInt32BE(12), data: length > 0 ? await this.read(length) : Buffer.alloc(0) };
  }

  /** Greeting, fixed-newstyle + no-zeroes flags, NBD_OPT_GO; returns size and transmission flags. */
  async handshake(exportName: string): Promise<{ size: number; flags: number }> {
    await this.readGreeting();
    this.sendClientFlags(3);
    this.send(optionBytes(OPT.GO, goData(exportName, [])));
    let size = -1;
    let flags = 0;
    for (;;) {
      const r = await this.readOptionReply();
      if (r.type === REP.INFO && r.data.readUInt16BE(0) === 0) {
        size = Number(r.data.readBigUInt64BE(2));
        flags = r.data.readUInt16BE(10);
      } else if (r.type === REP.ACK) {
        return { size, flags };
      } else if (r.type !== REP.INFO) {
        throw new Error(`NBD_OPT_GO failed with reply type 0x${r.type.toString(16)}: ${r.data.toString()}`);
      }
    }
  }

  /** Reads one simple reply header (and `dataLength` bytes of data when error is 0). */
  async readReply(dataLength = 0): Promise<{ error: number; handle: bigint; data: Buffer }> {
    const h = await this.read(16);
    const magic = h.readUInt32BE(0);
    if (magic !== SIMPLE_REPLY_MAGIC) throw new Error(`bad reply magic 0x${magic.toString(16)}`);
    const error = h.readUInt32BE(4);
    const data = error === 0 && dataLength > 0 ? await this.read(dataLength) : Buffer.alloc(0);
    return { error, handle: h.readBigUInt64BE(8), data };
  }
}

/** An option: IHAVEOPT, option number, data length, data. */
export function optionBytes(option: number, data: Buffer = Buffer.alloc(0), declaredLength = data.length): Buffer {
  const h = Buffer.alloc(16);
  h.writeBigUInt64BE(IHAVEOPT, 0);
  h.writeUInt32BE(option >>> 0, 8);
  h.writeUInt32BE(declaredLength >>> 0, 12);
  return Buffer.concat([h, data]);
}

/** NBD_OPT_GO / NBD_OPT_INFO data. */
export function goData(exportName: string, infos: readonly number[]): Buffer {
  const name = Buffer.from(exportName, 'utf8');
  const b = Buffer.alloc(4 + name.length + 2 + 2 * infos.length);
  b.writeUInt32BE(name.length, 0);
  name.copy(b, 4);
  b.writeUInt16BE(infos.length, 4 + name.length);
  infos.forEach((info, i) => {
    b.writeUInt16BE(info, 6 + name.length + 2 * i);
  });
  return b;
}

/** A request header (plus payload when given). */
export function requestBytes(req: {
  type: number;
  flags?: number;
  handle?: bigint;
  offset?: bigint | number;
  length?: number;
  payload?: Buffer;
  magic?: number;
}): Buffer {
  const h = Buffer.alloc(28);
  h.writeUInt32BE(req.magic ?? REQUEST_MAGIC, 0);
  h.writeUInt16BE(req.flags ?? 0, 4);
  h.writeUInt16BE(req.type, 6);
  h.writeBigUInt64BE(req.handle ?? 1n, 8);
  h.writeBigUInt64BE(BigInt(req.offset ?? 0), 16);
  h.writeUInt32BE(req.length ?? req.payload?.length ?? 0, 24);
  return req.payload === undefined ? h : Buffer.concat([h, req.payload]);
}
