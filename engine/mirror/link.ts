// The mirror link between two storage servers (createMirrorLink): who listens and who connects,
// the handshake, heartbeats, reconnection, and pipelined requests matched by id.
//
// Roles: the side whose name is larger (plain JS string comparison, so 's10' < 's2') listens on its
// mirror port; the smaller one connects, and reconnects every reconnectMs while down.
// One live connection per pair: the listening side lets a new connection in only through a valid
// handshake, and when one completes while another is up, the old one is closed first (reason
// 'replaced', a BYE tells its peer why). Replacing rather than refusing lets a restarted peer back
// in at once, without waiting for the stale connection's heartbeat timeout; a handshake names both
// servers and the group, so only the partner can replace it, never a stray client.
// Liveness: any byte received counts as life; each side sends HEARTBEAT frames while up and drops
// the connection after deadAfterMs of silence. A handshake must also finish within deadAfterMs.

import type { Code } from '../../contracts/codes.js';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import {
  HANDLER_ERROR_CODE,
  MirrorLinkDownError,
  MirrorLinkError,
  MirrorLinkLostError,
  MirrorRemoteError,
  MirrorTimeoutError,
} from './errors.js';
import { LinkConnection, type ConnectionOwner, type Traffic } from './link-connection.js';
import type {
  MirrorAddress,
  MirrorDownReason,
  MirrorHandshakeEndReason,
  MirrorLink,
  MirrorLinkEvents,
  MirrorLinkOptions,
  MirrorLinkStats,
  MirrorReply,
  MirrorReplyInput,
  MirrorRequestOptions,
} from './link-types.js';
import {
  encodeBye,
  encodeHello,
  encodeRefuse,
  encodeReplyError,
  encodeReplyOkHead,
  encodeRequestHead,
  HEARTBEAT_FRAME,
  MAX_NAME_BYTES,
  PROTOCOL_VERSION,
  type Frame,
  type Hello,
  type RefusalReason,
} from './protocol.js';

const DEFAULT_HEARTBEAT_MS = 100;
const DEFAULT_DEAD_AFTER_MS = 1000;
/** Dialing a loopback or LAN port that is not listening fails at once: retrying often costs little and shortens a rejoin. */
const DEFAULT_RECONNECT_MS = 25;
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
const MAX_REQUEST_ID = 0xffff_ffff;
const EMPTY = Buffer.alloc(0);

/** Options after validation and defaults. */
interface Settings {
  readonly self: string;
  readonly peer: string;
  readonly groupId: string;
  readonly role: 'listen' | 'connect';
  /** The address to listen on (listen role) or to connect to (connect role). */
  readonly address: MirrorAddress;
  readonly heartbeatMs: number;
  readonly deadAfterMs: number;
  readonly reconnectMs: number;
  readonly requestTimeoutMs: number;
  readonly onRequest: MirrorLinkOptions['onRequest'];
}

/** A request sent and not yet answered. */
interface Pending {
  readonly id: number;
  readonly type: string;
  readonly conn: LinkConnection;
  readonly resolve: (reply: MirrorReply) => void;
  readonly reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

type Listeners = { [E in keyof MirrorLinkEvents]: Set<(info: MirrorLinkEvents[E]) => void> };

function invalid(message: string): MirrorLinkError {
  return new MirrorLinkError('MLINK_INVALID_OPTIONS', `createMirrorLink: ${message}`);
}

function checkName(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > MAX_NAME_BYTES) {
    throw invalid(`${what} must be a non-empty string of at most ${MAX_NAME_BYTES} bytes, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkInteger(what: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw invalid(`${what} must be an integer >= ${min}, got ${value}`);
  return value;
}

function checkAddress(what: string, value: MirrorAddress | undefined, minPort: number, needed: string): MirrorAddress {
  if (value === undefined) throw invalid(`${what} is required ${needed}`);
  if (typeof value.host !== 'string' || value.host.length === 0)
    throw invalid(`${what}.host must be a host name or address, got ${JSON.stringify(value.host)}`);
  if (!Number.isSafeInteger(value.port) || value.port < minPort || value.port > 65535) {
    throw invalid(`${what}.port must be an integer from ${minPort} to 65535, got ${value.port}`);
  }
  return { host: value.host, port: value.port };
}

function resolveSettings(o: MirrorLinkOptions): Settings {
  const self = checkName('self', o.self);
  const peer = checkName('peer', o.peer);
  const groupId = checkName('groupId', o.groupId);
  if (self === peer) throw invalid(`self and peer are both '${self}'; a link joins two different servers`);
  if (typeof o.onRequest !== 'function') throw invalid('onRequest must be a function');
  const role = self > peer ? 'listen' : 'connect';
  const address =
    role === 'listen'
      ? checkAddress('listen', o.listen, 0, `because '${self}' > '${peer}' makes ${self} the listening side`)
      : checkAddress('connect', o.connect, 1, `because '${self}' < '${peer}' makes ${self} the connecting side`);
  const heartbeatMs = checkInteger('heartbeatMs', o.heartbeatMs, DEFAULT_HEARTBEAT_MS, 1);
  const deadAfterMs = checkInteger('deadAfterMs', o.deadAfterMs, DEFAULT_DEAD_AFTER_MS, 1);
  if (deadAfterMs <= heartbeatMs) throw invalid(`deadAfterMs (${deadAfterMs}) must be larger than heartbeatMs (${heartbeatMs})`);
  return {
    self,
    peer,
    groupId,
    role,
    address,
    heartbeatMs,
    deadAfterMs,
    reconnectMs: checkInteger('reconnectMs', o.reconnectMs, DEFAULT_RECONNECT_MS, 1),
    requestTimeoutMs: checkInteger('requestTimeoutMs', o.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, 0),
    onRequest: o.onRequest,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The code an error reply carries: the error's own string code, else MLINK_HANDLER_ERROR. */
function codeOf(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.length > 0 ? code : HANDLER_ERROR_CODE;
}

function isDownReason(reason: MirrorHandshakeEndReason): reason is MirrorDownReason {
  return reason !== 'handshake-timeout' && reason !== 'handshake-refused';
}

/**
 * Creates the mirror link to one partner and starts it: the listening side starts binding its port
 * (see ready()), the connecting side starts connecting. Throws MLINK_INVALID_OPTIONS at once for bad
 * options. Wait for 'up' (or poll `up`) before sending requests.
 */
export function createMirrorLink(options: MirrorLinkOptions): MirrorLink {
  return new Link(resolveSettings(options));
}

class Link implements MirrorLink {
  readonly self: string;
  readonly peer: string;
  readonly role: 'listen' | 'connect';
  private server: Server | undefined;
  private bound: MirrorAddress | undefined;
  /** Every open connection: the live one and those still in their handshake. */
  private readonly connections = new Set<LinkConnection>();
  private live: LinkConnection | undefined;
  /** The connecting side's connection attempt in progress. */
  private attempt: LinkConnection | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** The listening side retries a failed bind with this timer. */
  private relistenTimer: NodeJS.Timeout | undefined;
  private readonly readyPromise: Promise<MirrorAddress | undefined>;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private cutOn = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly listeners: Listeners = { up: new Set(), down: new Set(), 'handshake-failed': new Set() };
  private readonly traffic: Traffic = { bytesSent: 0, bytesReceived: 0 };
  private requestsSent = 0;
  private requestsReceived = 0;
  private downs = 0;
  private lastDownReason: MirrorDownReason | undefined;
  private lastDownMessage: string | undefined;
  private connectionAttempts = 0;
  private lastConnectError: string | undefined;
  private protocolErrors = 0;
  /** What connections report to (kept off the public object). */
  private readonly owner: ConnectionOwner = {
    onFrame: (conn, frame) => this.onFrame(conn, frame),
    onClosed: (conn, reason, message) => this.onClosed(conn, reason, message),
  };

  constructor(private readonly s: Settings) {
    this.self = s.self;
    this.peer = s.peer;
    this.role = s.role;
    if (s.role === 'listen') {
      this.readyPromise = this.listenOnce();
      this.readyPromise.catch(() => {}); // reported through ready() to whoever asks
    } else {
      this.readyPromise = Promise.resolve(undefined);
      this.dial();
    }
  }

  // ---- life ---------------------------------------------------------------------------------------

  ready(): Promise<MirrorAddress | undefined> {
    return this.readyPromise;
  }

  /** Binds the listening port once; the link retries failures every reconnectMs until close(). */
  private listenOnce(): Promise<MirrorAddress> {
    const { host, port } = this.s.address;
    return new Promise<MirrorAddress>((resolve, reject) => {
      const server = createServer((socket) => this.onAccept(socket));
      server.once('error', (err: Error) => {
        const error = new MirrorLinkError(
          'MLINK_LISTEN_FAILED',
          `mirror link ${this.self}<-${this.peer}: cannot listen on ${host}:${port}: ${err.message} (is another server using this mirror port? retrying every ${this.s.reconnectMs} ms)`,
          { cause: err },
        );
        this.lastConnectError = `listen-failed: ${error.message}`;
        if (!this.closed) this.relistenTimer = setTimeout(() => this.relisten(), this.s.reconnectMs);
        reject(error);
      });
      server.listen({ host, port }, () => {
        // Later server errors (EMFILE on accept) must not crash the process.
        server.removeAllListeners('error');
        server.on('error', () => {});
        if (this.closed) {
          server.close();
          reject(
            new MirrorLinkError('MLINK_LISTEN_FAILED', `mirror link ${this.self}<-${this.peer} was closed while binding ${host}:${port}`),
          );
          return;
        }
        this.server = server;
        const address = server.address();
        this.bound = address !== null && typeof address === 'object' ? { host: address.address, port: address.port } : { host, port };
        resolve(this.bound);
      });
    });
  }

  private relisten(): void {
    this.relistenTimer = undefined;
    if (this.closed) return;
    this.listenOnce().catch(() => {}); // recorded in lastConnectError; retried
  }

  get address(): MirrorAddress | undefined {
    return this.bound;
  }

  get up(): boolean {
    return this.live !== undefined;
  }

  get isCut(): boolean {
    return this.cutOn;
  }

  on<E extends keyof MirrorLinkEvents>(event: E, listener: (info: MirrorLinkEvents[E]) => void): () => void {
    const set = this.listeners[event] as Set<(info: MirrorLinkEvents[E]) => void>;
    set.add(listener);
    return () => set.delete(listener);
  }

  cut(on: boolean): void {
    if (this.closed || on === this.cutOn) return;
    this.cutOn = on;
    if (on) {
      this.clearReconnect();
      for (const conn of [...this.connections]) conn.close('cut', `cut(true) on ${this.self}: the mirror link is cut for fault injection`);
    } else {
      this.scheduleDial(0);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.clearReconnect();
    if (this.relistenTimer !== undefined) clearTimeout(this.relistenTimer);
    this.relistenTimer = undefined;
    const waits: Promise<void>[] = [];
    for (const conn of [...this.connections]) {
      if (conn.phase === 'up') {
        // Graceful: the peer reads BYE and goes down with 'peer-closed' rather than 'connection-lost'.
        waits.push(conn.finish('closed', `close() on ${this.self}`, encodeBye(`${this.self} closed its mirror link`)));
      } else {
        conn.close('closed', `close() on ${this.self}`);
        waits.push(conn.socketClosed);
      }
    }
    const server = this.server;
    if (server?.listening) waits.push(new Promise<void>((resolve) => server.close(() => resolve())));
    await Promise.all(waits);
  }

  stats(): MirrorLinkStats {
    return {
      up: this.up,
      requestsSent: this.requestsSent,
      requestsReceived: this.requestsReceived,
      inFlight: this.pending.size,
      bytesSent: this.traffic.bytesSent,
      bytesReceived: this.traffic.bytesReceived,
      downs: this.downs,
      ...(this.lastDownReason === undefined ? {} : { lastDownReason: this.lastDownReason }),
      connectionAttempts: this.connectionAttempts,
      ...(this.lastConnectError === undefined ? {} : { lastConnectError: this.lastConnectError }),
      protocolErrors: this.protocolErrors,
    };
  }

  // ---- connections --------------------------------------------------------------------------------

  private onAccept(socket: Socket): void {
    this.connectionAttempts += 1;
    if (this.closed || this.cutOn) {
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    this.connections.add(new LinkConnection(socket, 'accepted', this.owner, this.traffic, this.s.deadAfterMs));
  }

  private dial(): void {
    this.reconnectTimer = undefined;
    if (this.closed || this.cutOn || this.live !== undefined || this.attempt !== undefined) return;
    this.connectionAttempts += 1;
    const { host, port } = this.s.address;
    const conn = new LinkConnection(netConnect({ host, port }), 'dialed', this.owner, this.traffic, this.s.deadAfterMs);
    this.attempt = conn;
    this.connections.add(conn);
    conn.send(encodeHello(this.hello()));
  }

  private scheduleDial(delayMs: number): void {
    if (this.role !== 'connect' || this.closed || this.cutOn) return;
    if (this.live !== undefined || this.attempt !== undefined || this.reconnectTimer !== undefined) return;
    this.reconnectTimer = setTimeout(() => this.dial(), delayMs);
  }

  private clearReconnect(): void {
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }

  private hello(): Hello {
    return {
      version: PROTOCOL_VERSION,
      groupId: this.s.groupId,
      from: this.self,
      to: this.peer,
      heartbeatMs: this.s.heartbeatMs,
      deadAfterMs: this.s.deadAfterMs,
    };
  }

  private onClosed(conn: LinkConnection, reason: MirrorHandshakeEndReason, message: string): void {
    this.connections.delete(conn);
    if (reason === 'protocol-error') this.protocolErrors += 1;
    if (this.attempt === conn) this.attempt = undefined;
    if (this.live === conn && isDownReason(reason)) {
      this.live = undefined;
      this.stopHeartbeat();
      this.downs += 1;
      this.lastDownReason = reason;
      this.lastDownMessage = message;
      this.failPending(conn, reason, message);
      this.emit('down', { reason, message });
    } else {
      this.lastConnectError = `${reason}: ${message}`;
    }
    this.scheduleDial(this.s.reconnectMs);
  }

  private onFrame(conn: LinkConnection, frame: Frame): void {
    if (conn.phase === 'handshake') {
      this.onHandshakeFrame(conn, frame);
      return;
    }
    switch (frame.kind) {
      case 'request':
        this.onPeerRequest(conn, frame);
        return;
      case 'reply-ok':
      case 'reply-error':
        this.onReply(conn, frame);
        return;
      case 'heartbeat':
        return; // the byte timestamp is all it is for
      case 'bye':
        conn.close('peer-closed', `${this.peer} closed the connection: ${frame.reason}`);
        return;
      case 'hello':
      case 'refuse':
        conn.close('protocol-error', `${frame.kind.toUpperCase()} frame after the handshake`);
        return;
      default: {
        const never: never = frame;
        throw new Error(`unhandled frame ${JSON.stringify(never)}`);
      }
    }
  }

  // ---- handshake ----------------------------------------------------------------------------------

  private onHandshakeFrame(conn: LinkConnection, frame: Frame): void {
    if (frame.kind === 'refuse' && conn.origin === 'dialed') {
      const message = `${this.peer} refused the handshake (${frame.reason}): ${frame.message}`;
      this.emit('handshake-failed', { reason: frame.reason, message, by: 'peer' });
      conn.close('handshake-refused', message);
      return;
    }
    if (frame.kind !== 'hello') {
      conn.close('protocol-error', `expected HELLO to start the handshake, got a ${frame.kind} frame`);
      return;
    }
    const refusal = this.checkHello(frame.version, frame.hello);
    if (refusal !== undefined) {
      this.emit('handshake-failed', { ...refusal, by: 'self' });
      void conn.finish('handshake-refused', refusal.message, encodeRefuse(refusal.reason, refusal.message));
      return;
    }
    const hello = frame.hello;
    if (hello === undefined) throw new Error('accepted a HELLO without content');
    if (conn.origin === 'accepted') conn.send(encodeHello(this.hello()));
    this.goUp(conn, hello);
  }

  private checkHello(version: number, hello: Hello | undefined): { reason: RefusalReason; message: string } | undefined {
    if (hello === undefined) {
      return {
        reason: 'version-mismatch',
        message: `the peer speaks mirror link protocol version ${version}, ${this.self} speaks version ${PROTOCOL_VERSION}: run the same engine version on both servers`,
      };
    }
    if (hello.groupId !== this.s.groupId) {
      return {
        reason: 'group-mismatch',
        message: `'${hello.from}' belongs to mirror group '${hello.groupId}', '${this.self}' to '${this.s.groupId}': check both servers' group configuration`,
      };
    }
    if (hello.from !== this.peer) {
      return {
        reason: 'name-mismatch',
        message: `a server named '${hello.from}' connected, but the mirror partner of '${this.self}' is '${this.peer}': check the mirror ports and server names`,
      };
    }
    if (hello.to !== this.self) {
      return {
        reason: 'name-mismatch',
        message: `'${hello.from}' expects its partner to be '${hello.to}', but this server is '${this.self}': check the mirror ports and server names`,
      };
    }
    return undefined;
  }

  private goUp(conn: LinkConnection, hello: Hello): void {
    if (this.attempt === conn) this.attempt = undefined;
    const old = this.live;
    if (old !== undefined) {
      // Never two live connections for one pair: the newer, fully handshaken one wins.
      void old.finish(
        'replaced',
        `a newer connection from ${this.peer} (${conn.remote}) completed its handshake`,
        encodeBye('replaced by a newer connection'),
      );
    }
    conn.markUp(hello);
    this.live = conn;
    this.startHeartbeat(conn, hello);
    this.emit('up', {
      reason: 'handshake-complete',
      message: `mirror link ${this.self}<->${this.peer} is up (connection to ${conn.remote})`,
    });
  }

  // ---- liveness -----------------------------------------------------------------------------------

  private startHeartbeat(conn: LinkConnection, peerHello: Hello): void {
    this.stopHeartbeat();
    const deadAfterMs = this.s.deadAfterMs;
    // Often enough for the peer's deadline too, and to check ours with a fine grain.
    const tickMs = Math.max(1, Math.min(this.s.heartbeatMs, Math.floor(peerHello.deadAfterMs / 3), Math.floor(deadAfterMs / 5)));
    const silentFor = (): number => performance.now() - conn.lastReceivedAt;
    this.heartbeatTimer = setInterval(() => {
      if (this.live !== conn) return;
      conn.send(HEARTBEAT_FRAME);
      if (silentFor() <= deadAfterMs) return;
      // Timers run before the poll phase: after a stall of this process, bytes from the peer may be
      // waiting unread. Check again after the poll phase, so our own stall is not blamed on the peer.
      setImmediate(() => {
        const silent = silentFor();
        if (this.live === conn && silent > deadAfterMs) {
          conn.close(
            'heartbeat-timeout',
            `nothing received from ${this.peer} for ${Math.round(silent)} ms (deadAfterMs ${deadAfterMs}): peer hung, overloaded or unreachable`,
          );
        }
      });
    }, tickMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  // ---- requests -----------------------------------------------------------------------------------

  request(
    type: string,
    header: Record<string, unknown> = {},
    payload: Buffer = EMPTY,
    options: MirrorRequestOptions = {},
  ): Promise<MirrorReply> {
    const conn = this.live;
    if (conn === undefined || this.closed) return Promise.reject(this.downError(type));
    if (typeof type !== 'string' || type.length === 0 || Buffer.byteLength(type) > MAX_NAME_BYTES) {
      return Promise.reject(
        new MirrorLinkError(
          'MLINK_INVALID_REQUEST',
          `request type must be a non-empty string of at most ${MAX_NAME_BYTES} bytes, got ${JSON.stringify(type)}`,
        ),
      );
    }
    if (!isPlainObject(header))
      return Promise.reject(new MirrorLinkError('MLINK_INVALID_REQUEST', `request '${type}': header must be a plain object`));
    if (!Buffer.isBuffer(payload))
      return Promise.reject(new MirrorLinkError('MLINK_INVALID_REQUEST', `request '${type}': payload must be a Buffer`));
    const timeoutMs = options.timeoutMs ?? this.s.requestTimeoutMs;
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 0) {
      return Promise.reject(
        new MirrorLinkError('MLINK_INVALID_REQUEST', `request '${type}': timeoutMs must be an integer >= 0, got ${timeoutMs}`),
      );
    }
    const id = this.allocateId();
    let head: Buffer;
    try {
      head = encodeRequestHead(id, type, header, payload.length);
    } catch (err) {
      if (err instanceof MirrorLinkError) return Promise.reject(err);
      return Promise.reject(
        new MirrorLinkError('MLINK_INVALID_REQUEST', `request '${type}': header cannot be sent as JSON: ${describe(err)}`, { cause: err }),
      );
    }
    return new Promise<MirrorReply>((resolve, reject) => {
      const p: Pending = { id, type, conn, resolve, reject, timer: undefined };
      if (timeoutMs > 0) p.timer = setTimeout(() => this.onTimeout(p, timeoutMs), timeoutMs);
      this.pending.set(id, p);
      this.requestsSent += 1;
      conn.send(head, payload);
    });
  }

  private downError(type: string): MirrorLinkDownError {
    const reason = this.closed ? 'closed' : this.cutOn ? 'cut' : (this.lastDownReason ?? 'not-connected');
    let detail = '';
    if (!this.closed && !this.cutOn) {
      if (this.lastDownMessage !== undefined) detail = `: ${this.lastDownMessage}`;
      else if (this.lastConnectError !== undefined) detail = `; last connection attempt: ${this.lastConnectError}`;
    }
    return new MirrorLinkDownError(
      type,
      reason,
      `mirror link ${this.self}->${this.peer} is down (${reason}${detail}); request '${type}' was not sent, so ${this.peer} did not apply it`,
    );
  }

  private allocateId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= MAX_REQUEST_ID ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  private onTimeout(p: Pending, timeoutMs: number): void {
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    p.reject(
      new MirrorTimeoutError(
        p.type,
        p.id,
        timeoutMs,
        `request '${p.type}' #${p.id} to ${this.peer} got no reply within ${timeoutMs} ms; ${this.peer} may or may not have applied it (outcome unknown)`,
      ),
    );
  }

  private onReply(conn: LinkConnection, frame: Extract<Frame, { kind: 'reply-ok' | 'reply-error' }>): void {
    const p = this.pending.get(frame.id);
    if (p === undefined || p.conn !== conn) return; // a late reply to a request that timed out
    this.pending.delete(frame.id);
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (frame.kind === 'reply-ok') p.resolve({ header: frame.header, payload: frame.payload });
    else p.reject(new MirrorRemoteError(frame.code, frame.message, this.peer, p.type));
  }

  private failPending(conn: LinkConnection, reason: MirrorDownReason, message: string): void {
    for (const p of this.pending.values()) {
      if (p.conn !== conn) continue;
      this.pending.delete(p.id);
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(
        new MirrorLinkLostError(
          p.type,
          p.id,
          reason,
          `request '${p.type}' #${p.id} was sent to ${this.peer} but the mirror link went down before the reply (${reason}: ${message}); ${this.peer} may or may not have applied it (outcome unknown)`,
        ),
      );
    }
  }

  private onPeerRequest(conn: LinkConnection, frame: Extract<Frame, { kind: 'request' }>): void {
    this.requestsReceived += 1;
    const { id } = frame;
    let result: ReturnType<Settings['onRequest']>;
    try {
      result = this.s.onRequest({ type: frame.type, header: frame.header, payload: frame.payload });
    } catch (err) {
      this.sendError(conn, id, err);
      return;
    }
    Promise.resolve(result).then(
      (reply) => this.sendReply(conn, id, reply ?? undefined),
      (err: unknown) => this.sendError(conn, id, err),
    );
  }

  private sendReply(conn: LinkConnection, id: number, reply: MirrorReplyInput | undefined): void {
    if (conn.phase !== 'up') return; // the requester got MLINK_LINK_LOST already
    const header = reply?.header ?? {};
    const payload = reply?.payload ?? EMPTY;
    let head: Buffer;
    try {
      if (!isPlainObject(header))
        throw new MirrorLinkError('MLINK_INVALID_REQUEST', 'the handler replied with a header that is not a plain object');
      if (!Buffer.isBuffer(payload))
        throw new MirrorLinkError('MLINK_INVALID_REQUEST', 'the handler replied with a payload that is not a Buffer');
      head = encodeReplyOkHead(id, header, payload.length);
    } catch (err) {
      this.sendError(conn, id, err);
      return;
    }
    conn.send(head, payload);
  }

  private sendError(conn: LinkConnection, id: number, err: unknown): void {
    if (conn.phase !== 'up') return;
    conn.send(encodeReplyError(id, codeOf(err), describe(err)));
  }

  // ---- events -------------------------------------------------------------------------------------

  private emit<E extends keyof MirrorLinkEvents>(event: E, info: MirrorLinkEvents[E]): void {
    const set = this.listeners[event] as Set<(info: MirrorLinkEvents[E]) => void>;
    for (const listener of [...set]) {
      try {
        listener(info);
      } catch (err) {
        // A listener must not break the link; say so loudly instead.
        process.emitWarning(`mirror link ${this.self}<->${this.peer}: a '${event}' listener threw: ${describe(err)}`, {
          code: 'MLINK_LISTENER_ERROR' satisfies Code,
        });
      }
    }
  }
}
