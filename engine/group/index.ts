// engine/group: a storage server group as a programmatic API, for the command line (`sanspec
// group up|down`, every engine command) and for adapters. Imports nothing from the toolkit.

export { downGroup, type GroupDownResult } from './group-down.js';
export { GroupError } from './group-error.js';
export { groupPaths, isGroupProcess, readPorts, readRuntime, type ServerProcess, serverProcesses, supervisorPid } from './group-files.js';
export { type GroupUpResult, type UpGroupOptions, upGroup } from './group-up.js';
export { callSupervisor, leftoverProcesses, supervisorUrl } from './supervisor-client.js';
