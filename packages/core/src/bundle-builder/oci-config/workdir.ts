/**
 * Creating the container's working directory inside the rootfs when the image lacks it, as Docker
 * does (`container.SetupWorkingDirectory`): resolved as if chrooted, so a symlink in the image can
 * never make magikrun create a directory outside the rootfs; missing components are created 0755,
 * owned by the builder (root when building as root, as Docker's).
 *
 * @module bundle-builder/oci-config/workdir
 */
import { chmod, lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../../errors.js';
import { isInside, resolveInRoot } from '../rootfs/resolve-in-root.js';

/**
 * Make sure `cwd` (absolute, as the container sees it) is a directory in `rootfs`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` when a component exists and is not a directory;
 *   `PATH_ESCAPE` if the resolved path would leave the rootfs (a bug guard: the resolver clamps).
 */
export async function ensureWorkdir(rootfs: string, cwd: string): Promise<void> {
  const host = await resolveInRoot(rootfs, cwd, true);
  if (!isInside(rootfs, host)) throw err(ErrorCode.PathEscape, `working directory ${cwd} resolves outside the rootfs`, { cwd });
  let current = rootfs;
  for (const part of path.relative(rootfs, host).split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    let st;
    try {
      st = await lstat(current);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await mkdir(current, { mode: 0o755 });
      await chmod(current, 0o755);
      continue;
    }
    if (st.isSymbolicLink()) throw err(ErrorCode.PathEscape, `working directory ${cwd}: ${part} became a symbolic link while it was created`, { cwd });
    if (!st.isDirectory()) {
      throw err(ErrorCode.InvalidArgument, `working directory ${cwd} cannot be used: ${path.relative(rootfs, current)} is not a directory in the image`, { cwd });
    }
  }
}
