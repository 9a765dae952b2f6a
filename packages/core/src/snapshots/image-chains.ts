/**
 * The layer chains of every image in the local image index: the snapshots gc keeps so that the next
 * container of a local image reuses them (containerd keeps snapshots referenced by image labels).
 *
 * @module snapshots/image-chains
 */
import { MAX_MANIFEST_SIZE } from '../constants.js';
import { ErrorCode, isMagikrunError } from '../errors.js';
import { parseImageConfig } from '../image/image-config.js';
import { LocalImageIndex } from '../image/local-index.js';
import { parseManifestDocument } from '../image/manifest.js';
import type { BlobStore } from '../storage/blob-store.js';
import { chainIds } from './chain-id.js';

/**
 * Every chain id (every prefix of every image's diff_ids) of the images recorded in `store`'s local
 * index. An image whose manifest or config blob is gone contributes nothing.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` (a malformed index entry, manifest or config: nothing can be
 *   judged unreferenced), `DIGEST_MISMATCH` (an altered stored blob).
 */
export async function imageChainIds(store: BlobStore): Promise<Set<string>> {
  const out = new Set<string>();
  const maxSize = Math.min(MAX_MANIFEST_SIZE, store.maxBlobSize);
  for (const e of await new LocalImageIndex(store.root).list({ strict: true })) {
    try {
      const doc = parseManifestDocument(await store.get(e.digest, { maxSize }), e.mediaType, `image ${e.reference}`);
      if (doc.kind !== 'manifest') continue;
      const config = parseImageConfig(await store.get(doc.manifest.config.digest, { maxSize }), doc.manifest.config.mediaType, `config of image ${e.reference}`);
      for (const c of chainIds(config.diffIds)) out.add(c);
    } catch (err) {
      if (isMagikrunError(err, ErrorCode.NotFound)) continue;
      throw err;
    }
  }
  return out;
}
