// Contracts of the host NBD client.

/** Where to connect: TCP, a Unix socket, or an NBD URI (nbd://, nbd+unix://). */
export type NbdTarget = { readonly host: string; readonly port?: number } | { readonly path: string } | { readonly uri: string };

/** Options of `connect`. */
export interface NbdClientOptions {
  /** Export to open; overrides the URI's; default '' (the server's default export). */
  readonly exportName?: string;
  /** Per-request reply timeout in ms, also bounding connect and handshake (default 30 s; 0 = none). */
  readonly timeoutMs?: number;
  /** Connect + handshake timeout in ms (default `timeoutMs`). */
  readonly connectTimeoutMs?: number;
  /**
   * Refuse locally (NbdInvalidRequestError, nothing sent) requests that break the export's
   * constraints: range beyond the export, length above the maximum block size, unaligned to the
   * minimum block size, commands or FUA the server did not advertise, writes to a read-only
   * export. Default true; tests probing a server's error handling turn it off.
   */
  readonly validateRequests?: boolean;
}

/** Everything `connect` accepts. */
export type NbdConnectOptions = NbdTarget & NbdClientOptions;

/** Transmission flags, decoded. */
export interface NbdFeatures {
  readonly readOnly: boolean;
  readonly flush: boolean;
  readonly fua: boolean;
  readonly rotational: boolean;
  readonly trim: boolean;
  readonly writeZeroes: boolean;
  readonly multiConn: boolean;
  readonly cache: boolean;
  readonly fastZero: boolean;
}

/** Block size constraints (NBD_INFO_BLOCK_SIZE), when the server sent them. */
export interface NbdBlockSize {
  readonly minimum: number;
  readonly preferred: number;
  readonly maximum: number;
}

/** What the handshake established about the export. */
export interface NbdExportInfo {
  /** Export name as opened. */
  readonly exportName: string;
  /** Size in bytes. */
  readonly size: number;
  /** Raw 16-bit transmission flags. */
  readonly flags: number;
  /** The flags, decoded. */
  readonly features: NbdFeatures;
  /** Block size constraints, if the server advertised them. */
  readonly blockSize: NbdBlockSize | undefined;
  /** How the export was opened: NBD_OPT_GO, or the NBD_OPT_EXPORT_NAME fallback. */
  readonly negotiatedWith: 'go' | 'export-name';
}

/** Per-request options. */
export interface NbdRequestOptions {
  /** Reply timeout for this request in ms (default: the connection's `timeoutMs`; 0 = none). */
  readonly timeoutMs?: number;
}

/** Options of write-like requests. */
export interface NbdWriteOptions extends NbdRequestOptions {
  /** Force Unit Access: the server replies only once the data is durable. */
  readonly fua?: boolean;
}

/** Options of WRITE_ZEROES. */
export interface NbdWriteZeroesOptions extends NbdWriteOptions {
  /** NBD_CMD_FLAG_NO_HOLE: the range must stay allocated. */
  readonly noHole?: boolean;
}

/** One export as NBD_OPT_LIST reports it. */
export interface NbdListedExport {
  readonly name: string;
  /** Implementation-specific details the server appended (usually a description), if any. */
  readonly description: string | undefined;
}
