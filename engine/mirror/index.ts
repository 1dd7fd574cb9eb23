// Public API of engine/mirror: the mirror layer a storage server plugs in (its contract in
// ./types.ts), and the mirror link (the transport between two mirrored storage servers).

export { ServerMirrors, type MirrorServiceOptions } from './mirror-service.js';
export type { MirroredDiskConfig, MirrorHost, MirrorLayer, MirrorService, MirrorStatus, PeerVerdict, Role } from './types.js';

export {
  HANDLER_ERROR_CODE,
  MirrorRefusal,
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
