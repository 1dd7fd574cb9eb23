// Contracts of the mirror link: how it is set up, what it reports, and the object itself.

import type { RefusalReason } from './protocol.js';

/** A TCP address (the engine uses 127.0.0.1 only). */
export interface MirrorAddress {
  readonly host: string;
  readonly port: number;
}

/** A request from the peer, as the handler gets it. */
export interface MirrorRequest {
  /** What the request is ('write', 'flush', ...); meaning is the upper layer's. */
  readonly type: string;
  /** Small JSON metadata (offsets, generation numbers). */
  readonly header: Record<string, unknown>;
  /** Raw bytes (block data); owned by the handler. */
  readonly payload: Buffer;
}

/** What a handler answers; both parts are optional. */
export interface MirrorReplyInput {
  readonly header?: Record<string, unknown>;
  readonly payload?: Buffer;
}

/** The peer's answer to request(). */
export interface MirrorReply {
  readonly header: Record<string, unknown>;
  /** Raw bytes; owned by the caller. Empty when the handler sent none. */
  readonly payload: Buffer;
}

/** Per-request options. */
export interface MirrorRequestOptions {
  /** Reject with MLINK_TIMEOUT after this long without a reply (default requestTimeoutMs; 0 = never). */
  readonly timeoutMs?: number;
}

/** How a link is set up. */
export interface MirrorLinkOptions {
  /** This server's name, e.g. 's1'. */
  readonly self: string;
  /** The partner's name, e.g. 's2'; must differ from `self`. */
  readonly peer: string;
  /** The mirror group; both sides must give the same one or the handshake is refused. */
  readonly groupId: string;
  /** Where this side listens; required when `self` > `peer` (the listening side), else ignored. */
  readonly listen?: MirrorAddress;
  /** Where the peer listens; required when `self` < `peer` (the connecting side), else ignored. */
  readonly connect?: MirrorAddress;
  /** Heartbeat interval while up (default 100 ms). */
  readonly heartbeatMs?: number;
  /** The link is declared down after this long without any byte from the peer (default 1000 ms; > heartbeatMs). */
  readonly deadAfterMs?: number;
  /** Retry interval of the connecting side while down (default 25 ms). */
  readonly reconnectMs?: number;
  /** A request without a reply in this time rejects with MLINK_TIMEOUT (default 5000 ms; 0 = never). */
  readonly requestTimeoutMs?: number;
  /**
   * Handles a request from the peer; the reply is sent when the promise resolves. A rejection is
   * sent back as an error reply with the error's string `code` (else 'MLINK_HANDLER_ERROR') and
   * message; the requester gets a MirrorRemoteError with that code.
   */
  onRequest(req: MirrorRequest): Promise<MirrorReplyInput | undefined | void> | MirrorReplyInput | undefined | void;
}

/** Why the link went down. */
export type MirrorDownReason =
  | 'peer-closed' // the peer said goodbye (its close(), or it replaced this connection by a newer one)
  | 'connection-lost' // the socket closed or reset without a goodbye: peer crashed or killed, or network
  | 'heartbeat-timeout' // nothing received for deadAfterMs: peer hung (SIGSTOP), overloaded, or partitioned
  | 'protocol-error' // the peer sent bytes that break the protocol, or vanished in the middle of a frame
  | 'cut' // cut(true) on this side (fault injection, MIR-13)
  | 'replaced' // a newer connection from the peer completed its handshake (listening side only)
  | 'closed' // close() on this side
  | 'internal-error'; // a bug in the link while handling a frame (should not happen)

/** Why a connection attempt ended before the link came up (in stats().lastConnectError). */
export type MirrorHandshakeEndReason = MirrorDownReason | 'handshake-timeout' | 'handshake-refused';

/** What each event reports. */
export interface MirrorLinkEvents {
  /** The handshake completed; requests can flow. */
  up: { readonly reason: 'handshake-complete'; readonly message: string };
  /** The link went down; requests in flight were rejected with MLINK_LINK_LOST. */
  down: { readonly reason: MirrorDownReason; readonly message: string };
  /**
   * A handshake was refused because the two sides are not configured as partners (a wrong group id,
   * server name or protocol version): by this side ('self') or by the peer ('peer').
   */
  'handshake-failed': { readonly reason: RefusalReason; readonly message: string; readonly by: 'self' | 'peer' };
}

/** Counters of a link. */
export interface MirrorLinkStats {
  readonly up: boolean;
  /** Requests sent (written to the socket). */
  readonly requestsSent: number;
  /** Requests received from the peer. */
  readonly requestsReceived: number;
  /** Requests sent and not yet answered, rejected or timed out. */
  readonly inFlight: number;
  /** Bytes written to and read from the peer, frames of every kind. */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Times the link went from up to down. */
  readonly downs: number;
  readonly lastDownReason?: MirrorDownReason;
  /** Connections attempted (connecting side) or accepted (listening side). */
  readonly connectionAttempts: number;
  /** Why the last connection that never came up ended ('handshake-timeout: ...', 'connection-lost: connect ECONNREFUSED ...'). */
  readonly lastConnectError?: string;
  /** Connections ended for breaking the protocol, before or after the handshake. */
  readonly protocolErrors: number;
}

/** The mirror link to one partner server: one TCP connection, pipelined requests both ways. */
export interface MirrorLink {
  readonly self: string;
  readonly peer: string;
  /** 'listen' when self > peer, else 'connect'. */
  readonly role: 'listen' | 'connect';
  /** The bound address of the listening side (port 0 resolved) once bound; undefined on the connecting side. */
  readonly address: MirrorAddress | undefined;
  /**
   * Resolves with the bound address once the listening side listens (undefined on the connecting
   * side, at once). Rejects with MLINK_LISTEN_FAILED if the first bind fails; the link keeps
   * retrying every reconnectMs (a previous server may still hold the port) until close().
   */
  ready(): Promise<MirrorAddress | undefined>;
  /** True between 'up' and 'down'. */
  readonly up: boolean;
  /** Subscribes to an event; returns a function that unsubscribes. Listeners must not throw. */
  on<E extends keyof MirrorLinkEvents>(event: E, listener: (info: MirrorLinkEvents[E]) => void): () => void;
  /**
   * Sends a request and resolves with the peer's reply, which the peer sends only after its handler
   * completed. Rejects with MirrorLinkDownError (MLINK_LINK_DOWN: not sent) while down,
   * MirrorLinkLostError (MLINK_LINK_LOST: outcome unknown) if the link goes down before the reply,
   * MirrorTimeoutError (MLINK_TIMEOUT: outcome unknown), or MirrorRemoteError (the handler failed).
   * The payload is sent without a copy: do not modify it until the promise settles.
   */
  request(type: string, header?: Record<string, unknown>, payload?: Buffer, options?: MirrorRequestOptions): Promise<MirrorReply>;
  /**
   * Fault switch (MIR-13): on drops the connection (in-flight requests reject with MLINK_LINK_LOST)
   * and refuses to connect or accept until switched off; the peer sees 'connection-lost', as after a
   * real partition. Off lets the link come back (the connecting side reconnects at once).
   */
  cut(on: boolean): void;
  /** True while cut. */
  readonly isCut: boolean;
  /**
   * Says goodbye to the peer, ends every connection and timer and releases the port. Requests in
   * flight reject with MLINK_LINK_LOST; later ones with MLINK_LINK_DOWN. Idempotent.
   */
  close(): Promise<void>;
  stats(): MirrorLinkStats;
}
