// NBD wire constants (NetworkBlockDevice/nbd doc/proto.md, section "Values"). Server side only:
// the engine imports nothing from the toolkit, so the host library keeps its own copy.

import type { BlockErrorCode } from '../types.js';

/** 'NBDMAGIC', first 8 bytes the server sends. */
export const NBD_MAGIC = 0x4e42444d41474943n;
/** 'IHAVEOPT': newstyle magic, also prefixes every option the client sends. */
export const IHAVEOPT = 0x49484156454f5054n;
/** Magic of every option reply (fixed newstyle). */
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n;
/** Magic of every request (transmission phase). */
export const REQUEST_MAGIC = 0x25609513;
/** Magic of a simple reply. */
export const SIMPLE_REPLY_MAGIC = 0x67446698;

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
export const FLAG_SEND_TRIM = 1 << 5;
export const FLAG_SEND_WRITE_ZEROES = 1 << 6;
export const FLAG_CAN_MULTI_CONN = 1 << 8;

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
const REP_ERR = 0x80000000;
export const REP_ERR_UNSUP = REP_ERR + 1;
export const REP_ERR_POLICY = REP_ERR + 2;
export const REP_ERR_INVALID = REP_ERR + 3;
export const REP_ERR_UNKNOWN = REP_ERR + 6;
export const REP_ERR_SHUTDOWN = REP_ERR + 7;
export const REP_ERR_TOO_BIG = REP_ERR + 9;

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

/** Error values of the reply `error` field (proto.md "Error values"). */
export const ERRNO: Readonly<Record<BlockErrorCode, number>> = {
  EPERM: 1,
  EIO: 5,
  ENOMEM: 12,
  EINVAL: 22,
  ENOSPC: 28,
  EOVERFLOW: 75,
  ENOTSUP: 95,
  ESHUTDOWN: 108,
};
