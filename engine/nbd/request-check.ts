// Validation of one transmission request before it reaches the device (proto.md "Request types",
// "Error values", "Block size constraints").

import type { BlockErrorCode } from '../types.js';
import { CMD_FLAG_FUA, CMD_FLAG_NO_HOLE, CMD_FLUSH, CMD_READ, CMD_TRIM, CMD_WRITE, CMD_WRITE_ZEROES } from './protocol.js';
import type { NbdExport } from './types.js';

/** A parsed request header. `offset` is Infinity when it does not fit a safe JS integer. */
export interface RequestHeader {
  readonly flags: number;
  readonly type: number;
  readonly handleHi: number;
  readonly handleLo: number;
  readonly offset: number;
  readonly length: number;
}

/**
 * The error to answer a request with, or undefined when the device should run it. FLUSH ignores
 * its reserved offset and length (they MUST be zero, but being lenient harms no one).
 */
export function checkRequest(req: RequestHeader, exp: NbdExport, maxRequestBytes: number): BlockErrorCode | undefined {
  const size = exp.device.size;
  const end = req.offset + req.length;
  switch (req.type) {
    case CMD_READ:
      if ((req.flags & ~CMD_FLAG_FUA) !== 0) return 'EINVAL';
      if (req.length > maxRequestBytes) return 'EINVAL';
      if (end > size) return 'EINVAL';
      return undefined;
    case CMD_WRITE:
      if ((req.flags & ~CMD_FLAG_FUA) !== 0) return 'EINVAL';
      if (req.length > maxRequestBytes) return 'EINVAL';
      if (exp.readOnly === true) return 'EPERM';
      if (end > size) return 'ENOSPC';
      return undefined;
    case CMD_FLUSH:
      if ((req.flags & ~CMD_FLAG_FUA) !== 0) return 'EINVAL';
      return undefined;
    case CMD_TRIM:
      if ((req.flags & ~CMD_FLAG_FUA) !== 0) return 'EINVAL';
      if (exp.readOnly === true) return 'EPERM';
      if (end > size) return 'EINVAL';
      return undefined;
    case CMD_WRITE_ZEROES:
      if ((req.flags & ~(CMD_FLAG_FUA | CMD_FLAG_NO_HOLE)) !== 0) return 'EINVAL';
      if (exp.readOnly === true) return 'EPERM';
      if (end > size) return 'ENOSPC';
      return undefined;
    default:
      // Unknown commands, and commands this server never advertises (CACHE, BLOCK_STATUS, RESIZE).
      return 'EINVAL';
  }
}
