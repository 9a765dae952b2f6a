/**
 * Importing an image from a tar archive: `oci-archive:FILE[:TAG]` (an OCI image layout in a tar, as
 * skopeo writes it) and `docker-archive:FILE[:REF]` (a `docker save` archive). The archive is
 * extracted member by member into a private directory under `<root>/tmp/` (see
 * {@link extractArchive}), imported with every digest verified, and the directory removed.
 *
 * An OCI archive is then read exactly like an `oci:` layout (the same checks as a pull); a docker
 * archive is converted by {@link importDockerArchive}. Blobs are held by a lease until the image index
 * entry exists, so a concurrent `gc` cannot sweep them.
 *
 * @module image/import-archive
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { resolveLimits } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { ensureStoreDir } from '../storage/root.js';
import { extractArchive, type ExtractedArchive } from './archive-extract.js';
import { importDockerArchive } from './docker-archive.js';
import { pullImage } from './pull.js';
import type { ArchiveReference } from './source.js';
import type { PulledImage, PullOptions } from './types.js';

/**
 * Import the image an archive source names into `store` and record it under `archive.canonical`.
 *
 * @throws MagikrunError `NOT_FOUND` (no file; no image with that tag/ref), `INVALID_ARGUMENT`
 *   (not a tar, malformed index.json / manifest.json, several images and none named), `PATH_ESCAPE`,
 *   `LIMIT_EXCEEDED`, `DIGEST_MISMATCH` (a blob or a layer's diff_id does not match), `ABORTED`,
 *   `TIMEOUT`, and any error of `pullImage` for the `oci-archive` form.
 */
export async function importArchive(
  transport: 'oci-archive' | 'docker-archive',
  archive: ArchiveReference,
  store: BlobStore,
  options: PullOptions = {},
): Promise<PulledImage> {
  return withExtractedArchive(archive.file, store, options, async (extracted) => {
    if (transport === 'docker-archive') return importDockerArchive(extracted, archive, store, options);
    // An OCI layout: read it as `oci:` would be, recorded under the archive's key.
    return pullImage({ transport: 'oci', layout: { dir: extracted.dir, tag: archive.ref, canonical: archive.canonical } }, store, options);
  });
}

/**
 * Extract `file` into a private directory under `<root>/tmp/`, run `fn` on it, remove the directory.
 *
 * @throws MagikrunError as {@link extractArchive}, `ABORTED`, and whatever `fn` throws.
 */
export async function withExtractedArchive<T>(
  file: string,
  store: BlobStore,
  options: Pick<PullOptions, 'limits' | 'signal'>,
  fn: (extracted: ExtractedArchive) => Promise<T>,
): Promise<T> {
  const limits = resolveLimits(options.limits);
  await store.ready();
  const tmpRoot = path.join(store.root, 'tmp');
  await ensureStoreDir(tmpRoot);
  const dir = await mkdtemp(path.join(tmpRoot, 'import-'));
  try {
    if (options.signal?.aborted) throw err(ErrorCode.Aborted, `importing ${file} was aborted`, { path: file }, options.signal.reason);
    const extracted = await extractArchive(
      file,
      dir,
      { maxEntrySize: limits.maxLayerSize, maxTotalSize: limits.maxRootfsSize + limits.maxManifestSize },
      options.signal,
    );
    return await fn(extracted);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
