// Host I/O every adapter may use: NBD devices over the host multipath layer, single-path
// devices, copy readers over backing files, and tracking of what is open.

export { type NbdPath, openMultipathDevice } from './multipath-device.js';
export { openPathDevice } from './path-device.js';
export { openFileCopyReader } from './file-copy-reader.js';
export { type Closable, Resources } from './resources.js';
