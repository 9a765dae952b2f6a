/**
 * The one place the snapshotter calls the layer applier of `bundle-builder/rootfs` (the secure,
 * containerd-compatible changeset application), on a directory it manages: a fresh snapshot directory
 * for the bottom layer, or the mount point of an overlay whose upper layer is the new snapshot (so that
 * deletions through it make the kernel write overlay whiteouts and opaque directories).
 *
 * @module snapshots/apply-layer
 */
import type { Descriptor } from '../image/manifest.js';
import type { BlobStore } from '../storage/blob-store.js';
import { unpackLayer, type RootfsBudget } from '../bundle-builder/rootfs/unpack-layer.js';

/** Options of {@link applyLayerTo}. */
export interface ApplyLayerOptions {
  /** The config's diff_id of this layer (checked against the uncompressed stream). */
  diffId: string;
  /** Largest uncompressed layer, in bytes. */
  maxLayerSize: number;
  /** Running budget of the whole rootfs (uncompressed bytes); decreased by this layer's size. */
  budget: RootfsBudget;
}

/**
 * Apply layer `layer` onto `dir`.
 *
 * @returns the layer's uncompressed tar size, in bytes.
 * @throws what the rootfs applier throws (`DIGEST_MISMATCH`, `LIMIT_EXCEEDED`, `PATH_ESCAPE`,
 *   `INVALID_ARGUMENT`, `UNSUPPORTED`).
 */
export async function applyLayerTo(store: BlobStore, layer: Descriptor, dir: string, options: ApplyLayerOptions): Promise<number> {
  const before = options.budget.remaining;
  await unpackLayer(store, layer, dir, { diffId: options.diffId, maxLayerSize: options.maxLayerSize, budget: options.budget });
  return before - options.budget.remaining;
}
