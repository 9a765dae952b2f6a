/**
 * Loading an image that was pulled before, from the local image index and the BlobStore.
 *
 * @module image/load-image
 */
import { MAX_MANIFEST_SIZE } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { parseImageConfig } from './image-config.js';
import { LocalImageIndex } from './local-index.js';
import { parseManifestDocument } from './manifest.js';
import { parseImageSource, sourceKey, type ImageSource } from './source.js';
import type { PulledImage } from './types.js';

/**
 * The image `reference` resolved to when it was last pulled, or undefined when it was never pulled.
 * Manifest and config are read through the store, which verifies their digests.
 *
 * @param reference as for `pullImage` (normalised the same way: `alpine` finds `docker.io/library/alpine:latest`).
 * @throws MagikrunError `INVALID_ARGUMENT` (reference), `NOT_FOUND` (the entry names a blob that is
 *   gone — pull again), `DIGEST_MISMATCH` (a stored blob was altered).
 */
export async function loadImage(reference: string | ImageSource, store: BlobStore, options: { cwd?: string } = {}): Promise<PulledImage | undefined> {
  const source = typeof reference === 'string' ? parseImageSource(reference, options.cwd) : reference;
  const key = sourceKey(source);
  await store.ready(); // the root is checked (owner, mode) before anything under it is read
  const entry = await new LocalImageIndex(store.root).get(key);
  if (!entry) return undefined;
  let bytes: Buffer;
  try {
    bytes = await store.get(entry.digest, { maxSize: Math.min(MAX_MANIFEST_SIZE, store.maxBlobSize) });
  } catch (e) {
    if ((e as { code?: unknown }).code === ErrorCode.NotFound) {
      throw err(ErrorCode.NotFound, `image ${key} is recorded locally but its manifest ${entry.digest} is gone from the store; pull it again`, { reference: key }, e);
    }
    throw e;
  }
  const doc = parseManifestDocument(bytes, entry.mediaType, `image ${key}`);
  if (doc.kind !== 'manifest') throw err(ErrorCode.InvalidArgument, `the local index entry of ${key} points at an index, not a manifest; pull it again`, { reference: key });
  const manifest = doc.manifest;
  const configBytes = await store.get(manifest.config.digest, { maxSize: Math.min(MAX_MANIFEST_SIZE, store.maxBlobSize) });
  const config = parseImageConfig(configBytes, manifest.config.mediaType, `config of image ${key}`);
  return {
    reference: key,
    digest: entry.digest,
    mediaType: manifest.mediaType,
    ...(entry.indexDigest !== undefined ? { indexDigest: entry.indexDigest } : {}),
    manifest,
    config,
    platform: entry.platform,
    size: entry.size,
  };
}
