/**
 * Exporting a stored image to an OCI image layout directory (image-spec image-layout.md), as
 * `skopeo copy … oci:DIR:TAG` writes one: `oci-layout`, `index.json` with an entry annotated
 * `org.opencontainers.image.ref.name: TAG`, and `blobs/sha256/<hex>` for the manifest, config and layers.
 *
 * Blobs are streamed out of the store through its verifying reader into a temp file and renamed into
 * place, so a layer is never held in memory and a corrupt stored blob is never exported. An existing
 * layout is extended: its other entries stay, an entry with the same tag is replaced. `index.json` is
 * replaced atomically, after every blob is in place.
 *
 * @module image/export-layout
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MAX_MANIFEST_SIZE } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { parseDigest } from '../storage/digest.js';
import { REF_NAME_ANNOTATION } from './layout-fetcher.js';
import { loadImage } from './load-image.js';
import { parseManifestDocument, type Descriptor } from './manifest.js';
import { MediaType } from './media-types.js';
import { parseLayoutReference, type ImageSource, type LayoutReference } from './source.js';

/** What {@link exportImage} wrote. */
export interface ExportResult {
  /** `oci:<dir>[:<tag>]` */
  destination: string;
  /** The manifest digest of the exported image. */
  digest: string;
  /** Blobs written (those already in the layout with the right size are not rewritten). */
  written: number;
  /** Bytes of the manifest, config and layers. */
  size: number;
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

async function atomicWrite(file: string, data: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file).catch(async (e: unknown) => {
    await unlink(tmp).catch(() => undefined);
    throw e;
  });
}

/** The existing index.json entries to keep, or [] for a new layout. */
async function existingEntries(dir: string): Promise<Descriptor[]> {
  if (!(await exists(path.join(dir, 'oci-layout')))) {
    const names = await readdir(dir).catch(() => [] as string[]);
    if (names.length > 0) {
      throw err(ErrorCode.InvalidArgument, `${dir} exists, is not empty and is not an OCI image layout; export to a new or empty directory, or to an existing layout`, { path: dir });
    }
    return [];
  }
  let version: unknown;
  try {
    version = (JSON.parse(await readFile(path.join(dir, 'oci-layout'), 'utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch {
    version = undefined;
  }
  if (typeof version !== 'string' || !version.startsWith('1.')) {
    throw err(ErrorCode.Unsupported, `${dir}/oci-layout does not declare imageLayoutVersion 1.x; export elsewhere`, { path: dir });
  }
  const indexFile = path.join(dir, 'index.json');
  if (!(await exists(indexFile))) return [];
  const fh = await open(indexFile, 'r');
  let bytes: Buffer;
  try {
    if ((await fh.stat()).size > MAX_MANIFEST_SIZE) throw err(ErrorCode.LimitExceeded, `${indexFile} is larger than ${MAX_MANIFEST_SIZE} bytes`, { path: indexFile });
    bytes = await fh.readFile();
  } finally {
    await fh.close();
  }
  const doc = parseManifestDocument(bytes, MediaType.OciIndex, indexFile);
  if (doc.kind !== 'index') throw err(ErrorCode.InvalidArgument, `${indexFile} is not an image index`, { path: indexFile });
  return doc.index.manifests;
}

/** Copy one blob out of the store (verified while read) unless the layout has it with the right size. */
async function exportBlob(store: BlobStore, blobsDir: string, d: Descriptor): Promise<boolean> {
  const { hex } = parseDigest(d.digest);
  const target = path.join(blobsDir, hex);
  try {
    const st = await lstat(target);
    if (st.isFile() && st.size === d.size) return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = path.join(blobsDir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const src = await store.createReadStream(d.digest);
    await pipeline(src, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
    const fh = await open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    if ((await lstat(tmp)).size !== d.size) {
      throw err(ErrorCode.DigestMismatch, `stored blob ${d.digest} is not ${d.size} bytes as its descriptor says; pull the image again`, { digest: d.digest });
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  return true;
}

/**
 * Write the stored image `reference` to the OCI layout `destination`.
 *
 * @param reference an image in the local index (as `loadImage` takes it).
 * @param destination `oci:DIR[:TAG]` or a parsed layout; without TAG the entry has no ref.name.
 * @throws MagikrunError `NOT_FOUND` (the image is not stored locally, or one of its blobs is gone),
 *   `INVALID_ARGUMENT` (destination syntax; a non-empty directory that is not a layout; a malformed
 *   index.json), `UNSUPPORTED` (layout version), `DIGEST_MISMATCH` (a stored blob was altered).
 * @see https://github.com/opencontainers/image-spec/blob/main/image-layout.md
 */
export async function exportImage(
  reference: string | ImageSource,
  store: BlobStore,
  destination: string | LayoutReference,
  options: { cwd?: string } = {},
): Promise<ExportResult> {
  const layout = typeof destination === 'string' ? parseLayoutReference(destination, options.cwd) : destination;
  const image = await loadImage(reference, store, options);
  if (!image) {
    const name = typeof reference === 'string' ? reference : JSON.stringify(reference);
    throw err(ErrorCode.NotFound, `image ${name} is not in the local store; pull or import it first (see "magikrun images")`, { reference: name });
  }
  const manifestBytes = await store.get(image.digest, { maxSize: Math.min(MAX_MANIFEST_SIZE, store.maxBlobSize) });

  await mkdir(layout.dir, { recursive: true, mode: 0o755 });
  const keep = (await existingEntries(layout.dir)).filter((e) => layout.tag === undefined || e.annotations?.[REF_NAME_ANNOTATION] !== layout.tag);
  const blobsDir = path.join(layout.dir, 'blobs', 'sha256');
  await mkdir(blobsDir, { recursive: true, mode: 0o755 });

  let written = 0;
  for (const d of [image.manifest.config, ...image.manifest.layers]) if (await exportBlob(store, blobsDir, d)) written++;
  const manifestDescriptor: Descriptor = { mediaType: image.mediaType, digest: image.digest, size: manifestBytes.length };
  if (await exportBlob(store, blobsDir, manifestDescriptor)) written++;

  const entry: Record<string, unknown> = { ...manifestDescriptor };
  if (image.platform.os !== '') entry['platform'] = image.platform;
  if (layout.tag !== undefined) entry['annotations'] = { [REF_NAME_ANNOTATION]: layout.tag };
  await writeFile(path.join(layout.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await atomicWrite(
    path.join(layout.dir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [...keep, entry] }),
  );
  const size = manifestBytes.length + image.manifest.config.size + image.manifest.layers.reduce((n, l) => n + l.size, 0);
  return { destination: layout.canonical, digest: image.digest, written, size };
}
