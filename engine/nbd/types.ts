// Contracts of the NBD front end: what the engine hands the server, and what it gets back.

import type { BlockDevice } from '../types.js';

/** One export as the server serves it; looked up by name at handshake time. */
export interface NbdExport {
  /** The virtual disk served; its `size` is the export size. */
  readonly device: BlockDevice;
  /** Advertise NBD_FLAG_READ_ONLY and refuse writes, trims and zeroing with EPERM. */
  readonly readOnly?: boolean;
  /**
   * Advertise NBD_FLAG_CAN_MULTI_CONN: FLUSH and FUA on one connection cover writes completed on
   * every connection. True only when all connections share one cache (the engine's case).
   */
  readonly canMultiConn?: boolean;
  /** Text for humans (NBD_INFO_DESCRIPTION and NBD_OPT_LIST). */
  readonly description?: string;
}

/** How the server is set up. */
export interface NbdServerOptions {
  /** Looks an export up by name (the empty name is the default export); undefined if absent. */
  exports(name: string): NbdExport | undefined;
  /** Names NBD_OPT_LIST reports; without it, listing is refused with NBD_REP_ERR_POLICY. */
  listExports?(): readonly string[];
  /** Largest READ or WRITE accepted, in bytes (default and maximum 32 MiB); larger gets EINVAL. */
  maxRequestBytes?: number;
  /** Requests in progress per connection before the server stops reading from it (default 128). */
  maxInFlightRequests?: number;
  /** Payload bytes in progress per connection before the server stops reading (default 64 MiB). */
  maxInFlightBytes?: number;
  /** A client that has not finished the handshake after this long is dropped (default 60 s; 0 = never). */
  handshakeTimeoutMs?: number;
  /** Observer of connection life and protocol errors (logging, tests). Must not throw. */
  onEvent?(event: NbdServerEvent): void;
}

/** Where to listen. */
export type NbdListenTarget = { readonly host: string; readonly port: number } | { readonly path: string };

/** Where the server listens once bound. */
export type NbdAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/** Phase of one client connection. */
export type NbdConnectionPhase = 'handshake' | 'transmission' | 'closing';

/** A snapshot of one client connection. */
export interface NbdConnectionInfo {
  /** Server-unique connection number. */
  readonly id: number;
  /** Peer address ('127.0.0.1:40312', or 'unix' for a Unix socket). */
  readonly peer: string;
  /** Where the connection is in its life. */
  readonly phase: NbdConnectionPhase;
  /** Export chosen by NBD_OPT_GO or NBD_OPT_EXPORT_NAME, once in transmission. */
  readonly exportName: string | undefined;
  /** Requests passed to the device and not yet answered. */
  readonly inFlight: number;
  /** Requests received in the transmission phase so far. */
  readonly requests: number;
}

/** Why a connection ended. */
export type NbdCloseReason =
  | 'client-disconnect' // NBD_CMD_DISC or NBD_OPT_ABORT
  | 'client-hangup' // the client closed or reset the socket
  | 'protocol-error' // the client broke the protocol; see the protocol-error event
  | 'internal-error' // the server failed to handle the connection (a bug, or an export it cannot describe)
  | 'handshake-timeout'
  | 'export-refused' // NBD_OPT_EXPORT_NAME for an unknown export (the protocol allows no error reply)
  | 'shutdown' // shutdown() or disconnectExport()
  | 'closed'; // close()

/** What the server reports to `onEvent`. */
export type NbdServerEvent =
  | { readonly type: 'connection-opened'; readonly id: number; readonly peer: string }
  | { readonly type: 'export-selected'; readonly id: number; readonly exportName: string }
  | { readonly type: 'protocol-error'; readonly id: number; readonly message: string }
  | { readonly type: 'connection-closed'; readonly id: number; readonly reason: NbdCloseReason };

/** Options of a graceful shutdown. */
export interface NbdShutdownOptions {
  /** How long requests already at the device may take before connections are dropped (default 10 s). */
  graceMs?: number;
}

/** What a graceful shutdown did. */
export interface NbdShutdownReport {
  /** Connections that were open when the shutdown began. */
  readonly connections: number;
  /** Requests answered with ESHUTDOWN because they arrived after the shutdown began. */
  readonly refused: number;
  /**
   * Device requests still running when the grace period ran out (their clients were dropped
   * without a reply; the device call itself may still complete).
   */
  readonly abandoned: number;
}

/** An NBD server: a library object the storage server embeds. */
export interface NbdServer {
  /** Binds and starts accepting clients; resolves to the bound address. Call once. */
  listen(target: NbdListenTarget): Promise<NbdAddress>;
  /** The bound address, once listening. */
  readonly address: NbdAddress | undefined;
  /** Snapshots of the open connections. */
  connections(): NbdConnectionInfo[];
  /**
   * Gracefully ends every connection using `exportName` (the server keeps listening): requests
   * already at the device complete and are answered, later ones get ESHUTDOWN, then the
   * connections close. Resolves when they are closed.
   */
  disconnectExport(exportName: string, options?: NbdShutdownOptions): Promise<NbdShutdownReport>;
  /**
   * Graceful stop: stops listening (new clients are refused), answers requests already at the
   * device with their real outcome, answers later requests with ESHUTDOWN and pending options
   * with NBD_REP_ERR_SHUTDOWN, then closes every connection. Resolves when all are closed.
   */
  shutdown(options?: NbdShutdownOptions): Promise<NbdShutdownReport>;
  /** Hard stop: stops listening and drops every connection at once. Resolves when all are closed. */
  close(): Promise<void>;
}
