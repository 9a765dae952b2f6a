import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeBundle } from './remove-bundle.js';

describe('removeBundle', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'magikrun-rmbundle-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('removes <root>/bundles/<id> and tolerates one already gone', async () => {
    const b = path.join(dir, 'bundles', 'c1');
    await mkdir(path.join(b, 'rootfs'), { recursive: true });
    await writeFile(path.join(b, 'wasi.json'), '{}');
    await removeBundle({ path: b });
    await expect(stat(b)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(removeBundle({ path: b })).resolves.toBeUndefined();
  });

  it('refuses paths that are not bundle directories, and symlinks', async () => {
    await expect(removeBundle({ path: dir })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(removeBundle({ path: path.join(dir, 'bundles', '.tmp-x') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const target = path.join(dir, 'precious');
    await mkdir(target);
    await mkdir(path.join(dir, 'bundles'));
    await symlink(target, path.join(dir, 'bundles', 'evil'));
    await expect(removeBundle({ path: path.join(dir, 'bundles', 'evil') })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(stat(target)).resolves.toBeTruthy();
  });
});
