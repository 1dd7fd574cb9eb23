// NBD URIs (the NBD URI specification used by libnbd, qemu and nbdkit) for a bound address.

import type { NbdAddress } from './types.js';

function encodePath(text: string): string {
  return encodeURIComponent(text).replaceAll('%2F', '/');
}

/** 'nbd://HOST:PORT/EXPORT' or 'nbd+unix:///EXPORT?socket=PATH', as nbdinfo, nbdcopy and qemu accept. */
export function formatNbdUri(address: NbdAddress, exportName: string): string {
  const name = encodePath(exportName);
  if (address.kind === 'unix') return `nbd+unix:///${name}?socket=${encodePath(address.path)}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `nbd://${host}:${address.port}/${name}`;
}
