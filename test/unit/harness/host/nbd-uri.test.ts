// NBD URI parsing (host client) and formatting (engine server) agree.

import { describe, expect, it } from 'vitest';
import { formatNbdUri } from '../../../../engine/nbd/index.js';
import { NbdUriError, parseNbdUri } from '../../../../harness/host/index.js';

describe('NBD URIs', () => {
  it('parses TCP URIs, with the default port 10809 and percent-decoded export names', () => {
    expect(parseNbdUri('nbd://127.0.0.1:10900/disk')).toEqual({ host: '127.0.0.1', port: 10900, exportName: 'disk' });
    expect(parseNbdUri('nbd://server/')).toEqual({ host: 'server', port: 10809, exportName: '' });
    expect(parseNbdUri('nbd://[::1]:5/a%20b/c')).toEqual({ host: '::1', port: 5, exportName: 'a b/c' });
  });

  it('parses Unix socket URIs', () => {
    expect(parseNbdUri('nbd+unix:///m1?socket=/run/sanspec/s1.sock')).toEqual({ path: '/run/sanspec/s1.sock', exportName: 'm1' });
    expect(parseNbdUri('nbd+unix://?socket=/tmp/x.sock')).toEqual({ path: '/tmp/x.sock', exportName: '' });
  });

  it('rejects TLS schemes, missing sockets and unknown schemes with NBD_INVALID_URI', () => {
    for (const bad of ['nbds://h/e', 'nbd+unix:///e', 'http://h/e', 'not a uri', 'nbd+unix://host/e?socket=/x']) {
      expect(() => parseNbdUri(bad), bad).toThrow(NbdUriError);
    }
  });

  it('round-trips what the server formats', () => {
    const tcp = formatNbdUri({ kind: 'tcp', host: '127.0.0.1', port: 4000 }, 'v 1');
    expect(parseNbdUri(tcp)).toEqual({ host: '127.0.0.1', port: 4000, exportName: 'v 1' });
    const unix = formatNbdUri({ kind: 'unix', path: '/tmp/a b/s.sock' }, 'm1');
    expect(unix).toBe('nbd+unix:///m1?socket=/tmp/a%20b/s.sock');
    expect(parseNbdUri(unix)).toEqual({ path: '/tmp/a b/s.sock', exportName: 'm1' });
    expect(formatNbdUri({ kind: 'tcp', host: '::1', port: 1 }, '')).toBe('nbd://[::1]:1/');
  });
});
