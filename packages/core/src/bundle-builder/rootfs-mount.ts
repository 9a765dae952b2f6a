/**
 * A short-lived mount of a snapshot's mount specification (`RootfsMount[]`, see `OciBundle.rootfsMounts`)
 * with util-linux's `mount` (Node has no mount(2)), spawned without a shell. A snapshot-backed OCI build
 * mounts the container's snapshot only while it writes config.json (the user is looked up in the image's
 * own /etc/passwd, the working directory is created); the runtime backend mounts the same specification
 * itself at create and unmounts it at delete (containerd's snapshotter → shim contract).
 *
 * @module bundle-builder/rootfs-mount
 */
import { execFile } from 'node:child_process';
import type { RootfsMount } from '../runtime/bundle.js';
import { err, ErrorCode } from '../errors.js';

/** How long one `mount`/`umount` may take, in ms. */
const TOOL_TIMEOUT_MS = 30_000;

function tool(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', timeout: TOOL_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(err(ErrorCode.Unavailable, `the ${file} command was not found; install util-linux (apt-get install mount)`, { tool: file }));
      }
      reject(err(ErrorCode.Unavailable, `${file} ${args.join(' ')} failed: ${String(stderr).trim() || error.message}`, { tool: file, args }));
    });
  });
}

/**
 * The `mount` arguments for one specification at `target`: an overlay as `-t overlay SOURCE -o OPTIONS`,
 * a bind as `-o rbind|bind[,ro|rw…] SOURCE` (`-i -n`: no helpers, no /etc/mtab).
 */
export function mountArgs(m: RootfsMount, target: string): string[] {
  if (m.type === 'overlay') return ['-i', '-n', '-t', 'overlay', m.source, '-o', m.options.join(','), target];
  // A bind: `rbind`/`bind` pick the kind; `ro`/`rw` are applied by a remount, which `mount -o bind,ro` does.
  const recursive = m.options.includes('rbind');
  const rest = m.options.filter((o) => o !== 'rbind' && o !== 'bind');
  return ['-i', '-n', '-o', [recursive ? 'rbind' : 'bind', ...rest].join(','), m.source, target];
}

/**
 * Mount `mounts` in order at `target`, run `fn`, unmount them in reverse order (lazily when busy).
 *
 * @throws MagikrunError `UNAVAILABLE` when `mount` or `umount` is missing or fails; whatever `fn` throws.
 */
export async function withRootfsMounted<T>(mounts: readonly RootfsMount[], target: string, fn: () => Promise<T>): Promise<T> {
  let mounted = 0;
  try {
    for (const m of mounts) {
      await tool('mount', mountArgs(m, target));
      mounted++;
    }
    return await fn();
  } finally {
    for (; mounted > 0; mounted--) {
      // `-R` takes a recursive bind down with what was mounted beneath it.
      await tool('umount', ['-R', target]).catch(() => tool('umount', ['-l', target]));
    }
  }
}
