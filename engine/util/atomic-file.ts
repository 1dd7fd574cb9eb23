import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes in progress per target path: later writes of one path wait for earlier ones. */
const inProgress = new Map<string, Promise<void>>();

/**
 * Writes a file so that a crash at any instant leaves either the old or the new content:
 * write a temporary file, fsync it, rename it over the target, fsync the directory. Writes of the
 * same path in this process run one after the other, in call order: the last call's content is
 * what stays, and two writers never share the temporary file (a periodic save racing a final one
 * at a graceful stop renamed the other's temporary file away, and the stop failed).
 */
export function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const previous = inProgress.get(path) ?? Promise.resolve();
  const write = previous.catch(() => {}).then(() => writeNow(path, data));
  const settled = write.catch(() => {});
  inProgress.set(path, settled);
  void settled.then(() => {
    if (inProgress.get(path) === settled) inProgress.delete(path);
  });
  return write;
}

async function writeNow(path: string, data: string | Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Writes JSON atomically (see writeFileAtomic). */
export function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads a JSON file, or returns undefined if it does not exist. */
export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
