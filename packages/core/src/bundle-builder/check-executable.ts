/**
 * Refusing, before anything runs, a program the container could not exec — as `docker run` does (exit
 * 127 for not found, 126 for not runnable): argv[0] is looked up as the runtime will look it up (a
 * path, or the container's `PATH`; see `locateEntrypoint`), inside the root filesystem.
 *
 * @module bundle-builder/check-executable
 */
import { stat } from 'node:fs/promises';
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import { locateEntrypoint } from './locate-entrypoint.js';

/**
 * Check that `process.args[0]` names an executable regular file in `rootfs` (a host directory).
 *
 * @param process config.json's `process`: `args`, `cwd` (absolute, in the container), `env` (`K=V`).
 * @throws MagikrunError `NOT_FOUND` (no such program), `INVALID_ARGUMENT` (not a regular file, or no
 *   execute bit), both with `details.entrypoint` = argv[0].
 */
export async function checkExecutable(rootfs: string, process: { args: string[]; cwd: string; env?: string[] }): Promise<void> {
  const argv0 = process.args[0] ?? '';
  let host: string;
  try {
    host = await locateEntrypoint(rootfs, argv0, process.cwd, process.env ?? []);
  } catch (e) {
    if (isMagikrunError(e, ErrorCode.InvalidArgument)) {
      throw err(ErrorCode.InvalidArgument, `${argv0} cannot be run: it is not a regular file in the image`, { entrypoint: argv0 }, e);
    }
    throw e;
  }
  const st = await stat(host);
  if ((st.mode & 0o111) === 0) {
    throw err(ErrorCode.InvalidArgument, `${argv0} cannot be run: it is not executable in the image (mode ${(st.mode & 0o7777).toString(8)})`, { entrypoint: argv0 });
  }
}
