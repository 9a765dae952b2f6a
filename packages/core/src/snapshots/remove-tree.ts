/**
 * Removing a snapshot directory without ever descending into a mount: a recursive delete through a
 * mounted overlay would write whiteouts into its upper layer, and through a bind mount it would delete
 * the source.
 *
 * @module snapshots/remove-tree
 */
import { rm } from 'node:fs/promises';
import { err, ErrorCode } from '../errors.js';
import { mountsUsing } from './mountinfo.js';

/**
 * `rm -rf dir`, refused while anything mounts on or from it.
 *
 * @throws MagikrunError `INVALID_STATE` naming the mount point when `dir` (or a directory under it) is
 *   mounted or used by a mount (unmount it, e.g. delete the container, first).
 */
export async function removeTree(dir: string): Promise<void> {
  const busy = await mountsUsing(dir);
  if (busy.length > 0) {
    throw err(ErrorCode.InvalidState, `${dir} is still in use by the mount at ${busy[0]!.mountPoint}; unmount it (delete the container that uses it) first`, {
      path: dir,
      mountPoints: busy.map((m) => m.mountPoint),
    });
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
