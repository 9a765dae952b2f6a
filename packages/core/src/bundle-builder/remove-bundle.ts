/**
 * Removing a bundle that `BundleBuilder` wrote, once its container is deleted (OCI `delete` leaves the
 * bundle, as runc does; the bundle's creator removes it).
 *
 * @module bundle-builder/remove-bundle
 */
import { lstat, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Bundle } from '../bundle/types.js';
import { err, ErrorCode } from '../errors.js';

/**
 * Delete `bundle.path` and everything in it. Only a directory directly inside a `bundles` directory
 * (`<root>/bundles/<id>`, where `BundleBuilder` writes) is removed, and never through a symlink.
 * A bundle that is already gone is not an error.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a path that is not a BundleBuilder bundle directory.
 */
export async function removeBundle(bundle: Pick<Bundle, 'path'>): Promise<void> {
  const dir = path.resolve(bundle.path);
  if (path.basename(path.dirname(dir)) !== 'bundles' || path.basename(dir).startsWith('.')) {
    throw err(ErrorCode.InvalidArgument, `refusing to remove ${dir}: it is not a bundle directory <root>/bundles/<id>`, { path: dir });
  }
  let st;
  try {
    st = await lstat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!st.isDirectory()) throw err(ErrorCode.InvalidArgument, `refusing to remove ${dir}: not a directory`, { path: dir });
  await rm(dir, { recursive: true, force: true });
}
