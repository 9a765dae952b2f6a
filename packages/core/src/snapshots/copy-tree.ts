/**
 * A complete copy of a root filesystem for the copy mode: GNU `cp -a` (coreutils), because Node's
 * `fs.cp` keeps neither owners, hard links, device nodes, FIFOs nor xattrs. `--reflink=auto` shares
 * extents where the filesystem can (btrfs, XFS), so copies are cheap there.
 *
 * @module snapshots/copy-tree
 */
import { execFile } from 'node:child_process';
import { err, ErrorCode } from '../errors.js';

/**
 * Copy the tree `src` to `dst` (which must not exist) with owners, modes, timestamps, hard links,
 * special files and xattrs.
 *
 * @throws MagikrunError `UNAVAILABLE` when `cp` is missing; `INTERNAL` when it fails (message carries
 *   its stderr, e.g. no space left on the device).
 */
export function copyTree(src: string, dst: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('cp', ['-a', '--reflink=auto', '--no-target-directory', '--', src, dst], { encoding: 'utf8', maxBuffer: 4 * 1024 * 1024, ...(signal ? { signal } : {}) }, (error, _out, stderr) => {
      if (!error) return resolve();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !stderr) {
        return reject(err(ErrorCode.Unavailable, 'cp (GNU coreutils) was not found; install coreutils', { tool: 'cp' }, error));
      }
      if ((error as NodeJS.ErrnoException).name === 'AbortError') return reject(err(ErrorCode.Aborted, `copying ${src} was aborted`, { src, dst }, error));
      reject(err(ErrorCode.Internal, `copying the rootfs ${src} to ${dst} failed: ${String(stderr).trim().split('\n').slice(0, 3).join('; ') || error.message}`, { src, dst }, error));
    });
  });
}
