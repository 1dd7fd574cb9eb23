// One TCP connection of the mirror link: frames in (decoded from a byte queue), frames out (batched
// per tick with cork/uncork), liveness timestamp, and one close with one reason. What the frames
// mean is the link's business (link.ts).

import type { Socket } from 'node:net';
import type { MirrorHandshakeEndReason } from './link-types.js';
import { FrameDecoder, MirrorProtocolError, type Frame, type Hello } from './protocol.js';

/** Traffic counters shared by all connections of a link. */
export interface Traffic {
  bytesSent: number;
  bytesReceived: number;
}

/** What a connection reports to its link. */
export interface ConnectionOwner {
  /** A complete frame arrived. May close the connection. */
  onFrame(conn: LinkConnection, frame: Frame): void;
  /** The connection ended (called once, synchronously from close() or on a socket event). */
  onClosed(conn: LinkConnection, reason: MirrorHandshakeEndReason, message: string): void;
}

/** How long a graceful end waits for the peer to close before dropping the socket. */
const FINISH_GRACE_MS = 1000;

export class LinkConnection {
  /** 'handshake' until the HELLOs are exchanged, 'up' after, 'closed' once ended. */
  phase: 'handshake' | 'up' | 'closed' = 'handshake';
  /** The peer's HELLO, once received and accepted. */
  peerHello: Hello | undefined;
  /** performance.now() when the last byte arrived (or when the connection was made). */
  lastReceivedAt = performance.now();
  /** Resolves when the socket is fully closed. */
  readonly socketClosed: Promise<void>;
  private readonly decoder = new FrameDecoder();
  private corked = false;
  private socketError: string | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: Socket,
    /** 'dialed' by the connecting side, 'accepted' by the listening side. */
    readonly origin: 'dialed' | 'accepted',
    private readonly owner: ConnectionOwner,
    private readonly traffic: Traffic,
    handshakeTimeoutMs: number,
  ) {
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onSocketGone());
    socket.on('error', (err: Error) => {
      this.socketError ??= err.message;
    });
    socket.on('close', () => this.onSocketGone());
    this.handshakeTimer = setTimeout(() => {
      if (this.phase === 'handshake') this.close('handshake-timeout', `no handshake within ${handshakeTimeoutMs} ms`);
    }, handshakeTimeoutMs);
  }

  /** Peer address, for messages. */
  get remote(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  /** Marks the handshake complete. */
  markUp(peerHello: Hello): void {
    this.peerHello = peerHello;
    this.phase = 'up';
    this.clearHandshakeTimer();
  }

  /** Queues a frame head and its payload; they go out together with the rest of this tick's frames. */
  send(head: Buffer, payload?: Buffer): void {
    if (this.phase === 'closed') return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(head);
    this.traffic.bytesSent += head.length;
    if (payload !== undefined && payload.length > 0) {
      this.socket.write(payload);
      this.traffic.bytesSent += payload.length;
    }
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  /** Drops the connection now; the owner hears of it before this returns. */
  close(reason: MirrorHandshakeEndReason, message: string): void {
    if (this.phase === 'closed') return;
    this.finalize(reason, message);
    this.socket.destroy();
  }

  /**
   * Ends gracefully: sends `farewell` (BYE or REFUSE) after what is queued, half-closes, and drops the
   * socket if the peer has not closed within a grace period. The owner hears of it at once.
   */
  finish(reason: MirrorHandshakeEndReason, message: string, farewell: Buffer | undefined): Promise<void> {
    if (this.phase !== 'closed') {
      if (farewell !== undefined) this.send(farewell);
      this.finalize(reason, message);
      if (this.corked) this.uncork();
      this.socket.end();
      const timer = setTimeout(() => this.socket.destroy(), FINISH_GRACE_MS);
      void this.socketClosed.then(() => clearTimeout(timer));
    }
    return this.socketClosed;
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    this.traffic.bytesReceived += chunk.length;
    this.lastReceivedAt = performance.now();
    this.decoder.push(chunk);
    for (;;) {
      let frame: Frame | undefined;
      try {
        frame = this.decoder.next();
      } catch (err) {
        const message = err instanceof MirrorProtocolError ? err.message : `cannot decode a frame: ${String(err)}`;
        this.close('protocol-error', message);
        return;
      }
      if (frame === undefined) return;
      try {
        this.owner.onFrame(this, frame);
      } catch (err) {
        this.close(
          'internal-error',
          `handling a ${frame.kind} frame failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
        return;
      }
      if (this.isClosed) return; // the frame's handling closed the connection
    }
  }

  /** True once the connection has ended (re-read after calls that may close it). */
  get isClosed(): boolean {
    return this.phase === 'closed';
  }

  /** The peer half-closed, or the socket closed or failed. */
  private onSocketGone(): void {
    if (this.phase === 'closed') return;
    if (this.decoder.partialBytes > 0) {
      this.close('protocol-error', `the connection ended in the middle of a frame (${this.decoder.describePartial()})`);
    } else {
      const detail = this.socketError === undefined ? '' : ` (${this.socketError})`;
      this.close('connection-lost', `the connection closed without a goodbye${detail}`);
    }
  }

  private finalize(reason: MirrorHandshakeEndReason, message: string): void {
    this.phase = 'closed';
    this.clearHandshakeTimer();
    this.owner.onClosed(this, reason, message);
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer !== undefined) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }
}
