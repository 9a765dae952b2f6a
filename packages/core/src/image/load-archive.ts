/**
 * `docker load` for magikrun: import every image of an archive under the names it carries. The format
 * is recognised by its members: `manifest.json` → a `docker save` archive (each image recorded under
 * each of its `RepoTags`, canonical: `busybox:1` → `docker.io/library/busybox:1`); `oci-layout` → an
 * OCI archive (each index.json entry recorded under its `io.containerd.image.name` annotation when that
 * is a valid reference, else as `oci-archive:FILE:REF_NAME`). The archive is extracted once.
 *
 * @module image/load-archive
 */
import path from 'node:path';
import { resolveLimits } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { canonicalTag, importDockerArchive, parseEntries, readSmall } from './docker-archive.js';
import { withExtractedArchive } from './extracted-archive.js';
import { REF_NAME_ANNOTATION } from './layout-fetcher.js';
import { LocalImageIndex } from './local-index.js';
import { parseManifestDocument } from './manifest.js';
import { MediaType } from './media-types.js';
import { pullImage } from './pull.js';
import type { PulledImage, PullOptions } from './types.js';

/** The annotation containerd and `docker save` (25+) put on index.json entries: the full image name. */
export const CONTAINERD_IMAGE_NAME = 'io.containerd.image.name';

/** What {@link loadArchive} recorded. */
export interface LoadedArchive {
  format: 'docker-archive' | 'oci-archive';
  /** One per image, with every reference it was recorded under. */
  images: { image: PulledImage; references: string[] }[];
}

/**
 * Import every image of a `docker save` or OCI archive (plain or gzip tar) into `store`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` (neither format; no named image), and every error of
 *   `importArchive`.
 */
export async function loadArchive(file: string, store: BlobStore, options: PullOptions = {}): Promise<LoadedArchive> {
  const abs = path.resolve(options.cwd ?? process.cwd(), file);
  const limits = resolveLimits(options.limits);
  const index = new LocalImageIndex(store.root);
  return withExtractedArchive(abs, store, options, async (extracted) => {
    const manifestJson = extracted.resolve('manifest.json');
    if (manifestJson !== undefined) {
      const label = `docker archive ${abs}`;
      const entries = parseEntries(await readSmall(manifestJson, limits.maxManifestSize, 'manifest.json', label), label);
      const images: LoadedArchive['images'] = [];
      for (const [i, e] of entries.entries()) {
        const tags = [...new Set(e.RepoTags.map(canonicalTag).filter((t): t is string => t !== undefined))];
        if (tags.length === 0) {
          if (entries.length !== 1) continue; // untagged image among several: no name to record it under
          const image = await importDockerArchive(extracted, { file: abs, ref: undefined, canonical: `docker-archive:${abs}` }, store, options);
          images.push({ image, references: [image.reference] });
          continue;
        }
        const image = await importDockerArchive(extracted, { file: abs, ref: tags[0], canonical: tags[0]! }, store, { ...options, onProgress: i === 0 ? options.onProgress : undefined });
        const entry = await index.get(tags[0]!);
        for (const t of tags.slice(1)) if (entry) await index.set({ ...entry, reference: t });
        images.push({ image, references: tags });
      }
      if (images.length === 0) throw err(ErrorCode.InvalidArgument, `${label} holds only untagged images; import one with docker-archive:${abs}`, { path: abs });
      return { format: 'docker-archive' as const, images };
    }
    const indexJson = extracted.resolve('index.json');
    if (extracted.resolve('oci-layout') === undefined || indexJson === undefined) {
      throw err(ErrorCode.InvalidArgument, `${abs} is neither a docker save archive (manifest.json) nor an OCI archive (oci-layout, index.json)`, { path: abs });
    }
    const doc = parseManifestDocument(await readSmall(indexJson, limits.maxManifestSize, 'index.json', abs), MediaType.OciIndex, `${abs}: index.json`);
    if (doc.kind !== 'index') throw err(ErrorCode.InvalidArgument, `${abs}: index.json is not an image index`, { path: abs });
    const images: LoadedArchive['images'] = [];
    const tags = [...new Set(doc.index.manifests.map((m) => m.annotations?.[REF_NAME_ANNOTATION]).filter((t): t is string => t !== undefined))];
    if (tags.length === 0 && doc.index.manifests.length === 1) tags.push('');
    for (const tag of tags) {
      const m = doc.index.manifests.find((d) => (d.annotations?.[REF_NAME_ANNOTATION] ?? '') === tag)!;
      const full = m.annotations?.[CONTAINERD_IMAGE_NAME];
      const name = (full !== undefined ? canonicalTag(full) : undefined) ?? `oci-archive:${abs}${tag ? `:${tag}` : ''}`;
      const image = await pullImage({ transport: 'oci', layout: { dir: extracted.dir, tag: tag || undefined, canonical: name } }, store, options);
      images.push({ image, references: [name] });
    }
    if (images.length === 0) throw err(ErrorCode.InvalidArgument, `${abs}: index.json names no image (no ${REF_NAME_ANNOTATION} annotations)`, { path: abs });
    return { format: 'oci-archive' as const, images };
  });
}
