/**
 * Safe reads and writes inside an unpacked rootfs for code outside the layer applier (config.json
 * generation: `/etc/passwd`, `/etc/group`, WorkingDir, mount points). Every path goes through
 * {@link resolveInRoot}, so a symlink in the image — `/etc/passwd → /host/etc/passwd`, `../../..` —
 * resolves as it would inside the container and never reaches the host.
 *
 * @module rootfs/in-root
 */
import { constants as fsc } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import { err, ErrorCode } from '../errors.js';
import { isInside, resolveInRoot } from './resolve-in-root.js';

const READ_FLAGS = fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0) | (fsc.O_NONBLOCK ?? 0);

function guard(root: string, host: string, imagePath: string): void {
  if (!isInside(root, host)) throw err(ErrorCode.PathEscape, `${JSON.stringify(imagePath)} resolves outside the image root`, { path: imagePath });
}

/**
 * The content of the regular file the image calls `imagePath`, or `undefined` when there is none.
 *
 * @param root the rootfs (absolute host path).
 * @param imagePath a path as the image sees it (e.g. `/etc/passwd`; symlinks resolve inside the root).
 * @param options.maxSize the largest file accepted, in bytes.
 * @throws MagikrunError `LIMIT_EXCEEDED` (larger than `maxSize`), `INVALID_ARGUMENT` (not a regular
 *   file: a directory, FIFO or device — refused without opening it), `INVALID_ARGUMENT` (a symlink loop).
 */
export async function readFileInRoot(root: string, imagePath: string, options: { maxSize: number }): Promise<Buffer | undefined> {
  const host = await resolveInRoot(root, imagePath, true);
  guard(root, host, imagePath);
  // Checked before open(2): opening a device node the image put here can act on the host (a watchdog
  // starts, a tape rewinds, a tty becomes the controlling terminal). The fstat after open covers the rest.
  let pre;
  try {
    pre = await lstat(host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err(ErrorCode.InvalidArgument, `cannot read ${imagePath} in the image: ${code}`, { path: imagePath }, e);
  }
  if (!pre.isFile()) throw err(ErrorCode.InvalidArgument, `${imagePath} in the image is not a regular file`, { path: imagePath });
  let fh;
  try {
    fh = await open(host, READ_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err(ErrorCode.InvalidArgument, `cannot read ${imagePath} in the image: ${code}`, { path: imagePath }, e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw err(ErrorCode.InvalidArgument, `${imagePath} in the image is not a regular file`, { path: imagePath });
    if (st.size > options.maxSize) {
      throw err(ErrorCode.LimitExceeded, `${imagePath} in the image is ${st.size} bytes, more than the limit of ${options.maxSize}`, { path: imagePath, max: options.maxSize, value: st.size });
    }
    const buf = Buffer.alloc(options.maxSize + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > options.maxSize) {
        throw err(ErrorCode.LimitExceeded, `${imagePath} in the image is more than ${options.maxSize} bytes`, { path: imagePath, max: options.maxSize });
      }
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/**
 * `mkdir -p` of the directory the image calls `imagePath` (e.g. WorkingDir); symlinks on the way resolve
 * inside the root. Directories created get `mode` (before the umask).
 *
 * @returns the host path of the directory.
 * @throws MagikrunError `INVALID_ARGUMENT` when the path (or a parent) exists and is not a directory, or
 *   for a symlink loop.
 */
export async function mkdirInRoot(root: string, imagePath: string, mode = 0o755): Promise<string> {
  const host = await resolveInRoot(root, imagePath, true);
  guard(root, host, imagePath);
  try {
    await mkdir(host, { recursive: true, mode });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw err(ErrorCode.InvalidArgument, `${imagePath} in the image exists and is not a directory`, { path: imagePath }, e);
    }
    throw err(ErrorCode.Internal, `cannot create ${imagePath} in the image: ${(e as Error).message}`, { path: imagePath }, e);
  }
  return host;
}
