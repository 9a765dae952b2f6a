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
 * @module rootfs/resolve-in-root
 */
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';

/** Most symlinks followed while resolving one path (as Linux's MAXSYMLINKS): 40. */
export const MAX_SYMLINK_HOPS = 40;

/**
 * Most path components one resolution walks, symlink targets included: 1024. Linux would walk up to 40
 * targets of 4095 bytes each; a hostile layer uses that to make every entry cost tens of thousands of
 * lstat calls (seconds per entry from a few bytes of tar), so the walk is capped far above what real
 * images need (a few dozen components).
 */
export const MAX_RESOLVE_STEPS = 1024;

/** A walking budget shared by many resolutions (e.g. all of one layer's): path components left. */
export interface ResolveBudget {
  steps: number;
  /** The budget's size, for messages and error details. */
  readonly limit: number;
}

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
 * @param options.from a host directory inside `root`, already resolved and free of symlinks, where a
 *   relative `unsafePath` starts (the applier's cache of parent directories); `..` may still climb
 *   above it, up to the root.
 * @param options.budget a walking budget shared with other resolutions, decreased by the components walked.
 * @returns an absolute host path inside `root` (missing components are kept as written; `..` is
 *   applied lexically and clamped at the root; every existing component is checked for a symlink,
 *   even after a missing one, so `missing/../link` cannot smuggle a symlink through).
 * @throws MagikrunError `INVALID_ARGUMENT` after {@link MAX_SYMLINK_HOPS} symlinks, or for a NUL byte;
 *   `LIMIT_EXCEEDED` after {@link MAX_RESOLVE_STEPS} components, or when `options.budget` runs out.
 */
export async function resolveInRoot(root: string, unsafePath: string, followFinal: boolean, options: { from?: string; budget?: ResolveBudget } = {}): Promise<string> {
  if (unsafePath.includes('\0')) throw err(ErrorCode.InvalidArgument, `path ${JSON.stringify(unsafePath)} contains a NUL byte`, { path: unsafePath });
  // hosts[i]: the host path of the first i+1 resolved components (no symlink among them).
  const hosts: string[] = [];
  if (options.from !== undefined) {
    let h = root;
    for (const c of splitPath(path.relative(root, options.from))) hosts.push((h = path.join(h, c)));
  }
  // Components still to walk, the next one last (a stack: a symlink's target is pushed in reverse).
  const pending = splitPath(unsafePath).reverse();
  const budget = options.budget;
  let hops = 0;
  let steps = 0;
  while (pending.length > 0) {
    if (++steps > MAX_RESOLVE_STEPS) {
      throw err(ErrorCode.LimitExceeded, `resolving ${JSON.stringify(unsafePath.slice(0, 200))} in the image walks more than ${MAX_RESOLVE_STEPS} path components (symlinks that expand too far)`, {
        path: unsafePath.slice(0, 200),
        limit: 'maxResolveSteps',
        max: MAX_RESOLVE_STEPS,
      });
    }
    if (budget && --budget.steps < 0) {
      throw err(ErrorCode.LimitExceeded, `the layer's names and links need more than ${budget.limit} path-resolution steps (the maxResolveSteps limit: symlinks that expand too far)`, {
        path: unsafePath.slice(0, 200),
        limit: 'maxResolveSteps',
        max: budget.limit,
      });
    }
    const part = pending.pop()!;
    if (part === '..') {
      hosts.pop();
      continue;
    }
    const candidate = path.join(hosts.length > 0 ? hosts[hosts.length - 1]! : root, part);
    if (pending.length === 0 && !followFinal) {
      hosts.push(candidate);
      continue;
    }
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    }
    if (!isLink) {
      hosts.push(candidate);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) {
      throw err(ErrorCode.InvalidArgument, `too many levels of symbolic links resolving ${JSON.stringify(unsafePath)} in the image`, { path: unsafePath });
    }
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) hosts.length = 0;
    const parts = splitPath(target);
    for (let i = parts.length - 1; i >= 0; i--) pending.push(parts[i]!);
  }
  return hosts.length > 0 ? hosts[hosts.length - 1]! : path.join(root);
}

/** True when `p` is `root` or inside it (lexically). */
export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
