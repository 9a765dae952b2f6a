/**
 * Finding argv[0] in an unpacked image root, as a container runtime would: a name with a `/` is a path
 * (relative ones against the working directory); a bare name is searched in the workload's PATH.
 * Symlinks are followed inside the root only.
 *
 * @module bundle-builder/locate-entrypoint
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';
import { resolveInRoot } from '../rootfs/resolve-in-root.js';

/** Docker's default PATH, used when the image sets none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * The host path of the entrypoint file.
 *
 * @param env the workload's environment (`KEY=VALUE`), for PATH.
 * @throws MagikrunError `NOT_FOUND` when nothing by that name exists in the image;
 *   `INVALID_ARGUMENT` ("image has no WebAssembly module") when it exists but is not a regular file.
 */
export async function locateEntrypoint(rootfs: string, argv0: string, cwd: string, env: readonly string[]): Promise<string> {
  const candidates: string[] = [];
  if (argv0.includes('/')) {
    candidates.push(argv0.startsWith('/') ? argv0 : path.posix.join(cwd, argv0));
  } else {
    const pathVar = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
    for (const dir of pathVar.split(':')) if (dir.startsWith('/')) candidates.push(path.posix.join(dir, argv0));
  }
  for (const c of candidates) {
    const host = await resolveInRoot(rootfs, c, true);
    let st;
    try {
      st = await lstat(host);
    } catch {
      continue;
    }
    if (!st.isFile()) {
      throw err(ErrorCode.InvalidArgument, `image has no WebAssembly module: the entrypoint ${c} is not a regular file`, { entrypoint: c, wasmModule: 'absent' });
    }
    return host;
  }
  throw err(
    ErrorCode.NotFound,
    argv0.includes('/')
      ? `the entrypoint ${argv0} does not exist in the image`
      : `the entrypoint ${argv0} was not found in the image's PATH (${candidates.map((c) => path.posix.dirname(c)).join(':')})`,
    { entrypoint: argv0 },
  );
}
