// One client connection: handshake, then the request stream. Requests are read while earlier ones
// run and are answered as they complete (out of order, handles echoed). Bad input closes this
// connection only; nothing a client sends can make the server allocate more than one request's
// declared payload (at most maxRequestBytes).

import type { Socket } from 'node:net';
import { BlockError, type BlockErrorCode } from '../types.js';
import { ByteQueue } from './byte-queue.js';
import { answerOption, answerOversizedOption, MAX_OPTION_DATA, type HandshakeContext, type OptionOutcome } from './handshake.js';
import {
  CMD_DISC,
  CMD_FLAG_FUA,
  CMD_FLUSH,
  CMD_READ,
  CMD_TRIM,
  CMD_WRITE,
  CMD_WRITE_ZEROES,
  ERRNO,
  FLAG_C_FIXED_NEWSTYLE,
  FLAG_C_NO_ZEROES,
  FLAG_FIXED_NEWSTYLE,
  FLAG_NO_ZEROES,
  IHAVEOPT,
  OPTION_HEADER_SIZE,
  REQUEST_HEADER_SIZE,
  REQUEST_MAGIC,
} from './protocol.js';
import { checkRequest, type RequestHeader } from './request-check.js';
import type { NbdCloseReason, NbdConnectionInfo, NbdConnectionPhase, NbdExport, NbdServerEvent } from './types.js';
import { encodeGreeting, encodeSimpleReply } from './wire.js';

/** Server-wide settings and hooks a connection uses. */
export interface ConnectionHost {
  readonly maxRequestBytes: number;
  readonly maxInFlightRequests: number;
  readonly maxInFlightBytes: number;
  readonly handshakeTimeoutMs: number;
  lookup(name: string): NbdExport | undefined;
  readonly list: (() => readonly string[]) | undefined;
  isShuttingDown(): boolean;
  emit(event: NbdServerEvent): void;
}

/** Where the byte parser is. */
type ParseState =
  | { readonly kind: 'client-flags' }
  | { readonly kind: 'option-header' }
  | { readonly kind: 'option-data'; readonly option: number; readonly length: number }
  | { readonly kind: 'option-skip'; readonly option: number; readonly length: number; remaining: number }
  | { readonly kind: 'request-header' }
  | { readonly kind: 'write-payload'; readonly req: RequestHeader; readonly data: Buffer; filled: number }
  | { readonly kind: 'write-discard'; readonly req: RequestHeader; readonly error: BlockErrorCode; remaining: number }
  | { readonly kind: 'stopped' }; // after DISC, ABORT, end of input or a fatal error: input is dropped

const CLIENT_FLAGS_KNOWN = FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES;
const TWO_POW_32 = 0x1_0000_0000;
/** High 32 bits above which an offset exceeds Number.MAX_SAFE_INTEGER. */
const MAX_SAFE_HI = 0x1f_ffff;

function errnoOf(err: unknown): number {
  if (err instanceof BlockError) return ERRNO[err.code] ?? ERRNO.EIO;
  // A BlockError from another copy of the module: trust the shape.
  if (err instanceof Error && err.name === 'BlockError') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(ERRNO, code)) return ERRNO[code as BlockErrorCode];
  }
  return ERRNO.EIO;
}

export class NbdConnection {
  private phase: NbdConnectionPhase = 'handshake';
  private state: ParseState = { kind: 'client-flags' };
  private readonly queue = new ByteQueue();
  private exp: NbdExport | undefined;
  private exportName: string | undefined;
  private noZeroes = false;
  private inFlight = 0;
  private inFlightBytes = 0;
  private requests = 0;
  /** Graceful end requested (shutdown, disconnectExport): refuse new requests with ESHUTDOWN. */
  private draining = false;
  /** No more input will be parsed; close once in-flight requests are answered. */
  private finishing = false;
  private refusedCount = 0;
  private closeReason: NbdCloseReason | undefined;
  private corked = false;
  private paused = false;
  private pumping = false;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private closedFlag = false;
  /** Resolves when the socket is closed. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  /** Peer address, for connection snapshots. */
  readonly peer: string;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    const peer = socket.remoteAddress === undefined ? 'unix' : `${socket.remoteAddress}:${socket.remotePort ?? 0}`;
    this.peer = peer;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('drain', () => this.pump());
    socket.on('error', () => {
      this.closeReason ??= 'client-hangup';
    });
    socket.on('close', () => this.onClose());
    host.emit({ type: 'connection-opened', id, peer });
    if (host.handshakeTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(() => {
        this.protocolError(`handshake not finished after ${host.handshakeTimeoutMs} ms`, 'handshake-timeout');
      }, host.handshakeTimeoutMs);
      this.handshakeTimer.unref();
    }
    socket.write(encodeGreeting(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES));
  }

  info(): NbdConnectionInfo {
    return {
      id: this.id,
      peer: this.peer,
      phase: this.phase,
      exportName: this.exportName,
      inFlight: this.inFlight,
      requests: this.requests,
    };
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  get inTransmission(): boolean {
    return this.phase === 'transmission' || (this.phase === 'closing' && this.exp !== undefined);
  }

  get selectedExport(): string | undefined {
    return this.exportName;
  }

  get pendingRequests(): number {
    return this.inFlight;
  }

  get refused(): number {
    return this.refusedCount;
  }

  /**
   * Starts a graceful end: options get NBD_REP_ERR_SHUTDOWN, new requests ESHUTDOWN; a connection
   * in transmission closes once its in-flight requests are answered.
   */
  drain(): void {
    if (this.closedFlag) return;
    this.draining = true;
    this.closeReason ??= 'shutdown';
    if (this.phase !== 'handshake') this.maybeFinish();
  }

  /** Drops the connection now; unanswered requests stay unanswered. */
  destroy(reason: NbdCloseReason): void {
    this.closeReason ??= reason;
    this.stopInput();
    this.socket.destroy();
  }

  // ---- input ----------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.state.kind === 'stopped') return;
    this.queue.push(chunk);
    this.pump();
  }

  private onEnd(): void {
    // The client will send nothing more. Answer what is in flight, then close.
    this.closeReason ??= 'client-hangup';
    this.stopInput();
    this.maybeFinish();
  }

  private onClose(): void {
    this.closedFlag = true;
    this.phase = 'closing';
    this.stopInput();
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.host.emit({ type: 'connection-closed', id: this.id, reason: this.closeReason ?? 'client-hangup' });
    this.resolveClosed();
  }

  private stopInput(): void {
    this.state = { kind: 'stopped' };
    this.queue.clear();
    this.finishing = true;
  }

  /** True while requests in progress are at their limit or replies wait for the socket. */
  private mustWait(): boolean {
    return (
      this.inFlight >= this.host.maxInFlightRequests || this.inFlightBytes >= this.host.maxInFlightBytes || this.socket.writableNeedDrain
    );
  }

  /** Parses as much buffered input as possible. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.parse();
    } catch (err) {
      // A bug or a broken export (e.g. a device size that cannot be encoded) must cost this
      // connection only, never the process.
      this.host.emit({
        type: 'protocol-error',
        id: this.id,
        message: `internal error: ${err instanceof Error ? err.message : String(err)}`,
      });
      this.destroy('internal-error');
    } finally {
      this.pumping = false;
    }
    if (this.state.kind === 'stopped') return;
    const wait = this.state.kind === 'request-header' && this.mustWait();
    if (wait && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!wait && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private parse(): void {
    const q = this.queue;
    for (;;) {
      const s = this.state;
      switch (s.kind) {
        case 'stopped':
          return;
        case 'client-flags': {
          if (q.length < 4) return;
          const flags = q.take(4).readUInt32BE(0);
          if ((flags & ~CLIENT_FLAGS_KNOWN) !== 0) {
            this.protocolError(`client flags 0x${flags.toString(16)} include unknown bits`);
            return;
          }
          this.noZeroes = (flags & FLAG_C_NO_ZEROES) !== 0;
          this.state = { kind: 'option-header' };
          break;
        }
        case 'option-header': {
          if (q.length < OPTION_HEADER_SIZE) return;
          const h = q.take(OPTION_HEADER_SIZE);
          if (h.readBigUInt64BE(0) !== IHAVEOPT) {
            this.protocolError('option does not start with IHAVEOPT');
            return;
          }
          const option = h.readUInt32BE(8);
          const length = h.readUInt32BE(12);
          this.state =
            length > MAX_OPTION_DATA ? { kind: 'option-skip', option, length, remaining: length } : { kind: 'option-data', option, length };
          break;
        }
        case 'option-data': {
          if (q.length < s.length) return;
          const data = q.take(s.length);
          this.state = { kind: 'option-header' };
          this.applyOption(answerOption(s.option, data, this.handshakeContext()));
          break;
        }
        case 'option-skip': {
          s.remaining -= q.skip(s.remaining);
          if (s.remaining > 0) return;
          this.state = { kind: 'option-header' };
          this.applyOption(answerOversizedOption(s.option, s.length));
          break;
        }
        case 'request-header': {
          if (this.mustWait() || q.length < REQUEST_HEADER_SIZE) return;
          this.onRequest(q.take(REQUEST_HEADER_SIZE));
          break;
        }
        case 'write-payload': {
          if (q.length === 0) return;
          const n = Math.min(q.length, s.data.length - s.filled);
          q.copyInto(s.data, s.filled, n);
          s.filled += n;
          if (s.filled < s.data.length) return;
          this.state = { kind: 'request-header' };
          if (this.draining) this.refuse(s.req);
          else this.dispatch(s.req, s.data);
          break;
        }
        case 'write-discard': {
          s.remaining -= q.skip(s.remaining);
          if (s.remaining > 0) return;
          this.state = { kind: 'request-header' };
          this.answer(s.req, ERRNO[s.error]);
          break;
        }
        default: {
          const never: never = s;
          throw new Error(`unhandled parse state ${JSON.stringify(never)}`);
        }
      }
    }
  }

  // ---- handshake --------------------------------------------------------------------------------

  private handshakeContext(): HandshakeContext {
    return {
      lookup: (name) => this.host.lookup(name),
      list: this.host.list,
      shuttingDown: this.draining || this.host.isShuttingDown(),
      noZeroes: this.noZeroes,
      maxRequestBytes: this.host.maxRequestBytes,
    };
  }

  /** Writes option replies in one go. */
  private sendAll(replies: readonly Buffer[]): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.cork();
    for (const reply of replies) this.socket.write(reply);
    this.socket.uncork();
  }

  private applyOption(outcome: OptionOutcome): void {
    switch (outcome.kind) {
      case 'continue':
        this.sendAll(outcome.replies);
        return;
      case 'transmission':
        this.sendAll(outcome.replies);
        if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
        this.handshakeTimer = undefined;
        this.exp = outcome.exp;
        this.exportName = outcome.exportName;
        this.phase = 'transmission';
        this.state = { kind: 'request-header' };
        this.host.emit({ type: 'export-selected', id: this.id, exportName: outcome.exportName });
        return;
      case 'abort':
        this.sendAll(outcome.replies);
        this.closeReason ??= 'client-disconnect';
        this.stopInput();
        this.maybeFinish();
        return;
      case 'hang-up':
        this.host.emit({ type: 'protocol-error', id: this.id, message: outcome.message });
        this.destroy('export-refused');
        return;
      default: {
        const never: never = outcome;
        throw new Error(`unhandled option outcome ${JSON.stringify(never)}`);
      }
    }
  }

  // ---- transmission -----------------------------------------------------------------------------

  private onRequest(h: Buffer): void {
    const magic = h.readUInt32BE(0);
    if (magic !== REQUEST_MAGIC) {
      this.protocolError(`request magic 0x${magic.toString(16)} is not NBD_REQUEST_MAGIC 0x25609513`);
      return;
    }
    const offsetHi = h.readUInt32BE(16);
    const req: RequestHeader = {
      flags: h.readUInt16BE(4),
      type: h.readUInt16BE(6),
      handleHi: h.readUInt32BE(8),
      handleLo: h.readUInt32BE(12),
      offset: offsetHi > MAX_SAFE_HI ? Infinity : offsetHi * TWO_POW_32 + h.readUInt32BE(20),
      length: h.readUInt32BE(24),
    };
    this.requests += 1;
    if (req.type === CMD_DISC) {
      // No reply; answer what is in flight, then close. Anything sent after DISC is ignored.
      this.closeReason ??= 'client-disconnect';
      this.stopInput();
      this.maybeFinish();
      return;
    }
    const exp = this.exp;
    if (exp === undefined) throw new Error('request before an export was selected');
    const error = checkRequest(req, exp, this.host.maxRequestBytes);
    if (req.type === CMD_WRITE) {
      if (error !== undefined || this.draining) {
        // The payload must still be consumed to stay in step; it is skipped, never buffered.
        const code = error ?? 'ESHUTDOWN';
        if (error === undefined) this.refusedCount += 1;
        this.state = { kind: 'write-discard', req, error: code, remaining: req.length };
      } else if (req.length === 0) {
        this.answer(req, 0);
      } else {
        // Usually the payload arrived with its header: hand the device a view of the received
        // chunk (no allocation, no copy); otherwise collect it as it arrives.
        const whole = this.queue.takeView(req.length);
        if (whole !== null) this.dispatch(req, whole);
        else this.state = { kind: 'write-payload', req, data: Buffer.allocUnsafe(req.length), filled: 0 };
      }
      return;
    }
    if (error !== undefined) this.answer(req, ERRNO[error]);
    else if (this.draining) this.refuse(req);
    else this.dispatch(req, undefined);
  }

  private refuse(req: RequestHeader): void {
    this.refusedCount += 1;
    this.answer(req, ERRNO.ESHUTDOWN);
  }

  /** Runs a validated request on the device and answers when it completes. */
  private dispatch(req: RequestHeader, payload: Buffer | undefined): void {
    const exp = this.exp;
    if (exp === undefined) throw new Error('dispatch before an export was selected');
    const device = exp.device;
    const fua = (req.flags & CMD_FLAG_FUA) !== 0;
    const bytes = req.type === CMD_READ || req.type === CMD_WRITE ? req.length : 0;
    if ((req.type === CMD_READ || req.type === CMD_TRIM || req.type === CMD_WRITE_ZEROES) && req.length === 0) {
      this.answer(req, 0, req.type === CMD_READ ? Buffer.alloc(0) : undefined);
      return;
    }
    let work: Promise<Buffer | void>;
    try {
      switch (req.type) {
        case CMD_READ:
          work = device.read(req.offset, req.length);
          break;
        case CMD_WRITE:
          work = device.write(req.offset, payload ?? Buffer.alloc(0), { fua });
          break;
        case CMD_FLUSH:
          work = device.flush();
          break;
        case CMD_TRIM:
          work = device.trim(req.offset, req.length, { fua });
          break;
        case CMD_WRITE_ZEROES:
          work = device.writeZeroes(req.offset, req.length, { fua });
          break;
        default:
          this.answer(req, ERRNO.EINVAL);
          return;
      }
    } catch (err) {
      work = Promise.reject(err);
    }
    this.inFlight += 1;
    this.inFlightBytes += bytes;
    work.then(
      (result) => {
        if (req.type !== CMD_READ) {
          this.answer(req, 0);
        } else if (Buffer.isBuffer(result) && result.length >= req.length) {
          this.answer(req, 0, result.length === req.length ? result : result.subarray(0, req.length));
        } else {
          // A device bug: sending the wrong number of bytes would desynchronise the client.
          this.answer(req, ERRNO.EIO);
        }
        this.settle(bytes);
      },
      (err: unknown) => {
        this.answer(req, errnoOf(err));
        this.settle(bytes);
      },
    );
  }

  private settle(bytes: number): void {
    this.inFlight -= 1;
    this.inFlightBytes -= bytes;
    if (this.finishing || this.draining) this.maybeFinish();
    if (this.paused && !this.finishing) process.nextTick(() => this.pump());
  }

  /**
   * Sends a simple reply. Replies made in the same turn of the event loop leave in one write
   * (uncorked in setImmediate, not nextTick): under a queue depth of 16 this halves the system
   * calls per request, at the cost of a few microseconds of latency.
   */
  private answer(req: RequestHeader, errno: number, data?: Buffer): void {
    const socket = this.socket;
    if (this.closedFlag || socket.destroyed || socket.writableEnded) return;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      setImmediate(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(encodeSimpleReply(errno, req.handleHi, req.handleLo));
    if (errno === 0 && data !== undefined && data.length > 0) socket.write(data);
  }

  // ---- ending -----------------------------------------------------------------------------------

  /** Closes gracefully once nothing is in flight and no more input will be parsed. */
  private maybeFinish(): void {
    if (this.closedFlag) return;
    if (this.draining && !this.finishing && this.phase === 'transmission') {
      // Keep reading (later requests get ESHUTDOWN) until in-flight requests are answered.
      if (this.inFlight > 0) return;
      this.stopInput();
    }
    if (!this.finishing || this.inFlight > 0) return;
    this.phase = 'closing';
    const socket = this.socket;
    if (socket.destroyed) return;
    if (socket.writableEnded) return;
    socket.end(() => socket.destroy());
  }

  private protocolError(message: string, reason: NbdCloseReason = 'protocol-error'): void {
    this.host.emit({ type: 'protocol-error', id: this.id, message });
    this.destroy(reason);
  }
}
