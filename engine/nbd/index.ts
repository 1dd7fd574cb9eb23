// Public API of the NBD front end.

export { createNbdServer, NBD_MAX_REQUEST_BYTES } from './create-nbd-server.js';
export { NbdServerError, type NbdServerErrorCode } from './errors.js';
export { formatNbdUri } from './nbd-uri.js';
export type {
  NbdAddress,
  NbdCloseReason,
  NbdConnectionInfo,
  NbdConnectionPhase,
  NbdExport,
  NbdListenTarget,
  NbdServer,
  NbdServerEvent,
  NbdServerOptions,
  NbdShutdownOptions,
  NbdShutdownReport,
} from './types.js';
