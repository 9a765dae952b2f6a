/**
 * The mount specifications handed to a runtime backend (containerd's `mount.Mount` as its overlay
 * snapshotter returns them from `Prepare`/`Mounts`).
 *
 * Limits: the option string of one mount(2) call is at most one page ({@link MAX_MOUNT_OPTIONS_BYTES});
 * absolute lowerdirs cost `len(<root>/snapshots/<id>/fs) + 1` bytes per layer, so with the default root
 * as root (`/root/.magikrun`: 33 bytes a layer with 3-digit ids) about 120 layers fit; MAX_LAYERS is 128
 * and overlayfs itself stacks at most 500 lowers. An image too deep for its root path fails with `LIMIT_EXCEEDED` before anything
 * is unpacked (use a shorter root, or the copy mode). The snapshotter's own temporary mounts use paths
 * relative to the snapshot directory, so building snapshots never hits the limit.
 *
 * @module snapshots/mount-spec
 */
import type { RootfsMount } from '../runtime/bundle.js';
import { err, ErrorCode } from '../errors.js';
import { MAX_MOUNT_OPTIONS_BYTES } from './mount-tool.js';
import { fsDir, workDir } from './snapshot-dirs.js';

/**
 * The overlay mount of an active snapshot: `lowerdir` = the committed layer snapshots topmost first,
 * `upperdir`/`workdir` in the active snapshot. With no lower layer (an image without layers), a
 * read-write bind mount of the active snapshot's `fs`, as containerd does.
 *
 * @param lowerIds ids of the committed layer snapshots, bottom layer first.
 * @throws MagikrunError `LIMIT_EXCEEDED` when the options exceed one page.
 */
export function overlayMountSpec(dir: string, activeId: number, lowerIds: readonly number[], baseOptions: readonly string[]): RootfsMount[] {
  if (lowerIds.length === 0) return [{ type: 'bind', source: fsDir(dir, activeId), options: ['rbind', 'rw'] }];
  const options = [
    ...baseOptions,
    `lowerdir=${[...lowerIds].reverse().map((id) => fsDir(dir, id)).join(':')}`,
    `upperdir=${fsDir(dir, activeId)}`,
    `workdir=${workDir(dir, activeId)}`,
  ];
  checkOptionsLength(options, lowerIds.length);
  return [{ type: 'overlay', source: 'overlay', options }];
}

/** The bind mount of a copy-mode active snapshot (a whole private rootfs). */
export function copyMountSpec(dir: string, activeId: number): RootfsMount[] {
  return [{ type: 'bind', source: fsDir(dir, activeId), options: ['rbind', 'rw'] }];
}

/**
 * Throw before any work when `layers` lowerdirs could not fit: assumes ids of `idDigits` digits.
 *
 * @throws MagikrunError `LIMIT_EXCEEDED`
 */
export function precheckOverlayLength(dir: string, layers: number, idDigits: number, baseOptions: readonly string[]): void {
  if (layers === 0) return;
  const id = Number('9'.repeat(idDigits));
  checkOptionsLength([...baseOptions, `lowerdir=${Array.from({ length: layers }, () => fsDir(dir, id)).join(':')}`, `upperdir=${fsDir(dir, id)}`, `workdir=${workDir(dir, id)}`], layers);
}

function checkOptionsLength(options: readonly string[], layers: number): void {
  const bytes = Buffer.byteLength(options.join(','));
  if (bytes > MAX_MOUNT_OPTIONS_BYTES) {
    throw err(
      ErrorCode.LimitExceeded,
      `the overlay mount of this ${layers}-layer image needs ${bytes} bytes of mount options, more than the ${MAX_MOUNT_OPTIONS_BYTES} one mount(2) call carries; use a shorter store root (MAGIKRUN_ROOT) or the copy snapshot mode`,
      { limit: 'mountOptions', max: MAX_MOUNT_OPTIONS_BYTES, value: bytes, layers },
    );
  }
}
