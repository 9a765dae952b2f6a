/**
 * Building a bundle directory atomically: everything is written into a private (0700) temporary
 * directory beside the destination, which is renamed into place at the end; on any failure the
 * temporary directory is removed, so nothing partial is ever visible at the destination.
 *
 * @module bundle-builder/stage-dir
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';
import { fsyncDir } from '../storage/durable-file.js';

/** `absent`: the destination must not exist (a bundle id). `absent-or-empty`: it may be an empty directory (`magikrun bundle DIR`). */
export type DestinationRule = 'absent' | 'absent-or-empty';

function mountPointError(dest: string, cause?: unknown) {
  return err(ErrorCode.InvalidArgument, `${dest} is a mount point, which the finished bundle cannot be renamed onto; give a new directory inside it`, { path: dest }, cause);
}

/**
 * Check that `dest` may receive a bundle.
 *
 * @throws MagikrunError `ALREADY_EXISTS` when it exists (and, for `absent-or-empty`, is not an empty
 *   directory); `INVALID_ARGUMENT` for a symlink or a mount point (another filesystem's root: the
 *   bundle is built beside `dest` and renamed onto it); `NOT_FOUND` when its parent directory is missing.
 */
export async function checkDestination(dest: string, rule: DestinationRule): Promise<void> {
  const parent = path.dirname(dest);
  const pst = await lstat(parent).catch(() => undefined);
  if (!pst?.isDirectory()) throw err(ErrorCode.NotFound, `the parent directory ${parent} of ${dest} does not exist; create it first`, { path: dest });
  let st;
  try {
    st = await lstat(dest);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (st.isSymbolicLink()) throw err(ErrorCode.InvalidArgument, `${dest} is a symbolic link; give the bundle directory itself`, { path: dest });
  if (st.isDirectory() && st.dev !== pst.dev) throw mountPointError(dest);
  if (rule === 'absent-or-empty' && st.isDirectory() && (await readdir(dest)).length === 0) return;
  throw err(
    ErrorCode.AlreadyExists,
    rule === 'absent' ? `${dest} already exists; choose another id or remove it` : `${dest} exists and is not an empty directory; give a new or empty directory`,
    { path: dest },
  );
}

/**
 * Run `build(tmp)` in a fresh 0700 directory beside `dest`, then rename it to `dest` (a rename over
 * an empty directory replaces it). The result is 0700.
 *
 * @throws MagikrunError as {@link checkDestination} (checked before and at the rename), and whatever
 *   `build` throws (the temporary directory is removed first).
 */
export async function stageDirectory<T>(dest: string, rule: DestinationRule, build: (tmp: string) => Promise<T>): Promise<T> {
  await checkDestination(dest, rule);
  const tmp = path.join(path.dirname(dest), `.tmp-${path.basename(dest)}-${randomBytes(6).toString('hex')}`);
  await mkdir(tmp, { mode: 0o700 });
  try {
    const result = await build(tmp);
    await fsyncDir(tmp);
    try {
      await rename(tmp, dest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR' || code === 'EISDIR') {
        throw err(ErrorCode.AlreadyExists, `${dest} was created by someone else meanwhile; choose another destination`, { path: dest }, e);
      }
      // A mount point on the same filesystem (a bind mount) only shows here.
      if (code === 'EBUSY' || code === 'EXDEV') throw mountPointError(dest, e);
      throw e;
    }
    await fsyncDir(path.dirname(dest));
    return result;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
