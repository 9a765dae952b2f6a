/**
 * Resolving a path inside a root directory the way the image sees it: symlinks are followed as if
 * the root were `/` (an absolute target restarts at the root, `..` stops at the root), so the result
 * never leaves the root — the semantics of filepath-securejoin (`SecureJoin`), used by runc and umoci.
 *
 * The unpacker calls this for every parent directory of every tar entry, so a symlink planted by one
 * entry (or an earlier layer) can never make a later entry land outside the rootfs.
 *
 * Not safe against a concurrent attacker rewriting the tree while it is resolved; the rootfs is a
 * private directory that only the unpacker writes.
 *
 * @module bundle-builder/rootfs/resolve-in-root
 */
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../../errors.js';

/** Most symlinks followed while resolving one path (as Linux's MAXSYMLINKS): 40. */
export const MAX_SYMLINK_HOPS = 40;

/** Split a slash-separated path into components, dropping empty ones and `.`. */
export function splitPath(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/**
 * The host path that `unsafePath` names inside `root`.
 *
 * @param root absolute host path of the root (itself trusted).
 * @param unsafePath a path as the image names it (absolute or relative to the root; may contain
 *   symlinks and `..`).
 * @param followFinal follow a symlink in the last component too (true when the caller will read
 *   the file; false when it will replace or remove the entry itself).
 * @returns an absolute host path inside `root` (missing components are kept as written; `..` is
 *   applied lexically and clamped at the root; every existing component is checked for a symlink,
 *   even after a missing one, so `missing/../link` cannot smuggle a symlink through).
 * @throws MagikrunError `INVALID_ARGUMENT` after {@link MAX_SYMLINK_HOPS} symlinks, or for a NUL byte.
 */
export async function resolveInRoot(root: string, unsafePath: string, followFinal: boolean): Promise<string> {
  if (unsafePath.includes('\0')) throw err(ErrorCode.InvalidArgument, `path ${JSON.stringify(unsafePath)} contains a NUL byte`, { path: unsafePath });
  const resolved: string[] = [];
  let remaining = splitPath(unsafePath);
  let hops = 0;
  while (remaining.length > 0) {
    const part = remaining.shift()!;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, part);
    if (remaining.length === 0 && !followFinal) {
      resolved.push(part);
      continue;
    }
    let isLink = false;
    try {
      isLink = (await lstat(candidate)).isSymbolicLink();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) {
      throw err(ErrorCode.InvalidArgument, `too many levels of symbolic links resolving ${JSON.stringify(unsafePath)} in the image`, { path: unsafePath });
    }
    const target = await readlink(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    remaining = [...splitPath(target), ...remaining];
  }
  return path.join(root, ...resolved);
}

/** True when `p` is `root` or inside it (lexically). */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
