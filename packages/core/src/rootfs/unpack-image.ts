/**
 * All tar layers of an image, in order, onto one existing (or new) directory — the non-atomic form
 * of {@link unpackRootfs}, for callers that manage the directory's life themselves (the wasm bundle
 * builder unpacks into its own temporary directory).
 *
 * @module rootfs/unpack-image
 */
import { mkdir } from 'node:fs/promises';
import type { Limits } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import type { Descriptor } from '../image/manifest.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ApplyStats } from './apply-entries.js';
import { applyLayer, type RootfsBudget } from './apply-layer.js';
import type { WarningSink } from './warnings.js';

/**
 * Unpack `layers` onto `rootfs` (created 0755 if missing). On failure the directory holds a partial
 * tree: remove it.
 *
 * @param diffIds the config's `rootfs.diff_ids`, one per layer.
 * @throws MagikrunError `INVALID_ARGUMENT` (diff_id count, a layer that is not a tar media type), and
 *   what {@link applyLayer} throws.
 */
export async function unpackImage(
  store: BlobStore,
  layers: readonly Descriptor[],
  diffIds: readonly string[],
  rootfs: string,
  limits: Pick<Limits, 'maxLayerSize' | 'maxRootfsSize'>,
  onWarning?: WarningSink,
): Promise<ApplyStats> {
  if (diffIds.length !== layers.length) {
    // image-spec config.md: rootfs.diff_ids is REQUIRED, one per layer, in order. Fail closed.
    throw err(ErrorCode.InvalidArgument, `the image config lists ${diffIds.length} diff_ids for ${layers.length} layers; the image is malformed`, {
      diffIds: diffIds.length,
      layers: layers.length,
    });
  }
  await mkdir(rootfs, { recursive: true, mode: 0o755 });
  const budget: RootfsBudget = { remaining: limits.maxRootfsSize, total: limits.maxRootfsSize };
  const total: ApplyStats = { entries: 0, fileBytes: 0, whiteouts: 0, skipped: [], warnings: [] };
  for (const [i, layer] of layers.entries()) {
    const s = await applyLayer({
      store,
      layer,
      diffId: diffIds[i]!,
      root: rootfs,
      limits: { maxLayerSize: limits.maxLayerSize, maxRootfsSize: limits.maxRootfsSize },
      budget,
      ...(onWarning ? { onWarning } : {}),
    });
    total.entries += s.entries;
    total.fileBytes += s.fileBytes;
    total.whiteouts += s.whiteouts;
    total.skipped.push(...s.skipped);
    total.warnings.push(...s.warnings);
  }
  return total;
}
