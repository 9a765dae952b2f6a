/**
 * Building a snapshot-backed OCI bundle: `<root>/bundles/<id>/` with `config.json` and an empty
 * `rootfs/`, whose root filesystem is the container's writable snapshot `<id>` of the {@link Snapshotter}
 * at `<root>/snapshots/` (overlay over the image's cached layer snapshots where the kernel allows it,
 * else a private copy). The snapshot's mounts are returned as `OciBundle.rootfsMounts`, which the runtime
 * backend mounts at create and unmounts at delete — containerd's snapshotter (`Prepare` → `[]mount.Mount`)
 * → shim contract. A second container of the same image unpacks nothing.
 *
 * The snapshot is mounted only while config.json is prepared (the user is looked up in the image's own
 * /etc/passwd and /etc/group; the working directory is created; the entrypoint is checked). The bundle
 * carries the annotation {@link SNAPSHOT_ANNOTATION} so that `removeBundle` removes the snapshot too.
 *
 * @module bundle-builder/snapshot-oci-bundle
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { OciBundle } from '../runtime/bundle.js';
import { resourcesField } from '../runtime/limits.js';
import type { LimitOverrides } from '../constants.js';
import type { PulledImage } from '../image/types.js';
import { validateContainerId } from '../runtime/container-id.js';
import { Snapshotter } from '../snapshots/snapshotter.js';
import type { BlobStore } from '../storage/blob-store.js';
import { checkExecutable } from './check-executable.js';
import { checkImage, OCI_CONFIG_FILE, ROOTFS_DIR, writeConfig, type OciBuildOptions } from './oci-bundle.js';
import { prepareOciSpec } from './oci-config/prepare-spec.js';
import { resolveArgv } from './run-config.js';
import { withRootfsMounted } from './rootfs-mount.js';
import { stageDirectory } from './stage-dir.js';
import { imageStopSignal } from './stop-signal.js';

/**
 * Annotation of a snapshot-backed bundle (config.json and `OciBundle.annotations`): the key of its
 * active snapshot in `<root>/snapshots/`, always the bundle id.
 */
export const SNAPSHOT_ANNOTATION = 'io.magikrun.rootfs.snapshot';

/** What a snapshot-backed build needs besides the options. */
export interface SnapshotOciBuildContext {
  image: PulledImage;
  store: BlobStore;
  /** Data root: the bundle goes to `<root>/bundles/<id>`, the snapshot to `<root>/snapshots/`. */
  root: string;
  /** MAX_LAYERS, MAX_LAYER_SIZE, MAX_ROOTFS_SIZE overrides (uncompressed bytes), as `BundleBuilder` takes. */
  limits?: LimitOverrides;
  /** Receives warnings (entries the unpacker could not apply as written, an unsendable stop signal). */
  onWarning?: (message: string) => void;
  /** Aborts waiting for snapshot locks and unpacking between layers (`ABORTED`; nothing is left). */
  signal?: AbortSignal;
}

/**
 * Prepare the snapshot `<id>` of `ctx.image` and write the bundle `<root>/bundles/<id>` around it.
 *
 * @returns `{ kind: 'oci', path, rootfs: path/rootfs (empty), rootfsMounts, stopSignal?, annotations }`
 *   — `rootfsMounts` as `Snapshotter.prepare` returns them (one overlay, or one `rbind,rw` bind of a copy).
 * @throws MagikrunError `INVALID_ARGUMENT` (a malformed id, a wasm image, bad options or limits),
 *   `ALREADY_EXISTS` (the bundle or the snapshot `<id>` exists), `UNSUPPORTED` (a non-Linux image),
 *   `NOT_FOUND` / `INVALID_ARGUMENT` with `details.entrypoint` (argv[0] missing or not executable in the
 *   image), `NOT_FOUND` (a user/group the image lacks), `UNAVAILABLE` (`mount`/`umount` missing or
 *   failing), `ABORTED`, and what `Snapshotter.prepare` and `prepareOciSpec` throw. Nothing is left on
 *   failure (neither bundle nor snapshot).
 */
export async function buildSnapshotOciBundle(ctx: SnapshotOciBuildContext, options: OciBuildOptions = {}): Promise<OciBundle> {
  const { image } = ctx;
  checkImage(image);
  // An empty command is refused before any snapshot is prepared (prepareOciSpec checks it again).
  resolveArgv(image.config.config, options, undefined, image.reference);
  const id = validateContainerId(options.id ?? randomBytes(8).toString('hex'));
  const final = path.join(ctx.root, 'bundles', id);
  const { maxLayers, maxLayerSize, maxRootfsSize, allowAboveDefault } = ctx.limits ?? {};
  const limits = Object.fromEntries(Object.entries({ maxLayers, maxLayerSize, maxRootfsSize, allowAboveDefault }).filter(([, v]) => v !== undefined));
  const snapshots = await Snapshotter.open({ store: ctx.store, root: ctx.root, limits });
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
        const doc = await prepareOciSpec({ image, rootfs, stagingDir: tmp, finalDir: final, id }, { ...specOptions, annotations: { ...annotations, [SNAPSHOT_ANNOTATION]: id } });
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
        ...resourcesField(options.resources),
        annotations: { ...(spec.annotations ?? {}) },
      } satisfies OciBundle;
    });
  } catch (e) {
    await snapshots.remove(id).catch(() => undefined);
    throw e;
  }
}
