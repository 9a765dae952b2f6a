/**
 * Device nodes and FIFOs. Node has no mknod(2) or mkfifo(3): coreutils' `mknod` creates them, spawned
 * without a shell on a path the applier has already resolved inside the root (its parent holds no
 * symlink; mknod itself never follows one in the last component — it fails with EEXIST).
 *
 * @module rootfs/special-files
 */
import { err, ErrorCode } from '../errors.js';
import { runTool, type ToolResult } from './run-tool.js';

/** Largest Linux device major (12 bits) and minor (20 bits) numbers. */
export const MAX_DEV_MAJOR = 0xfff;
export const MAX_DEV_MINOR = 0xfffff;

/**
 * Create a device node or FIFO at `hostPath` (which must not exist) with permission bits `mode`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for device numbers Linux cannot represent.
 */
export function makeSpecialFile(
  hostPath: string,
  type: 'char' | 'block' | 'fifo',
  mode: number,
  major: number,
  minor: number,
  layer: string,
  entry: string,
): Promise<ToolResult> {
  const args = ['-m', (mode & 0o777).toString(8), '--', hostPath];
  if (type === 'fifo') args.push('p');
  else {
    if (major > MAX_DEV_MAJOR || minor > MAX_DEV_MINOR) {
      throw err(ErrorCode.InvalidArgument, `layer ${layer}: device ${JSON.stringify(entry)} has numbers ${major}:${minor}, which Linux cannot represent`, { layer, entry });
    }
    args.push(type === 'char' ? 'c' : 'b', String(major), String(minor));
  }
  return runTool('mknod', args);
}
