// A hand-driven mirror link peer over a raw TCP socket: sends exact bytes, decodes what comes back.
// For handshake, duplicate-connection, silence and fuzz tests.

import { connect, type Socket } from 'node:net';
import { encodeHello, FrameDecoder, PROTOCOL_VERSION, type Frame, type Hello } from '../../engine/mirror/protocol.js';
import type { CleanupStack } from './cleanup-stack.js';
import { waitFor } from './wait-for.js';

export class RawMirrorPeer {
  readonly frames: Frame[] = [];
  /** Set when the stream from the link stopped decoding (it should never be). */
  decodeError: string | undefined;
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder();
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.isClosed = true;
        resolve();
      }),
    );
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      if (this.decodeError !== undefined) return;
      this.decoder.push(chunk);
      try {
        for (let f = this.decoder.next(); f !== undefined; f = this.decoder.next()) this.frames.push(f);
      } catch (err) {
        this.decodeError = err instanceof Error ? err.message : String(err);
      }
    });
  }

  /** Connects to a link's port; destroys the socket at cleanup. */
  static async open(cleanup: CleanupStack, port: number): Promise<RawMirrorPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    const peer = cleanup.add(new RawMirrorPeer(socket), (p) => p.destroy());
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return peer;
  }

  get ended(): boolean {
    return this.isClosed;
  }

  send(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Sends HELLO with these fields (default: a valid s1 of group g1 expecting s2). */
  sendHello(fields: Partial<Hello> = {}): void {
    this.send(
      encodeHello({ version: PROTOCOL_VERSION, groupId: 'g1', from: 's1', to: 's2', heartbeatMs: 20, deadAfterMs: 300, ...fields }),
    );
  }

  /** Waits for a frame of this kind and returns it. */
  async waitFrame<K extends Frame['kind']>(kind: K, timeoutMs = 5000): Promise<Extract<Frame, { kind: K }>> {
    await waitFor(() => this.frames.some((f) => f.kind === kind), `a ${kind} frame from the link`, timeoutMs, 2);
    return this.frames.find((f) => f.kind === kind) as Extract<Frame, { kind: K }>;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
