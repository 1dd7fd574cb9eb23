// Public API of the mirror link (the transport between two mirrored storage servers).

export {
  HANDLER_ERROR_CODE,
  MirrorLinkDownError,
  MirrorLinkError,
  MirrorLinkLostError,
  MirrorRemoteError,
  MirrorTimeoutError,
  type MirrorLinkErrorCode,
} from './errors.js';
export { createMirrorLink } from './link.js';
export type {
  MirrorAddress,
  MirrorDownReason,
  MirrorHandshakeEndReason,
  MirrorLink,
  MirrorLinkEvents,
  MirrorLinkOptions,
  MirrorLinkStats,
  MirrorReply,
  MirrorReplyInput,
  MirrorRequest,
  MirrorRequestOptions,
} from './link-types.js';
export { MAX_META_BYTES, MAX_PAYLOAD_BYTES, PROTOCOL_VERSION, type RefusalReason } from './protocol.js';
