/**
 * All tar layers of an image, in order, onto one fresh rootfs directory.
 *
 * @module bundle-builder/rootfs/unpack-image
 */
import { mkdir } from 'node:fs/promises';
import type { Limits } from '../../constants.js';
import { err, ErrorCode } from '../../errors.js';
import type { Descriptor } from '../../image/manifest.js';
import { TAR_LAYER_MEDIA_TYPES } from '../../image/media-types.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { ApplyStats } from './apply-entries.js';
import { unpackLayer } from './unpack-layer.js';

/**
 * Unpack `layers` onto `rootfs` (created 0755 if missing).
 *
 * @param diffIds the config's `rootfs.diff_ids`; checked when there is one per layer.
 * @throws MagikrunError `INVALID_ARGUMENT` for a layer that is not a tar media type; what
 *   {@link unpackLayer} throws.
 */
export async function unpackImage(
  store: BlobStore,
  layers: readonly Descriptor[],
  diffIds: readonly string[],
  rootfs: string,
  limits: Pick<Limits, 'maxLayerSize' | 'maxRootfsSize'>,
): Promise<ApplyStats> {
  await mkdir(rootfs, { recursive: true, mode: 0o755 });
  const budget = { remaining: limits.maxRootfsSize, total: limits.maxRootfsSize };
  const total: ApplyStats = { entries: 0, fileBytes: 0, whiteouts: 0, skipped: [] };
  const checkDiffIds = diffIds.length === layers.length;
  for (const [i, layer] of layers.entries()) {
    if (!TAR_LAYER_MEDIA_TYPES.has(layer.mediaType)) {
      throw err(ErrorCode.InvalidArgument, `layer ${layer.digest} has media type ${layer.mediaType}, which is not a tar layer`, { layer: layer.digest, mediaType: layer.mediaType });
    }
    const s = await unpackLayer(store, layer, rootfs, {
      ...(checkDiffIds ? { diffId: diffIds[i]! } : {}),
      maxLayerSize: limits.maxLayerSize,
      budget,
    });
    total.entries += s.entries;
    total.fileBytes += s.fileBytes;
    total.whiteouts += s.whiteouts;
    total.skipped.push(...s.skipped);
  }
  return total;
}
