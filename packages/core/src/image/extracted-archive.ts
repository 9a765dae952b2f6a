/**
 * Working on a tar archive (`oci-archive:`, `docker-archive:`, `magikrun load`): it is extracted member
 * by member into a private directory under `<root>/tmp/` (see {@link extractArchive}), worked on, and
 * the directory removed. `importArchive` (pull.ts) and `loadArchive` build on it.
 *
 * @module image/extracted-archive
 */
import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { resolveLimits } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { ensureStoreDir } from '../storage/root.js';
import { extractArchive, type ExtractedArchive } from './archive-extract.js';
import type { PullOptions } from './types.js';

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
