// Public API of the host NBD client.

export { connect, listExports } from './connect.js';
export {
  NbdConnectError,
  NbdConnectionLostError,
  NbdConnectionRefusedError,
  NbdError,
  NbdHandshakeError,
  NbdInvalidRequestError,
  NbdNotConnectedError,
  NbdRequestError,
  NbdTimeoutError,
  NbdUriError,
  outcomeOf,
  type NbdCommandName,
  type NbdErrorCode,
  type NbdHandshakeFailure,
  type NbdOutcome,
} from './errors.js';
export {
  MultipathError,
  openMultipath,
  type MultipathAttempt,
  type MultipathDevice,
  type MultipathErrorCode,
  type MultipathEvent,
  type MultipathOptions,
  type MultipathPath,
} from './multipath.js';
export { NbdClient } from './nbd-client.js';
export { NBD_DEFAULT_PORT, parseNbdUri, type NbdEndpoint } from './nbd-uri.js';
export type { NbdErrno } from '../../contracts/nbd.js';
export type {
  NbdBlockSize,
  NbdClientOptions,
  NbdConnectOptions,
  NbdExportInfo,
  NbdFeatures,
  NbdListedExport,
  NbdRequestOptions,
  NbdTarget,
  NbdWriteOptions,
  NbdWriteZeroesOptions,
} from './types.js';
