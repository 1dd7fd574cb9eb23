// The catalogue of stable codes: every refusal and error that crosses a boundary (the model, the
// engine's HTTP APIs, the command line, the adapter contract) has exactly one code here. A code
// never changes meaning; a new situation gets a new code. This module is a leaf: it imports
// nothing, so the engine and the toolkit both use it.
//
// Prefix scheme (docs/adapters.md repeats it for vendors):
//   refusals of the behaviour contract, compared by the conformance runner at every refused step:
//     SRV_    server lifecycle (SRV-12)          VD_     virtual disks (VD-1, DS-7)
//     MIR_    mirrored virtual disks (MIR-*)     LINK_   the mirror link switch (MIR-13)
//     UPS_    UPS events (SRV-13)                GROUP_  names that are not in the group
//     HOST_   host connection events (PTH-1)     POOL_   backend pool events (SRV-14)
//   errors of a request or an operation (never compared with the model):
//     USAGE_  a command line that cannot run as given (exit code 2)
//     API_    a bad request to a management or supervisor API
//     ENGINE_ the engine's group and server processes      STORAGE_ backends and loop devices
//     NBD_    the NBD protocol, server and client           MLINK_   the engine's mirror link transport
//     MPATH_  the host multipath layer                      SANSPEC_ the toolkit (topologies, plans, adapters, runs)

/** What kind of outcome a code names. */
export type CodeKind = 'refusal' | 'usage' | 'error';

/** One entry of the catalogue. */
export interface CodeInfo {
  /** refusal: the command does not apply in this state and changed nothing; usage: exit 2; error: it failed. */
  readonly kind: CodeKind;
  /** One sentence: when it is used. */
  readonly summary: string;
}

const refusal = (summary: string) => ({ kind: 'refusal' as const, summary });
const usage = (summary: string) => ({ kind: 'usage' as const, summary });
const error = (summary: string) => ({ kind: 'error' as const, summary });

/** Every stable code, with its kind and meaning. */
export const codes = {
  // Server lifecycle (SRV-12): the command does not apply in the server's state.
  SRV_ALREADY_RUNNING: refusal('start of a server whose virtualization is already running'),
  SRV_ALREADY_STOPPED: refusal('stop of a server whose virtualization is already stopped'),
  SRV_ALREADY_ON: refusal('power-on of a machine that is already powered on'),
  SRV_POWERED_OFF: refusal('a command that needs a powered-on machine (start, stop, shutdown, restart, crash, cache settings)'),
  SRV_NOT_RUNNING: refusal('a command that needs running virtualization (battery-low stop) on a server that is not running'),
  SRV_NO_AUTO_RESTARTS: refusal('the automatic-restart window elapsed while no automatic restart had been used (SRV-10)'),
  SRV_POOL_UNAVAILABLE: refusal('start of a server whose backing storage (its pool) is not available; nothing changes until it is back'),

  // Virtual disks.
  VD_OFFLINE: refusal('host I/O to a single virtual disk whose server is not running (VD-1)'),
  VD_NOT_MIRRORED: refusal('a mirror command (force recovery) naming a single virtual disk'),

  // Mirrored virtual disks.
  MIR_NO_HOST_ACCESS: refusal('host I/O to a mirrored virtual disk whose host access is disabled (MIR-9, DS-7)'),
  MIR_NO_RECOVERY: refusal('recovery completion reported while no mirror recovery is running'),
  MIR_FORCE_NOT_NEEDED: refusal('Force Mirror Recovery while hosts have access through an up-to-date copy (MIR-11)'),
  MIR_COPY_SERVER_DOWN: refusal('Force Mirror Recovery naming a copy whose server is not running (MIR-11)'),

  // The mirror link switch (MIR-13).
  LINK_ALREADY_UP: refusal('restore of a mirror link that is up'),
  LINK_ALREADY_DOWN: refusal('cut of a mirror link that is down'),

  // UPS events (SRV-13).
  UPS_ON_MAINS: refusal('mains-restored or battery-low while the UPS is on mains power'),
  UPS_ON_BATTERY: refusal('on-battery while the UPS is already on battery'),
  UPS_NONE: refusal('a UPS event for a server that has no UPS in the group configuration'),

  // Host connection events (PTH-1).
  HOST_ALREADY_CONNECTED: refusal('reconnect of a host that is connected'),
  HOST_ALREADY_DISCONNECTED: refusal('disconnect of a host that is already disconnected'),
  VD_NO_HOST_CONNECTED: refusal('host I/O reported while no host is connected to the group: no host can have sent it'),

  // Backend pool events (SRV-14).
  POOL_ALREADY_AVAILABLE: refusal('restore of a backend pool that is available'),
  POOL_ALREADY_UNAVAILABLE: refusal('failure of a backend pool that is already unavailable'),

  // Names.
  GROUP_UNKNOWN_NAME: refusal('a server, virtual disk, copy or mirror link that is not in the group'),

  // The command line (exit code 2).
  USAGE_UNKNOWN_COMMAND: usage('no such command or subcommand'),
  USAGE_BAD_OPTION: usage('an unknown option, or an option without its value'),
  USAGE_BAD_ARGUMENT: usage('a missing or invalid argument or option value'),

  // Requests to a management or supervisor API.
  API_BAD_REQUEST: error('the request body or parameters are invalid; the message names the field'),
  API_NOT_FOUND: error('no such route'),
  API_INTERNAL: error('the API failed unexpectedly; the message says how'),
  API_NO_ANSWER: error('a management or supervisor API could not be reached, or did not answer within the timeout'),
  API_BAD_REPLY: error(
    'a management or supervisor API answered something that is not JSON or not the error shape with a code of this catalogue',
  ),

  // The engine: groups and server processes.
  ENGINE_BAD_CONFIG: error('the group configuration is invalid; the message names every bad field'),
  ENGINE_NO_GROUP: error('no group is up in the directory'),
  ENGINE_GROUP_UP: error('a group is already up in the directory'),
  ENGINE_GROUP_FAILED: error('the group did not come up; the message has the supervisor log'),
  ENGINE_INTERRUPTED: error('group up was interrupted (SIGINT, SIGTERM or an aborted signal); everything it had started was ended'),
  ENGINE_NOT_RESPONDING: error("the group's supervisor process is gone or does not answer, but server processes of the group still run"),
  ENGINE_SERVER_DIED: error('a server process exited while powering on'),
  ENGINE_SERVER_NOT_READY: error('a server process did not answer in time after power-on'),
  ENGINE_NO_FREE_PORTS: error('no free TCP ports in the configured range for the group'),
  ENGINE_BAD_PORT_RANGE: error('SANSPEC_PORT_RANGE is not LO-HI within 1024-65535'),
  ENGINE_BUILD_FAILED: error("the engine's process bundles could not be built; the message has the bundler's errors"),
  ENGINE_FAULTS_DISABLED: error('a fault switch was asked for without the test-only setting that allows fault switches'),

  // Storage backends.
  STORAGE_BAD_OPTIONS: error('a backend was opened with invalid options'),
  STORAGE_OPEN_FAILED: error('a backing file or device could not be opened'),
  STORAGE_SIZE_MISMATCH: error('a backing file or device has another size than the virtual disk'),
  STORAGE_OUT_OF_RANGE: error('an I/O request beyond the end of the backend'),
  STORAGE_CLOSED: error('I/O to a closed backend'),
  STORAGE_NOT_ROOT: error('loop devices need root'),
  STORAGE_LOSETUP_MISSING: error('losetup (util-linux) is not installed'),
  STORAGE_LOOP_UNSUPPORTED: error('the kernel offers no loop devices here'),
  STORAGE_LOSETUP_FAILED: error('losetup failed; the message has its output'),
  STORAGE_NO_FREE_LOOP: error('no free loop device'),
  STORAGE_ALREADY_ATTACHED: error('the backing file is already attached to a loop device'),

  // NBD: the engine's server and the host client.
  NBD_INVALID_OPTIONS: error('an NBD server or client was created with invalid options'),
  NBD_ALREADY_LISTENING: error('listen() on an NBD server that already listens'),
  NBD_LISTEN_FAILED: error('the NBD server could not bind its address'),
  NBD_INVALID_URI: error('an NBD URI that does not parse (nbd://HOST[:PORT]/EXPORT or nbd+unix:///EXPORT?socket=PATH)'),
  NBD_CONNECT_FAILED: error('the host could not connect to the NBD server'),
  NBD_CONNECTION_REFUSED: error('the NBD server refused the connection (not listening: its server is stopped)'),
  NBD_HANDSHAKE_FAILED: error('the NBD handshake failed; the message has the server option reply'),
  NBD_NOT_CONNECTED: error('a request on an NBD client that is not connected'),
  NBD_INVALID_REQUEST: error('a request the export does not allow (range, alignment, flags); nothing was sent'),
  NBD_REQUEST_FAILED: error('the server answered a request with an NBD error (EIO, ESHUTDOWN, ...)'),
  NBD_CONNECTION_LOST: error('the connection closed before the reply: the request may or may not have taken effect'),
  NBD_TIMEOUT: error('no reply within the timeout: the request may or may not have taken effect'),
  NBD_SERVER_CLOSED: error('the server closed the connection'),

  // The engine's mirror link transport.
  MLINK_INVALID_OPTIONS: error('a mirror link was created with an option out of range'),
  MLINK_LISTEN_FAILED: error('the mirror (MR) port could not be bound'),
  MLINK_INVALID_REQUEST: error('a mirror link request with a bad type, header or payload'),
  MLINK_FRAME_TOO_LARGE: error('a mirror link frame over the protocol caps'),
  MLINK_LINK_DOWN: error('not sent: the mirror link is down; certainly not applied'),
  MLINK_LINK_LOST: error('sent, but the link went down before the reply: the peer may or may not have applied it'),
  MLINK_TIMEOUT: error('sent, no reply in time: the peer may or may not have applied it'),
  MLINK_PROTOCOL_ERROR: error('the peer broke the mirror link protocol'),
  MLINK_HANDLER_ERROR: error("the peer's request handler failed without a code of its own"),
  MLINK_UNKNOWN_REQUEST: error('a mirror link request type the peer does not know'),
  MLINK_UNKNOWN_DISK: error('a mirror link request for a mirrored virtual disk the peer does not hold'),
  MLINK_NOT_IN_SYNC: error("a partner write for a copy that is not the peer's in-sync partner"),
  MLINK_LISTENER_ERROR: error('a listener of mirror link events threw (a process warning; the link goes on)'),

  // The host multipath layer.
  MPATH_INVALID_OPTIONS: error('a multipath device was opened with invalid options'),
  MPATH_NO_PATH: error('no path accepted a connection in time; nothing was sent by the last attempts'),
  MPATH_IO_FAILED: error('attempts reached servers but none succeeded in time'),
  MPATH_REFUSED: error('a server refused the request itself; retrying elsewhere would not help'),
  MPATH_CLOSED: error('the multipath device was closed'),
  MPATH_SIZE_MISMATCH: error('the paths report different sizes for the disk'),

  // The toolkit.
  SANSPEC_BAD_TOPOLOGY: error('a topology is invalid; the message names every bad field'),
  SANSPEC_BAD_EVENT: error('an event that is not in the topology'),
  SANSPEC_STATE_SPACE_TOO_LARGE: error('exploration stopped at the state limit'),
  SANSPEC_BAD_PLAN: error('a plan file is invalid or was made for another topology'),
  SANSPEC_UNHEALABLE_STATE: error('the planner met a model state from which no operator repair makes every disk readable again'),
  SANSPEC_BAD_ADAPTER_CONFIG: error('an adapter configuration or command manifest is invalid'),
  SANSPEC_ADAPTER_FAILED: error('the adapter could not perform an action or report status (not a refusal)'),
  SANSPEC_BAD_STATUS: error('the system under test reported a status that does not match the CF-2 schema'),
  SANSPEC_INTERRUPTED: error('the run was interrupted (SIGINT or SIGTERM); everything it started was released'),
  SANSPEC_NO_BROWSER: error(
    'images were asked for but cannot be rendered here: no Chromium, or no mermaid-cli (the message says which, and how to install it)',
  ),
  SANSPEC_RENDER_FAILED: error('Mermaid could not render a diagram; the message names the diagram and has the renderer output'),
  SANSPEC_INTERNAL: error('a command failed unexpectedly (a bug in sanspec); the message has the stack trace'),
} as const satisfies Record<string, CodeInfo>;

/** A stable code. */
export type Code = keyof typeof codes;

/** A refusal code: a command that does not apply in the current state. */
export type RefusalCode = { [K in Code]: (typeof codes)[K]['kind'] extends 'refusal' ? K : never }[Code];

/** Whether a string is a code of the catalogue. */
export function isCode(code: string): code is Code {
  return Object.hasOwn(codes, code);
}

/** Whether a string is a refusal code of the catalogue. */
export function isRefusalCode(code: string): code is RefusalCode {
  return isCode(code) && (codes[code] as CodeInfo).kind === 'refusal';
}
