// Parsing of NBD URIs (the NBD URI specification used by libnbd, qemu and nbdkit), TLS-less forms.

import { NbdUriError } from './errors.js';

/** Default NBD port (IANA). */
export const NBD_DEFAULT_PORT = 10809;

/** Where an NBD server listens and which export to open. */
export type NbdEndpoint =
  | { readonly host: string; readonly port: number; readonly exportName: string }
  | { readonly path: string; readonly exportName: string };

/** Parses 'nbd://HOST[:PORT]/EXPORT' or 'nbd+unix:///EXPORT?socket=PATH'. */
export function parseNbdUri(uri: string): NbdEndpoint {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new NbdUriError(uri, 'not a URI');
  }
  const exportName = decode(uri, url.pathname.replace(/^\//, ''));
  switch (url.protocol) {
    case 'nbd:':
    case 'nbd+tcp:': {
      if (url.hostname === '') throw new NbdUriError(uri, 'no host');
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      const port = url.port === '' ? NBD_DEFAULT_PORT : Number(url.port);
      return { host, port, exportName };
    }
    case 'nbd+unix:': {
      if (url.hostname !== '')
        throw new NbdUriError(uri, 'a Unix socket URI has no host (use three slashes: nbd+unix:///EXPORT?socket=PATH)');
      const path = url.searchParams.get('socket');
      if (path === null || path === '') throw new NbdUriError(uri, 'no socket=PATH query parameter');
      return { path, exportName };
    }
    case 'nbds:':
    case 'nbds+unix:':
    case 'nbds+tcp:':
      throw new NbdUriError(uri, 'TLS is not supported by this client');
    default:
      throw new NbdUriError(uri, `unknown scheme '${url.protocol}'`);
  }
}

function decode(uri: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new NbdUriError(uri, 'bad percent-encoding in the export name');
  }
}
