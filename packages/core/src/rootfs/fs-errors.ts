/**
 * Turning a host filesystem error met while applying an entry into a typed error.
 *
 * @module rootfs/fs-errors
 */
import { err, ErrorCode, isMagikrunError, type MagikrunError } from '../errors.js';

const INPUT_ERRNOS = new Set(['ENAMETOOLONG', 'ELOOP', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENOENT', 'EPERM', 'EINVAL', 'ENOTEMPTY', 'EMLINK']);

/**
 * A MagikrunError for `e`: MagikrunErrors pass unchanged; a full disk or quota is `LIMIT_EXCEEDED`; what
 * the layer's content provokes (names too long, a path that is not a directory…) is `INVALID_ARGUMENT`;
 * anything else `INTERNAL`.
 */
export function entryError(e: unknown, layer: string, entry: string, action: string): MagikrunError {
  if (isMagikrunError(e)) return e;
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  const details = { layer, entry, errno: code };
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return err(ErrorCode.LimitExceeded, `layer ${layer}: no space left to ${action} ${JSON.stringify(entry)}; free disk space or lower the image size`, { ...details, limit: 'disk' }, e);
  }
  if (INPUT_ERRNOS.has(code)) {
    return err(ErrorCode.InvalidArgument, `layer ${layer}: cannot ${action} ${JSON.stringify(entry)} (${code}); the layer does not fit the tree below it`, details, e);
  }
  return err(ErrorCode.Internal, `layer ${layer}: failed to ${action} ${JSON.stringify(entry)}: ${(e as Error)?.message ?? String(e)}`, details, e);
}
