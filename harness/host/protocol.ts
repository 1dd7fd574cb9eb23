// NBD wire constants (NetworkBlockDevice/nbd doc/proto.md, section "Values"), client side. The
// engine keeps its own copy: the host library must not depend on the system it tests.

export const NBD_MAGIC = 0x4e42444d41474943n;
export const IHAVEOPT = 0x49484156454f5054n;
/** Oldstyle servers send this after NBDMAGIC. */
export const CLISERV_MAGIC = 0x00420281861253n;
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n;
export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef;

export const FLAG_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_NO_ZEROES = 1 << 1;
export const FLAG_C_FIXED_NEWSTYLE = 1 << 0;
export const FLAG_C_NO_ZEROES = 1 << 1;

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

export const OPT_EXPORT_NAME = 1;
export const OPT_ABORT = 2;
export const OPT_LIST = 3;
export const OPT_GO = 7;

export const REP_ACK = 1;
export const REP_SERVER = 2;
export const REP_INFO = 3;
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

export const INFO_EXPORT = 0;
export const INFO_BLOCK_SIZE = 3;

export const CMD_READ = 0;
export const CMD_WRITE = 1;
export const CMD_DISC = 2;
export const CMD_FLUSH = 3;
export const CMD_TRIM = 4;
export const CMD_WRITE_ZEROES = 6;

export const CMD_FLAG_FUA = 1 << 0;
export const CMD_FLAG_NO_HOLE = 1 << 1;

export const REQUEST_HEADER_SIZE = 28;
export const SIMPLE_REPLY_SIZE = 16;
export const OPTION_REPLY_HEADER_SIZE = 20;

/** Error names of the reply `error` field, by value (proto.md "Error values"). */
export const ERRNO_NAMES: ReadonlyMap<number, NbdErrno> = new Map([
  [1, 'EPERM'],
  [5, 'EIO'],
  [12, 'ENOMEM'],
  [22, 'EINVAL'],
  [28, 'ENOSPC'],
  [75, 'EOVERFLOW'],
  [95, 'ENOTSUP'],
  [108, 'ESHUTDOWN'],
]);

/** An NBD error name. */
export type NbdErrno = 'EPERM' | 'EIO' | 'ENOMEM' | 'EINVAL' | 'ENOSPC' | 'EOVERFLOW' | 'ENOTSUP' | 'ESHUTDOWN';

/** Names of option error replies, for messages. */
export function optionReplyName(type: number): string {
  switch (type) {
    case REP_ERR_UNSUP:
      return 'NBD_REP_ERR_UNSUP';
    case REP_ERR_POLICY:
      return 'NBD_REP_ERR_POLICY';
    case REP_ERR_INVALID:
      return 'NBD_REP_ERR_INVALID';
    case REP_ERR_PLATFORM:
      return 'NBD_REP_ERR_PLATFORM';
    case REP_ERR_TLS_REQD:
      return 'NBD_REP_ERR_TLS_REQD';
    case REP_ERR_UNKNOWN:
      return 'NBD_REP_ERR_UNKNOWN';
    case REP_ERR_SHUTDOWN:
      return 'NBD_REP_ERR_SHUTDOWN';
    case REP_ERR_BLOCK_SIZE_REQD:
      return 'NBD_REP_ERR_BLOCK_SIZE_REQD';
    case REP_ERR_TOO_BIG:
      return 'NBD_REP_ERR_TOO_BIG';
    default:
      return `reply type 0x${type.toString(16)}`;
  }
}
