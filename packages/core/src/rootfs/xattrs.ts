/**
 * Extended attributes from PAX `SCHILY.xattr.*` records (security.capability, ACLs, user.*). Node has
 * no setxattr(2): Debian's `setfattr` (package attr) sets them with `-h` (never following a symlink),
 * the value passed as hex so binary values stay byte-exact.
 *
 * What is refused or reported instead of applied:
 * - names outside the `user.`, `trusted.`, `security.` and `system.` namespaces, empty or over 255
 *   bytes, values over the limit, more attributes than the limit: `INVALID_ARGUMENT` / `LIMIT_EXCEEDED`;
 * - overlayfs' own attributes (`trusted.overlay.*`, `user.overlay.*`): they steer the kernel's overlay
 *   (opaque, redirect, metacopy) when a snapshot becomes a lower directory, so an image never sets them —
 *   skipped with a warning;
 * - a missing tool, no privilege (EPERM) or no support in the filesystem (ENOTSUP): a warning, as
 *   containerd warns for ENOTSUP and for EPERM on `security.*`.
 *
 * @module rootfs/xattrs
 */
import { err, ErrorCode } from '../errors.js';
import { runTool } from './run-tool.js';

const NAMESPACES = ['user.', 'trusted.', 'security.', 'system.'];
const OVERLAY_PREFIXES = ['trusted.overlay.', 'user.overlay.'];
/** Longest xattr name (XATTR_NAME_MAX), in bytes. */
export const XATTR_NAME_MAX = 255;

/** Limits of {@link checkXattrs}. */
export interface XattrLimits {
  maxXattrValueSize: number;
  maxXattrsPerEntry: number;
}

/**
 * Check an entry's xattrs against the limits and names allowed.
 *
 * @returns the attributes to apply, and the names skipped (overlay-internal) with the reason.
 * @throws MagikrunError `INVALID_ARGUMENT` (bad name), `LIMIT_EXCEEDED` (value size, count).
 */
export function checkXattrs(
  xattrs: Map<string, Buffer>,
  limits: XattrLimits,
  layer: string,
  entry: string,
): { apply: [string, Buffer][]; skipped: string[] } {
  if (xattrs.size > limits.maxXattrsPerEntry) {
    throw err(ErrorCode.LimitExceeded, `layer ${layer}: entry ${JSON.stringify(entry)} has ${xattrs.size} extended attributes, more than the limit of ${limits.maxXattrsPerEntry}`, {
      layer,
      entry,
      limit: 'maxXattrsPerEntry',
      max: limits.maxXattrsPerEntry,
    });
  }
  const apply: [string, Buffer][] = [];
  const skipped: string[] = [];
  for (const [name, value] of xattrs) {
    if (!NAMESPACES.some((p) => name.startsWith(p) && name.length > p.length) || Buffer.byteLength(name) > XATTR_NAME_MAX || name.includes('\0')) {
      throw err(ErrorCode.InvalidArgument, `layer ${layer}: entry ${JSON.stringify(entry)} has an extended attribute with an invalid name ${JSON.stringify(name.slice(0, 100))}`, { layer, entry });
    }
    if (value.length > limits.maxXattrValueSize) {
      throw err(ErrorCode.LimitExceeded, `layer ${layer}: extended attribute ${name} of ${JSON.stringify(entry)} is ${value.length} bytes, more than the limit of ${limits.maxXattrValueSize}`, {
        layer,
        entry,
        limit: 'maxXattrValueSize',
        max: limits.maxXattrValueSize,
        value: value.length,
      });
    }
    if (OVERLAY_PREFIXES.some((p) => name.startsWith(p))) skipped.push(name);
    else apply.push([name, value]);
  }
  return { apply, skipped };
}

/** Set one xattr on `hostPath` without following a symlink there. */
export function setXattr(hostPath: string, name: string, value: Buffer) {
  const args = ['-h', '-n', name];
  if (value.length > 0) args.push('-v', `0x${value.toString('hex')}`);
  args.push('--', hostPath);
  return runTool('setfattr', args);
}
