/**
 * The store root: where it is and the checks it must pass before anything is read or written there.
 *
 * @module storage/root
 */
import { chmod, lstat, mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';

/** The environment variable that moves the store root. */
export const ROOT_ENV = 'MAGIKRUN_ROOT';
/** Mode of the root and of every directory the store creates. */
export const DIR_MODE = 0o700;

/**
 * The store root: `root` if given, else `$MAGIKRUN_ROOT` if set and non-empty, else `~/.magikrun`.
 * Relative paths are resolved against the working directory.
 */
export function resolveStoreRoot(root?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (root !== undefined) {
    if (typeof root !== 'string' || root === '' || root.includes('\0')) {
      throw err(ErrorCode.InvalidArgument, `invalid store root ${JSON.stringify(root)}: give a directory path`, { root });
    }
    return path.resolve(root);
  }
  const fromEnv = env[ROOT_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (fromEnv.includes('\0')) throw err(ErrorCode.InvalidArgument, `${ROOT_ENV} contains a NUL byte`, { root: fromEnv });
    return path.resolve(fromEnv);
  }
  return path.join(homedir(), '.magikrun');
}

/**
 * Create the root if missing (mode 0700, set with chmod so the umask cannot widen it), and refuse a root
 * that another user owns or that is group- or world-writable: someone else could then plant or swap
 * blobs. On Windows (no uids or mode bits) only the directory check applies.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` when the root is not a directory, is owned by another uid, or
 *   is group/world-writable (the message says the `chown` / `chmod` to run).
 */
export async function prepareStoreRoot(root: string): Promise<void> {
  let created: string | undefined;
  try {
    created = await mkdirParents(root);
  } catch (e) {
    throw err(ErrorCode.InvalidArgument, `cannot create the store root ${root}: ${(e as Error).message}; set ${ROOT_ENV} or the root option to a directory you own`, { root }, e);
  }
  if (created !== undefined) await chmod(root, DIR_MODE);

  const st = await stat(root);
  if (!st.isDirectory()) {
    throw err(ErrorCode.InvalidArgument, `the store root ${root} is not a directory; point ${ROOT_ENV} or the root option at a directory`, { root });
  }
  const uid = process.geteuid?.();
  if (uid !== undefined && process.platform !== 'win32') {
    if (st.uid !== uid) {
      throw err(
        ErrorCode.InvalidArgument,
        `refusing the store root ${root}: it is owned by uid ${st.uid}, not by this user (uid ${uid}); run "chown ${uid} ${root}" or use another root`,
        { root, owner: st.uid, uid },
      );
    }
    if ((st.mode & 0o022) !== 0) {
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      throw err(
        ErrorCode.InvalidArgument,
        `refusing the store root ${root}: it is group- or world-writable (mode ${mode}), so other users could plant blobs; run "chmod 700 ${root}"`,
        { root, mode },
      );
    }
  }
}

/**
 * `mkdir -p` without Node's recursive mkdir, which loops forever on some paths (a missing directory
 * under /proc answers ENOENT, then EEXIST for its parent, and Node retries). Walks up to the nearest
 * existing ancestor, then creates each missing component once.
 *
 * @returns the first directory created, or undefined when `dir` existed.
 */
async function mkdirParents(dir: string): Promise<string | undefined> {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      await stat(d);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(d) === d) throw e;
      missing.unshift(d);
    }
  }
  for (const d of missing) await mkdir(d, { mode: DIR_MODE });
  return missing[0];
}

/**
 * Create a directory inside the root (0700) and check that it is a real directory, not a symlink that
 * could lead writes elsewhere or onto another filesystem (where rename would fail).
 *
 * @returns true when this call created it.
 * @throws MagikrunError `INVALID_ARGUMENT`
 */
export async function ensureStoreDir(dir: string): Promise<boolean> {
  const created = await mkdir(dir, { recursive: true, mode: DIR_MODE });
  if (created !== undefined) await chmod(dir, DIR_MODE);
  const st = await lstat(dir);
  if (!st.isDirectory()) {
    throw err(ErrorCode.InvalidArgument, `${dir} inside the store is not a plain directory (symlink or file); remove it so the store can recreate it`, { path: dir });
  }
  if (process.platform !== 'win32' && (st.mode & 0o022) !== 0) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    throw err(ErrorCode.InvalidArgument, `refusing ${dir} inside the store: it is group- or world-writable (mode ${mode}); run "chmod 700 ${dir}"`, { path: dir, mode });
  }
  return created !== undefined;
}
