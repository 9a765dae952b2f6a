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
  if (diffIds.length !== layers.length) {
    // image-spec config.md: rootfs.diff_ids is REQUIRED, one per layer, in order. Fail closed.
    throw err(ErrorCode.InvalidArgument, `the image config lists ${diffIds.length} diff_ids for ${layers.length} layers; the image is malformed`, {
      diffIds: diffIds.length,
      layers: layers.length,
    });
  }
  for (const [i, layer] of layers.entries()) {
    if (!TAR_LAYER_MEDIA_TYPES.has(layer.mediaType)) {
      throw err(ErrorCode.InvalidArgument, `layer ${layer.digest} has media type ${layer.mediaType}, which is not a tar layer`, { layer: layer.digest, mediaType: layer.mediaType });
    }
    let s: ApplyStats;
    try {
      s = await unpackLayer(store, layer, rootfs, { diffId: diffIds[i]!, maxLayerSize: limits.maxLayerSize, budget });
    } catch (e) {
      // A stored layer altered on disk usually breaks its decompression before the read reaches the
      // end where its digest is checked: name the real cause.
      if ((await store.verify(layer.digest).catch(() => 'ok')) === 'corrupt') {
        throw err(ErrorCode.DigestMismatch, `stored layer ${layer.digest} is corrupt; pull the image again (it replaces corrupt blobs)`, { digest: layer.digest }, e);
      }
      throw e;
    }
    total.entries += s.entries;
    total.fileBytes += s.fileBytes;
    total.whiteouts += s.whiteouts;
    total.skipped.push(...s.skipped);
  }
  return total;
}
