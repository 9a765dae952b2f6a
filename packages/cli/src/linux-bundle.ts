/**
 * The OCI bundle of `magikrun run` for a Linux container: `<root>/bundles/<id>/` with `config.json`
 * and an empty `rootfs/`, whose root filesystem is the container's snapshot (overlay over the image's
 * cached layer snapshots where the kernel allows it, else a private copy) — `OciBundle.rootfsMounts`,
 * which the runtime mounts at create and unmounts at delete (containerd's snapshotter → shim
 * contract). A second container of the same image unpacks nothing. `magikrun bundle` instead writes
 * a plain copy that any OCI runtime runs.
 *
 * The bundle carries the annotation {@link DATA_ROOT_ANNOTATION}, so that any later `magikrun` process
 * (`rm`, `run --rm`) knows the container's bundle and snapshot are its to remove.
 *
 * @module linux-bundle
 */
import { lstat, mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode, imageStopSignal, isMagikrunError, locateEntrypoint, OCI_CONFIG_FILE, prepareOciSpec, removeBundle, ROOTFS_DIR, Snapshotter, stageDirectory } from '@magikrun/core';
import type { BlobStore, OciBuildOptions, OciBundle, PulledImage } from '@magikrun/core';
import { withRootfsMounted } from './rootfs-mount.js';

/** Annotation naming the data root whose `bundles/<id>` and `snapshots` hold a `run` container's files. */
export const DATA_ROOT_ANNOTATION = 'io.magikrun.cli.root';

/** What {@link buildLinuxBundle} needs. */
export interface LinuxBundleContext {
  root: string;
  store: BlobStore;
  image: PulledImage;
  /** Receives warnings (entries the unpacker could not create, an unsendable stop signal). */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

async function bundlesDir(root: string): Promise<string> {
  const dir = path.join(root, 'bundles');
  await mkdir(dir, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
  const st = await lstat(dir);
  if (!st.isDirectory() || (st.mode & 0o022) !== 0 || st.uid !== process.getuid?.()) {
    throw err(ErrorCode.InvalidArgument, `${dir} must be a directory owned by this user and not writable by others`, { path: dir });
  }
  return dir;
}

/**
 * Refuse, before anything runs, a program the container could not exec — as docker does, so that
 * `run` exits 127 (not found) or 126 (not runnable): argv[0] looked up as the runtime will (a path, or
 * the container's PATH), inside the root.
 *
 * @throws MagikrunError `NOT_FOUND` / `INVALID_ARGUMENT` with `details.entrypoint`.
 */
async function checkExecutable(rootfs: string, process: { args: string[]; cwd: string; env: string[] }): Promise<void> {
  const argv0 = process.args[0] ?? '';
  let host: string;
  try {
    host = await locateEntrypoint(rootfs, argv0, process.cwd, process.env);
  } catch (e) {
    if (isMagikrunError(e, ErrorCode.InvalidArgument)) {
      throw err(ErrorCode.InvalidArgument, `${argv0} cannot be run: it is not a regular file in the image`, { entrypoint: argv0 }, e);
    }
    throw e;
  }
  const st = await stat(host);
  if ((st.mode & 0o111) === 0) throw err(ErrorCode.InvalidArgument, `${argv0} cannot be run: it is not executable in the image (mode ${(st.mode & 0o7777).toString(8)})`, { entrypoint: argv0 });
}

async function writeConfig(file: string, doc: unknown): Promise<void> {
  const fh = await open(file, 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify(doc, null, 2) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Prepare the snapshot `id` of `ctx.image` and write the bundle `<root>/bundles/<id>` around it. The
 * snapshot is mounted only while config.json is prepared (user lookup, working directory).
 *
 * @throws MagikrunError `ALREADY_EXISTS` (a bundle or snapshot `id` exists), `UNSUPPORTED` (not a Linux
 *   image), everything `Snapshotter.prepare` and `prepareOciSpec` throw. Nothing is left on failure.
 */
export async function buildLinuxBundle(ctx: LinuxBundleContext, id: string, options: OciBuildOptions): Promise<OciBundle> {
  const { image } = ctx;
  if (image.platform.os !== 'linux') {
    throw err(ErrorCode.Unsupported, `${image.reference} is a ${image.platform.os}/${image.platform.architecture} image; Linux containers need a linux image`, { reference: image.reference });
  }
  const final = path.join(await bundlesDir(ctx.root), id);
  const snapshots = await Snapshotter.open({ store: ctx.store, root: ctx.root });
  const mounts = await snapshots.prepare(id, { layers: image.manifest.layers, diffIds: image.config.diffIds }, {
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.onWarning ? { onWarning: (w: { message: string }) => ctx.onWarning!(w.message) } : {}),
  });
  try {
    return await stageDirectory(final, 'absent', async (tmp) => {
      const rootfs = path.join(tmp, ROOTFS_DIR);
      await mkdir(rootfs, { mode: 0o755 });
      const { id: _id, annotations, ...specOptions } = options;
      const spec = await withRootfsMounted(mounts, rootfs, async () => {
        const doc = await prepareOciSpec({ image, rootfs, stagingDir: tmp, finalDir: final, id }, { ...specOptions, annotations: { ...annotations, [DATA_ROOT_ANNOTATION]: ctx.root } });
        await checkExecutable(rootfs, doc.process);
        return doc;
      });
      await writeConfig(path.join(tmp, OCI_CONFIG_FILE), spec);
      const stopSignal = imageStopSignal(image, ctx.onWarning);
      return {
        kind: 'oci',
        path: final,
        rootfs: path.join(final, ROOTFS_DIR),
        rootfsMounts: mounts,
        ...(stopSignal ? { stopSignal } : {}),
        annotations: { ...(spec.annotations ?? {}) },
      } satisfies OciBundle;
    });
  } catch (e) {
    await snapshots.remove(id).catch(() => undefined);
    throw e;
  }
}

/**
 * Remove what {@link buildLinuxBundle} made for container `id`, once the runtime has deleted it (its
 * mounts are gone): the snapshot, then the bundle. Only for a bundle at `<root>/bundles/<id>` whose
 * annotation names `<root>`; anything else is not the CLI's and is left alone (returns false).
 *
 * @throws MagikrunError `INVALID_STATE` when the snapshot is still mounted.
 */
export async function removeLinuxBundle(id: string, bundlePath: string, annotations: Readonly<Record<string, string>> | undefined, store: (root: string) => BlobStore): Promise<boolean> {
  const root = annotations?.[DATA_ROOT_ANNOTATION];
  if (root === undefined || !path.isAbsolute(root) || path.resolve(bundlePath) !== path.join(root, 'bundles', id)) return false;
  const snapshots = await Snapshotter.open({ store: store(root), root });
  await snapshots.remove(id);
  await removeBundle({ path: bundlePath });
  return true;
}
