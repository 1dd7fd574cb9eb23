// The engine's atomic file writer: state files (generation records, change bitmaps) are saved
// periodically and at a graceful stop. Saves of one file that overlap must all succeed, in call
// order: a periodic save racing the final one used to rename the other's temporary file away, the
// stop failed and the clean shutdown was recorded as a crash.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../../engine/util/atomic-file.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('writeFileAtomic', () => {
  it('overlapping saves of one file all succeed, the last call wins, and no temporary file is left', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sanspec-atomic-'));
    const path = join(dir, 'm1.changed');
    const saves = Array.from({ length: 20 }, (_, i) => writeFileAtomic(path, `version ${i}`));
    await expect(Promise.all(saves)).resolves.toHaveLength(20);
    expect(await readFile(path, 'utf8')).toBe('version 19');
    expect(await readdir(dir)).toEqual(['m1.changed']);
  });
});
