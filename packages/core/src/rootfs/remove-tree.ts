/**
 * Removing a partial rootfs or snapshot, even when the unpack left directories without write
 * permission for a non-root user (a layer's 0555 directories).
 *
 * @module rootfs/remove-tree
 */
import { chmod, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

async function grantWrite(dir: string): Promise<void> {
  await chmod(dir, 0o700).catch(() => undefined);
  let children;
  try {
    children = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const c of children) if (c.isDirectory()) await grantWrite(path.join(dir, c.name));
}

/** `rm -rf p`, never following symlinks; directories are made writable first when that is what stops it. */
export async function removeTree(p: string): Promise<void> {
  try {
    await rm(p, { recursive: true, force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw e;
    await grantWrite(p);
    await rm(p, { recursive: true, force: true });
  }
}
