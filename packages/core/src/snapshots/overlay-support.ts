/**
 * Whether overlayfs can serve the snapshots under a directory: found out by really mounting one (as
 * containerd's overlay snapshotter checks `overlayutils.Supported`), because a module that is not
 * loaded, a filesystem that cannot be an upper layer (overlayfs, some FUSE), missing privileges or
 * a seccomp/LSM policy only show when the kernel is asked. The answer is cached per directory for the
 * life of the process.
 *
 * @module snapshots/overlay-support
 */
import { randomBytes } from 'node:crypto';
import { access, lstat, mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mountOverlay, unmount } from './mount-tool.js';
import { removeTree } from './remove-tree.js';

/** The outcome of the probe. */
export interface OverlaySupport {
  available: boolean;
  /** One sentence: what was tried and what happened; for `false`, what to do. */
  reason: string;
  /**
   * Options every overlay mount of this host gets: `index=off` where the kernel has the `index`
   * feature (so one upper layer may be mounted with different lowers, as containerd does).
   */
  baseOptions: string[];
}

const cache = new Map<string, Promise<OverlaySupport>>();

/** Characters the overlay option string cannot carry in a path (separators and escapes). */
const UNSAFE_PATH = /[,:\\\s]/;

/**
 * Probe overlayfs in `dir` (an existing directory on the filesystem that will hold the snapshots):
 * mount lower + upper at a scratch mount point, delete a lower file through it and check that the kernel
 * wrote a whiteout (a 0:0 character device) into the upper layer, unmount, clean up.
 */
export function detectOverlay(dir: string): Promise<OverlaySupport> {
  let p = cache.get(dir);
  if (!p) {
    p = probe(dir);
    cache.set(dir, p);
  }
  return p;
}

/** Forget cached probes (tests). */
export function resetOverlayDetection(): void {
  cache.clear();
}

async function probe(dir: string): Promise<OverlaySupport> {
  const no = (reason: string): OverlaySupport => ({ available: false, reason, baseOptions: [] });
  if (process.platform !== 'linux') return no(`overlayfs is Linux-only; this host is ${process.platform}, so each container gets a copy of the rootfs`);
  if (UNSAFE_PATH.test(dir)) return no(`the snapshot directory ${dir} contains a character (',', ':', '\\' or white space) that overlay mount options cannot carry; use a root path without them`);
  if (process.geteuid?.() !== 0) return no('mounting overlayfs needs root (CAP_SYS_ADMIN in the initial user namespace); each container gets a copy of the rootfs instead');
  const scratch = path.join(dir, `probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((n) => path.join(scratch, n)) as [string, string, string, string];
  let mounted = false;
  try {
    for (const d of [scratch, lower, upper, work, merged]) await mkdir(d, { mode: 0o700 });
    await writeFile(path.join(lower, 'f'), 'probe');
    await mountOverlay(merged, [`lowerdir=${lower}`, `upperdir=${upper}`, `workdir=${work}`]);
    mounted = true;
    await unlink(path.join(merged, 'f'));
    const wh = await lstat(path.join(upper, 'f'));
    if (!wh.isCharacterDevice() || wh.rdev !== 0) return no(`overlayfs mounted in ${dir} but did not write a whiteout device into the upper layer; each container gets a copy of the rootfs`);
    // The module is loaded now: its parameters say whether the inode index feature exists.
    const withIndex = await access('/sys/module/overlay/parameters/index').then(() => true, () => false);
    return { available: true, reason: `overlayfs mounts in ${dir} and writes whiteouts`, baseOptions: withIndex ? ['index=off'] : [] };
  } catch (e) {
    return no(`mounting overlayfs in ${dir} failed (${(e as Error).message}); each container gets a copy of the rootfs instead`);
  } finally {
    if (mounted) await unmount(merged).catch(() => unmount(merged, true).catch(() => undefined));
    await removeTree(scratch).catch(() => undefined);
  }
}
