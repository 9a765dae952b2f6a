/**
 * The OCI bundle of `magikrun run` for a Linux container: core's snapshot-backed build,
 * `new BundleBuilder({ root }).build({ kind: 'oci', rootfs: 'snapshot' })` — `<root>/bundles/<id>/` with
 * `config.json` and an empty `rootfs/`, assembled by `OciBundle.rootfsMounts` from the container's
 * snapshot, which the runtime mounts at create and unmounts at delete (containerd's snapshotter → shim
 * contract). `magikrun bundle` instead writes a plain copy that any OCI runtime runs.
 *
 * The bundle carries the annotation {@link DATA_ROOT_ANNOTATION}, so that any later `magikrun` process
 * (`rm`, `run --rm`) knows the container's bundle and snapshot are its to remove.
 *
 * @module linux-bundle
 */
import path from 'node:path';
import { BundleBuilder, err, ErrorCode, removeBundle } from '@magikrun/core';
import type { BlobStore, OciBuildOptions, OciBundle, PulledImage } from '@magikrun/core';

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

/**
 * Build the snapshot-backed bundle `<root>/bundles/<id>` of `ctx.image` (see `buildSnapshotOciBundle`).
 *
 * @throws MagikrunError `UNSUPPORTED` (not a Linux image), `ALREADY_EXISTS` (a bundle or snapshot `id`
 *   exists), `NOT_FOUND` / `INVALID_ARGUMENT` with `details.entrypoint` (argv[0] missing or not
 *   executable), everything `BundleBuilder.build` throws. Nothing is left on failure.
 */
export async function buildLinuxBundle(ctx: LinuxBundleContext, id: string, options: OciBuildOptions): Promise<OciBundle> {
  const { image } = ctx;
  if (image.platform.os !== 'linux') {
    throw err(ErrorCode.Unsupported, `${image.reference} is a ${image.platform.os}/${image.platform.architecture} image; Linux containers need a linux image`, { reference: image.reference });
  }
  const { id: _id, annotations, ...rest } = options;
  return new BundleBuilder({ root: ctx.root, ...(ctx.onWarning ? { onWarning: ctx.onWarning } : {}) })
    .image(image)
    .storage(ctx.store)
    .build({ ...rest, kind: 'oci', rootfs: 'snapshot', id, annotations: { ...annotations, [DATA_ROOT_ANNOTATION]: ctx.root }, ...(ctx.signal ? { signal: ctx.signal } : {}) });
}

/**
 * Remove what {@link buildLinuxBundle} made for container `id`, once the runtime has deleted it (its
 * mounts are gone): the snapshot, then the bundle (core's `removeBundle`). Only for a bundle at
 * `<root>/bundles/<id>` whose annotation names `<root>`; anything else is not the CLI's and is left
 * alone (returns false).
 *
 * @throws MagikrunError `INVALID_STATE` when the snapshot is still mounted.
 */
export async function removeLinuxBundle(id: string, bundlePath: string, annotations: Readonly<Record<string, string>> | undefined): Promise<boolean> {
  const root = annotations?.[DATA_ROOT_ANNOTATION];
  if (root === undefined || !path.isAbsolute(root) || path.resolve(bundlePath) !== path.join(root, 'bundles', id)) return false;
  await removeBundle({ path: bundlePath, ...(annotations ? { annotations } : {}) });
  return true;
}
