// Reads one copy's backend directly: the backing file (or block device) beneath any cache of the
// system under test, with positional reads, for byte comparisons of copies (DS-6) and cache
// probes. The file is opened read-only and closed by `close()`.

import { open, readFile } from 'node:fs/promises';
import { AdapterError, type CopyReader } from '../types.js';

/** Opens `path` for reading; `size` defaults to the file's size, or the block device's. */
export async function openFileCopyReader(path: string, size?: number): Promise<CopyReader> {
  const handle = await open(path, 'r').catch((error: unknown) => {
    throw new AdapterError(`cannot open the copy's backend ${path}: ${(error as Error).message}`, { path });
  });
  const stat = await handle.stat();
  // A block device's size is in sysfs, in 512-byte sectors (stat reports 0).
  const bytes =
    size ??
    (stat.isBlockDevice()
      ? Number(
          await readFile(
            `/sys/dev/block/${Math.floor(stat.rdev / 256) & 0xfff}:${(stat.rdev & 0xff) | ((stat.rdev >> 12) & 0xfff00)}/size`,
            'utf8',
          ),
        ) * 512
      : stat.size);
  return {
    size: bytes,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes)
        throw new AdapterError(`read of ${length} bytes at ${offset} is outside the copy's backend ${path} (${bytes} bytes)`, {
          path,
          offset,
          length,
        });
      const buffer = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) break; // a sparse file shorter than the disk reads as zeros
        done += bytesRead;
      }
      return buffer;
    },
    close: () => handle.close(),
  };
}
