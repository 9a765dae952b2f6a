/**
 * The earlier per-layer entry point, kept for its callers: {@link applyLayer} with a required diff_id.
 *
 * @module rootfs/unpack-layer
 */
import { err, ErrorCode } from '../errors.js';
import type { Descriptor } from '../image/manifest.js';
import type { BlobStore } from '../storage/blob-store.js';
import { applyLayer, type LayerStats, type RootfsBudget } from './apply-layer.js';
import type { WarningSink } from './warnings.js';

export type { RootfsBudget } from './apply-layer.js';

/** Options of {@link unpackLayer}. */
export interface UnpackLayerOptions {
  /** Expected sha256 of the uncompressed tar (config `rootfs.diff_ids[i]`). Required (fail closed). */
  diffId?: string;
  /** Largest uncompressed layer, in bytes. */
  maxLayerSize: number;
  budget: RootfsBudget;
  onWarning?: WarningSink;
  signal?: AbortSignal;
}

/**
 * Apply the stored layer `d` to `root`: {@link applyLayer}.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` without a diff_id; what {@link applyLayer} throws.
 */
export async function unpackLayer(store: BlobStore, d: Descriptor, root: string, options: UnpackLayerOptions): Promise<LayerStats> {
  if (options.diffId === undefined) {
    throw err(ErrorCode.InvalidArgument, `layer ${d.digest} has no diff_id to check its content against; refusing to unpack it unverified`, { layer: d.digest });
  }
  return applyLayer({
    store,
    layer: d,
    root,
    diffId: options.diffId,
    limits: { maxLayerSize: options.maxLayerSize },
    budget: options.budget,
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
