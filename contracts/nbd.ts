// NBD wire constants (NetworkBlockDevice/nbd doc/proto.md, section "Values"): the one copy both
// sides use, the engine's server (engine/nbd) and the host's client (harness/host). They are the
// protocol, not either side's implementation, so sharing them does not make the client depend on
// the server it tests.

/** 'NBDMAGIC', first 8 bytes the server sends. */
export const NBD_MAGIC = 0x4e42444d41474943n;
/** 'IHAVEOPT': newstyle magic, also prefixes every option the client sends. */
export const IHAVEOPT = 0x49484156454f5054n;
/** Oldstyle servers send this after NBDMAGIC. */
export const CLISERV_MAGIC = 0x00420281861253n;
/** Magic of every option reply (fixed newstyle). */
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n;
/** Magic of every request (transmission phase). */
export const REQUEST_MAGIC = 0x25609513;
/** Magic of a simple reply. */
export const SIMPLE_REPLY_MAGIC = 0x67446698;
/** Magic of a structured reply chunk. */
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef;

/** Handshake flags (server). */
export const FLAG_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_NO_ZEROES = 1 << 1;
/** Client flags. */
export const FLAG_C_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_C_NO_ZEROES = 1 << 1;

/** Transmission flags. */
export const FLAG_HAS_FLAGS = 1 << 0;
export const FLAG_READ_ONLY = 1 << 1;
export const FLAG_SEND_FLUSH = 1 << 2;
export const FLAG_SEND_FUA = 1 << 3;
export const FLAG_ROTATIONAL = 1 << 4;
export const FLAG_SEND_TRIM = 1 << 5;
export const FLAG_SEND_WRITE_ZEROES = 1 << 6;
export const FLAG_SEND_DF = 1 << 7;
export const FLAG_CAN_MULTI_CONN = 1 << 8;
export const FLAG_SEND_CACHE = 1 << 10;
export const FLAG_SEND_FAST_ZERO = 1 << 11;

/** Options. */
export const OPT_EXPORT_NAME = 1;
export const OPT_ABORT = 2;
export const OPT_LIST = 3;
export const OPT_STARTTLS = 5;
export const OPT_INFO = 6;
export const OPT_GO = 7;

/** Option reply types. */
export const REP_ACK = 1;
export const REP_SERVER = 2;
export const REP_INFO = 3;
/** The bit every option error reply type has. */
export const REP_ERR_BIT = 0x80000000;
export const REP_ERR_UNSUP = REP_ERR_BIT + 1;
export const REP_ERR_POLICY = REP_ERR_BIT + 2;
export const REP_ERR_INVALID = REP_ERR_BIT + 3;
export const REP_ERR_PLATFORM = REP_ERR_BIT + 4;
export const REP_ERR_TLS_REQD = REP_ERR_BIT + 5;
export const REP_ERR_UNKNOWN = REP_ERR_BIT + 6;
export const REP_ERR_SHUTDOWN = REP_ERR_BIT + 7;
export const REP_ERR_BLOCK_SIZE_REQD = REP_ERR_BIT + 8;
export const REP_ERR_TOO_BIG = REP_ERR_BIT + 9;

/** NBD_REP_INFO information types. */
export const INFO_EXPORT = 0;
export const INFO_NAME = 1;
export const INFO_DESCRIPTION = 2;
export const INFO_BLOCK_SIZE = 3;

/** Commands. */
export const CMD_READ = 0;
export const CMD_WRITE = 1;
export const CMD_DISC = 2;
export const CMD_FLUSH = 3;
export const CMD_TRIM = 4;
export const CMD_WRITE_ZEROES = 6;

/** Command flags. */
export const CMD_FLAG_FUA = 1 << 0;
export const CMD_FLAG_NO_HOLE = 1 << 1;

/** Sizes of fixed-length messages. */
export const REQUEST_HEADER_SIZE = 28;
export const SIMPLE_REPLY_SIZE = 16;
export const OPTION_HEADER_SIZE = 16;
export const OPTION_REPLY_HEADER_SIZE = 20;

/** Longest string the protocol allows (export names, messages). */
export const MAX_STRING_BYTES = 4096;

/** An NBD error name (proto.md "Error values"). */
export type NbdErrno = 'EPERM' | 'EIO' | 'ENOMEM' | 'EINVAL' | 'ENOSPC' | 'EOVERFLOW' | 'ENOTSUP' | 'ESHUTDOWN';

/** Value of each error name in the reply `error` field. */
export const NBD_ERRNO: Readonly<Record<NbdErrno, number>> = {
  EPERM: 1,
  EIO: 5,
  ENOMEM: 12,
  EINVAL: 22,
  ENOSPC: 28,
  EOVERFLOW: 75,
  ENOTSUP: 95,
  ESHUTDOWN: 108,
};

/** Error names by value: the inverse of NBD_ERRNO. */
export const NBD_ERRNO_NAMES: ReadonlyMap<number, NbdErrno> = new Map(
  (Object.entries(NBD_ERRNO) as Array<[NbdErrno, number]>).map(([name, value]) => [value, name]),
);

const optionErrorNames: ReadonlyMap<number, string> = new Map([
  [REP_ERR_UNSUP, 'NBD_REP_ERR_UNSUP'],
  [REP_ERR_POLICY, 'NBD_REP_ERR_POLICY'],
  [REP_ERR_INVALID, 'NBD_REP_ERR_INVALID'],
  [REP_ERR_PLATFORM, 'NBD_REP_ERR_PLATFORM'],
  [REP_ERR_TLS_REQD, 'NBD_REP_ERR_TLS_REQD'],
  [REP_ERR_UNKNOWN, 'NBD_REP_ERR_UNKNOWN'],
  [REP_ERR_SHUTDOWN, 'NBD_REP_ERR_SHUTDOWN'],
  [REP_ERR_BLOCK_SIZE_REQD, 'NBD_REP_ERR_BLOCK_SIZE_REQD'],
  [REP_ERR_TOO_BIG, 'NBD_REP_ERR_TOO_BIG'],
]);

/** Name of an option error reply type, for messages (`NBD_REP_ERR_UNSUP`, or the number in hex). */
export function optionReplyName(type: number): string {
  return optionErrorNames.get(type) ?? `reply type 0x${type.toString(16)}`;
}
