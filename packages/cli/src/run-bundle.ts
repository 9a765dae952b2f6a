/**
 * The bundle of `magikrun run`, of the kind the selection step chose, under `<root>/bundles/<id>/`:
 *
 * - `oci`: core's snapshot-backed build, `build({ kind: 'oci', rootfs: 'snapshot' })` — `config.json`
 *   and an empty `rootfs/`, assembled by `OciBundle.rootfsMounts` from the container's snapshot, which the
 *   runtime mounts at create and unmounts at delete (containerd's snapshotter → shim contract).
 *   `magikrun bundle` instead writes a plain copy that any OCI runtime runs;
 * - any other kind: `build({ kind })`.
 *
 * Every such bundle carries the annotation {@link DATA_ROOT_ANNOTATION}, so that any later `magikrun`
 * process (`rm`, `run --rm`) knows the container's bundle and snapshot are its to remove.
 *
 * @module run-bundle
 */
import path from 'node:path';
import { BundleBuilder, err, ErrorCode, removeBundle } from '@magikrun/core';
import type { BlobStore, Bundle, BundleKind, OciBuildOptions, PulledImage } from '@magikrun/core';

/** Annotation naming the data root whose `bundles/<id>` and `snapshots` hold a `run` container's files. */
export const DATA_ROOT_ANNOTATION = 'io.magikrun.cli.root';

/** What {@link buildRunBundle} needs. */
export interface RunBundleContext {
  root: string;
  store: BlobStore;
  image: PulledImage;
  /** Receives warnings (entries the unpacker could not create, an unsendable stop signal). */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

/**
 * Build the bundle `<root>/bundles/<id>` of `ctx.image` as `kind` (`oci`: snapshot-backed, see
 * `buildSnapshotOciBundle`). `options` are the OCI build options; other kinds take those they have
 * (the selection step has refused a runtime that cannot apply the rest).
 *
 * @throws MagikrunError `UNSUPPORTED` (an `oci` bundle of a non-Linux image), `ALREADY_EXISTS` (a bundle
 *   or snapshot `id` exists), `NOT_FOUND` / `INVALID_ARGUMENT` with `details.entrypoint` (argv[0] missing
 *   or not executable), `INVALID_ARGUMENT` with `details.wasmModule` `'absent'` (a wasm bundle of an image
 *   without a module), everything `BundleBuilder.build` throws. Nothing is left on failure.
 */
export async function buildRunBundle(ctx: RunBundleContext, id: string, kind: BundleKind, options: OciBuildOptions): Promise<Bundle> {
  const { image } = ctx;
  const { id: _id, annotations, user: _user, hostname: _hostname, network: _network, ...common } = options;
  const builder = new BundleBuilder({ root: ctx.root, ...(ctx.onWarning ? { onWarning: ctx.onWarning } : {}) }).image(image).storage(ctx.store);
  const tagged = { ...annotations, [DATA_ROOT_ANNOTATION]: ctx.root };
  if (kind !== 'oci') return builder.build({ ...common, kind, id, annotations: tagged } as Parameters<BundleBuilder['build']>[0]);
  if (image.platform.os !== 'linux') {
    throw err(ErrorCode.Unsupported, `${image.reference} is a ${image.platform.os}/${image.platform.architecture} image; Linux containers need a linux image`, { reference: image.reference });
  }
  const { id: _i, annotations: _a, ...oci } = options;
  return builder.build({ ...oci, kind: 'oci', rootfs: 'snapshot', id, annotations: tagged, ...(ctx.signal ? { signal: ctx.signal } : {}) });
}

/**
 * Remove what {@link buildRunBundle} made for container `id`, once the runtime has deleted it (its
 * mounts are gone): the snapshot, then the bundle (core's `removeBundle`). Only for a bundle at
 * `<root>/bundles/<id>` whose annotation names `<root>`; anything else is not the CLI's and is left
 * alone (returns false).
 *
 * @throws MagikrunError `INVALID_STATE` when the snapshot is still mounted.
 */
export async function removeRunBundle(id: string, bundlePath: string, annotations: Readonly<Record<string, string>> | undefined): Promise<boolean> {
  const root = annotations?.[DATA_ROOT_ANNOTATION];
  if (root === undefined || !path.isAbsolute(root) || path.resolve(bundlePath) !== path.join(root, 'bundles', id)) return false;
  await removeBundle({ path: bundlePath, ...(annotations ? { annotations } : {}) });
  return true;
}
