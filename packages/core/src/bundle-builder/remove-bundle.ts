/**
 * Removing a bundle that `BundleBuilder` wrote, once its container is deleted (OCI `delete` leaves the
 * bundle, as runc does; the bundle's creator removes it). A snapshot-backed bundle's active snapshot goes
 * with it, as containerd removes a container's snapshot after the shim has unmounted it.
 *
 * @module bundle-builder/remove-bundle
 */
import { lstat, open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Bundle } from '../runtime/bundle.js';
import { err, ErrorCode } from '../errors.js';
import { Snapshotter } from '../snapshots/snapshotter.js';
import { claimBundle } from './bundle-claim.js';
import { BlobStore } from '../storage/blob-store.js';
import { SNAPSHOT_ANNOTATION } from './snapshot-oci-bundle.js';

/** Largest config.json read to find the snapshot annotation, in bytes (the runtimes' 16 MiB cap). */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Whether `dir/config.json` (when it exists) carries {@link SNAPSHOT_ANNOTATION} = `id`. */
async function configNamesSnapshot(dir: string, id: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path.join(dir, 'config.json'), 'r');
  } catch {
    return false;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > MAX_CONFIG_BYTES) return false;
    const doc = JSON.parse(await fh.readFile('utf8')) as { annotations?: Record<string, unknown> };
    return doc.annotations?.[SNAPSHOT_ANNOTATION] === id;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

/**
 * Delete `bundle.path` and everything in it. Only a directory directly inside a `bundles` directory
 * (`<root>/bundles/<id>`, where `BundleBuilder` writes) is removed, and never through a symlink.
 *
 * A snapshot-backed bundle (`build({ kind: 'oci', rootfs: 'snapshot' })`, known by the annotation
 * {@link SNAPSHOT_ANNOTATION} = `<id>` in `bundle.annotations` or in its config.json) also loses its
 * active snapshot `<id>` in `<root>/snapshots/`, first — so a refusal leaves both in place.
 * Idempotent: a bundle or snapshot that is already gone is not an error. The bundle id's claim
 * (bundle-claim.ts) is taken first — a claim whose process died is taken over — and released once
 * everything is gone, so that no other process removes or reuses the id meanwhile.
 *
 * @param bundle `path`, and optionally `annotations` as the build returned them (or as a runtime's
 *   state reports them, for when the bundle directory is already gone but its snapshot is not).
 * @throws MagikrunError `INVALID_ARGUMENT` for a path that is not a BundleBuilder bundle directory;
 *   `INVALID_STATE` while the snapshot is still mounted (delete the container first) or is being
 *   prepared by another live process (see `Snapshotter.remove`); `LOCKED` while another live process
 *   holds the id's claim (the process that built the bundle and still uses it: it removes it itself).
 */
export async function removeBundle(bundle: Pick<Bundle, 'path'> & { annotations?: Readonly<Record<string, string>> }): Promise<void> {
  const dir = path.resolve(bundle.path);
  if (path.basename(path.dirname(dir)) !== 'bundles' || path.basename(dir).startsWith('.')) {
    throw err(ErrorCode.InvalidArgument, `refusing to remove ${dir}: it is not a bundle directory <root>/bundles/<id>`, { path: dir });
  }
  let st;
  try {
    st = await lstat(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (st && !st.isDirectory()) throw err(ErrorCode.InvalidArgument, `refusing to remove ${dir}: not a directory`, { path: dir });
  const id = path.basename(dir);
  const { claim } = await claimBundle(path.dirname(path.dirname(dir)), id);
  await removeBundleFiles(dir, bundle.annotations);
  // On failure above, the claim stays held (by this process, then by nobody): the leftovers sweep finds it.
  await claim.release();
}

/**
 * {@link removeBundle} without the claim (the caller holds it): the snapshot a snapshot-backed bundle
 * names, then the directory `dir` (`<root>/bundles/<id>`, already checked) if it exists.
 */
export async function removeBundleFiles(dir: string, annotations?: Readonly<Record<string, string>>): Promise<void> {
  const id = path.basename(dir);
  const root = path.dirname(path.dirname(dir));
  const st = await lstat(dir).catch(() => undefined);
  const snapshotBacked = annotations?.[SNAPSHOT_ANNOTATION] === id || (st?.isDirectory() === true && (await configNamesSnapshot(dir, id)));
  if (snapshotBacked) {
    // `copy` skips the overlay probe: removal does not depend on the mode.
    const snapshots = await Snapshotter.open({ store: new BlobStore({ root }), root, mode: 'copy' });
    await snapshots.remove(id);
  }
  if (st) await rm(dir, { recursive: true, force: true });
}
