/**
 * What an OCI layout reference points at now. A layout on disk is the source of truth for
 * `oci:DIR[:TAG]`, read on every use as skopeo and podman read it; a caller that keeps a copy in the
 * local image index (the CLI's pull policy) compares this digest with the copy's before using it.
 *
 * @module image/layout-digest
 */
import { MAX_MANIFEST_SIZE } from '../constants.js';
import { LayoutFetcher } from './layout-fetcher.js';
import type { LayoutReference } from './source.js';
import { verifyBytes } from './verify-bytes.js';

/**
 * The digest of the manifest or index `layout` names now: `index.json` is read again, the entry for
 * the tag (or the only entry, or the digest) chosen as a pull chooses it, and its blob read and
 * checked against the entry's digest and size. Nothing is stored.
 *
 * @param options.maxManifestSize largest `index.json` or manifest read, in bytes. @default MAX_MANIFEST_SIZE
 * @throws MagikrunError `NOT_FOUND` (no layout at `layout.dir`, no such tag or digest in it),
 *   `INVALID_ARGUMENT` (a malformed layout, an ambiguous tag, links or special files in it),
 *   `LIMIT_EXCEEDED`, `UNSUPPORTED` (not an image layout 1.x), `DIGEST_MISMATCH` (the blob is not
 *   what `index.json` says).
 */
export async function currentLayoutDigest(layout: LayoutReference, options: { maxManifestSize?: number } = {}): Promise<string> {
  const fetcher = new LayoutFetcher(layout, options.maxManifestSize ?? MAX_MANIFEST_SIZE);
  const top = await fetcher.top();
  return verifyBytes(top.bytes, top.expectedDigest, top.expectedSize, `the manifest of ${fetcher.label}`, top.expectedFrom);
}
