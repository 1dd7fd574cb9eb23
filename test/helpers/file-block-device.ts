// A file-backed BlockDevice for integration tests: pread/pwrite on a sparse file, fdatasync for
// FLUSH and FUA. Concurrency-safe because positional I/O on one fd is.

import { open, type FileHandle } from 'node:fs/promises';
import { BlockError, type BlockDevice, type WriteOptions } from '../../engine/types.js';

/** A file device; `close` releases the file. */
export interface FileBlockDevice extends BlockDevice {
  close(): Promise<void>;
}

/**
 * Creates (or truncates) `path` to `size` bytes and serves it. With `preallocate`, the file is
 * written with zeros first so random writes do not fragment it (deleting a file fragmented by
 * thousands of random 4 KiB writes can take seconds).
 */
export async function createFileBlockDevice(path: string, size: number, options: { preallocate?: boolean } = {}): Promise<FileBlockDevice> {
  const fh: FileHandle = await open(path, 'w+');
  await fh.truncate(size);
  if (options.preallocate === true) {
    const zeros = Buffer.alloc(Math.min(size, 1024 * 1024));
    for (let done = 0; done < size; done += zeros.length) await fh.write(zeros, 0, Math.min(zeros.length, size - done), done);
    await fh.datasync();
  }
  const check = (offset: number, length: number) => {
    if (offset < 0 || length < 0 || offset + length > size)
      throw new BlockError('EINVAL', `file device: range ${offset}+${length} outside 0..${size}`);
  };
  const writeZeros = async (offset: number, length: number, fua: boolean) => {
    check(offset, length);
    const zeros = Buffer.alloc(Math.min(length, 1024 * 1024));
    for (let done = 0; done < length; ) {
      const n = Math.min(zeros.length, length - done);
      await fh.write(zeros, 0, n, offset + done);
      done += n;
    }
    if (fua) await fh.datasync();
  };
  return {
    size,
    async read(offset, length) {
      check(offset, length);
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fh.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) break; // beyond EOF of a sparse file: zeros
        done += bytesRead;
      }
      return buf;
    },
    async write(offset, data, options: WriteOptions) {
      check(offset, data.length);
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done, offset + done);
        done += bytesWritten;
      }
      if (options.fua) await fh.datasync();
    },
    async flush() {
      await fh.datasync();
    },
    trim: (offset, length, options) => writeZeros(offset, length, options.fua),
    writeZeroes: (offset, length, options) => writeZeros(offset, length, options.fua),
    close: () => fh.close(),
  };
}
