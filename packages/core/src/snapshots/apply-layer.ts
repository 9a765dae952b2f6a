/**
 * The one place the snapshotter calls the layer applier of `bundle-builder/rootfs` (the secure,
 * containerd-compatible changeset application), on a directory it manages: a fresh snapshot directory
 * for the bottom layer, or the mount point of an overlay whose upper layer is the new snapshot (so that
 * deletions through it make the kernel write overlay whiteouts and opaque directories).
 *
 * @module snapshots/apply-layer
 */
import { applyLayer, type RootfsBudget } from '../rootfs/apply-layer.js';
import type { LayerLimitOverrides } from '../rootfs/limits.js';
import type { WarningSink } from '../rootfs/warnings.js';
import type { Descriptor } from '../image/manifest.js';
import type { BlobStore } from '../storage/blob-store.js';

/** Options of {@link applyLayerTo}. */
export interface ApplyLayerToOptions {
  /** The config's diff_id of this layer (checked against the uncompressed stream). */
  diffId: string;
  /** The applier's limits (layer size, entry caps, compression ratio…). */
  limits: LayerLimitOverrides;
  /** Running budget of the whole rootfs (uncompressed bytes); decreased by this layer's size. */
  budget: RootfsBudget;
  onWarning?: WarningSink;
  signal?: AbortSignal;
}

/**
 * Apply layer `layer` onto `dir`.
 *
 * @returns the layer's uncompressed tar size, in bytes.
 * @throws what the rootfs applier throws (`DIGEST_MISMATCH`, `LIMIT_EXCEEDED`, `PATH_ESCAPE`,
 *   `INVALID_ARGUMENT`, `UNSUPPORTED`, `NOT_FOUND`, `ABORTED`).
 */
export async function applyLayerTo(store: BlobStore, layer: Descriptor, dir: string, options: ApplyLayerToOptions): Promise<number> {
  const stats = await applyLayer({
    store,
    layer,
    root: dir,
    diffId: options.diffId,
    limits: options.limits,
    budget: options.budget,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return stats.uncompressedBytes;
}
