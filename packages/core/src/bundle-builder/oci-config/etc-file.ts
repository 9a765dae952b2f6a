/**
 * Reading a small text file of the image (`/etc/passwd`, `/etc/group`) safely: the path is resolved
 * inside the rootfs as if chrooted (a symlink to the host's `/etc/passwd` stays inside the root), the
 * file is opened without following a final symlink and without blocking on a FIFO, must be a regular
 * file, and is read up to a size cap.
 *
 * @module bundle-builder/oci-config/etc-file
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { err, ErrorCode } from '../../errors.js';
import { resolveInRoot } from '../rootfs/resolve-in-root.js';

/** Largest `/etc/passwd` or `/etc/group` read, in bytes: 4 MiB (about 50 000 entries). */
export const MAX_ETC_FILE_SIZE = 4 * 1024 * 1024;

/**
 * The text of `guestPath` in `rootfs`, or undefined when the image has no such file.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` when it is not a regular file (directory, FIFO, device),
 *   or for a symlink loop; `LIMIT_EXCEEDED` when larger than `maxBytes`.
 */
export async function readImageFile(rootfs: string, guestPath: string, maxBytes: number = MAX_ETC_FILE_SIZE): Promise<string | undefined> {
  const host = await resolveInRoot(rootfs, guestPath, true);
  let fh;
  try {
    fh = await open(host, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') throw err(ErrorCode.InvalidArgument, `${guestPath} in the image is a symbolic link that cannot be resolved`, { path: guestPath }, e);
    throw e;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw err(ErrorCode.InvalidArgument, `${guestPath} in the image is not a regular file`, { path: guestPath });
    if (st.size > maxBytes) {
      throw err(ErrorCode.LimitExceeded, `${guestPath} in the image is ${st.size} bytes, more than the ${maxBytes} magikrun reads`, { path: guestPath, limit: 'etcFileSize', max: maxBytes, value: st.size });
    }
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > maxBytes) {
        throw err(ErrorCode.LimitExceeded, `${guestPath} in the image grew past the ${maxBytes} bytes magikrun reads`, { path: guestPath, limit: 'etcFileSize', max: maxBytes });
      }
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    await fh.close();
  }
}
