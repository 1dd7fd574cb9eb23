// A mirror link peer in its own process, for crash (SIGKILL) and hang (SIGSTOP) tests.
// Run: node --import tsx test/helpers/mirror-peer-main.ts '<MirrorLinkOptions as JSON, without onRequest>'
// Prints one JSON line per event on stdout: {"event":"ready","port":N} once listening or connecting,
// then {"event":"up"}, {"event":"down","reason":"..."}, {"event":"handshake-failed",...}.
// Handles 'hold' (never answers), 'fail' (error reply EIO) and anything else (echo). Exits when its
// stdin closes, so it never outlives the test process.

import { createMirrorLink, type MirrorLinkOptions } from '../../engine/mirror/index.js';

function print(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

const options = JSON.parse(process.argv[2] ?? '{}') as Omit<MirrorLinkOptions, 'onRequest'>;
const link = createMirrorLink({
  ...options,
  onRequest(req) {
    if (req.type === 'hold') return new Promise(() => {});
    if (req.type === 'fail') return Promise.reject(Object.assign(new Error('failed on purpose'), { code: 'EIO' }));
    return { header: { ...req.header, pid: process.pid }, payload: req.payload };
  },
});
link.on('up', (info) => print({ event: 'up', ...info }));
link.on('down', (info) => print({ event: 'down', ...info }));
link.on('handshake-failed', (info) => print({ event: 'handshake-failed', ...info }));
await link.ready();
print({ event: 'ready', port: link.address?.port ?? null, pid: process.pid });

process.stdin.resume();
process.stdin.on('end', () => {
  void link.close().then(() => process.exit(0));
});
