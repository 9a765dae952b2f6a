/**
 * {@link ImageFetcher} over an OCI image layout directory (image-spec image-layout.md): `oci-layout`,
 * `index.json`, `blobs/<alg>/<hex>`. The image is chosen as skopeo's `oci:DIR[:TAG]` does: by the
 * `org.opencontainers.image.ref.name` annotation, or the only entry when no tag is given.
 *
 * @module image/layout-fetcher
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';
import { parseDigest } from '../storage/digest.js';
import type { ImageFetcher, TopDocument } from './fetcher.js';
import { parseManifestDocument, type Descriptor } from './manifest.js';
import { MediaType } from './media-types.js';
import type { LayoutReference } from './source.js';

/** The annotation naming an entry of a layout's index.json. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** Reads an image from an OCI image layout. */
export class LayoutFetcher implements ImageFetcher {
  readonly label: string;

  constructor(
    private readonly layout: LayoutReference,
    private readonly maxManifestSize: number,
  ) {
    this.label = `image ${layout.canonical}`;
  }

  /** `<dir>/blobs/sha256/<hex>`, after the digest is validated (never a path from unchecked input). */
  private blobPath(digest: string): string {
    const d = parseDigest(digest);
    return path.join(this.layout.dir, 'blobs', d.algorithm, d.hex);
  }

  private async readSmall(file: string, maxSize: number, what: string): Promise<Buffer> {
    let fh;
    try {
      fh = await open(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw err(ErrorCode.NotFound, `${what} is missing from the OCI layout ${this.layout.dir} (${file})`, { path: file });
      }
      throw err(ErrorCode.InvalidArgument, `cannot read ${file} of the OCI layout: ${(e as Error).message}`, { path: file }, e);
    }
    try {
      const { size } = await fh.stat();
      if (size > maxSize) {
        throw err(ErrorCode.LimitExceeded, `${what} in ${this.layout.dir} is ${size} bytes, more than the ${maxSize}-byte limit`, { limit: maxSize, value: size });
      }
      return await fh.readFile();
    } finally {
      await fh.close();
    }
  }

  async top(): Promise<TopDocument> {
    const { dir, tag } = this.layout;
    let marker: string;
    try {
      marker = await readFile(path.join(dir, 'oci-layout'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        throw err(ErrorCode.NotFound, `${dir} is not an OCI image layout (it has no oci-layout file); build one with umoci or skopeo copy … oci:${dir}:TAG`, { path: dir });
      }
      throw err(ErrorCode.InvalidArgument, `cannot read ${dir}/oci-layout: ${(e as Error).message}`, { path: dir }, e);
    }
    let version: unknown;
    try {
      version = (JSON.parse(marker) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
    } catch {
      version = undefined;
    }
    if (typeof version !== 'string' || !version.startsWith('1.')) {
      throw err(ErrorCode.Unsupported, `${dir}/oci-layout does not declare imageLayoutVersion 1.x`, { path: dir });
    }
    const indexBytes = await this.readSmall(path.join(dir, 'index.json'), this.maxManifestSize, 'index.json');
    const doc = parseManifestDocument(indexBytes, MediaType.OciIndex, `${dir}/index.json`);
    if (doc.kind !== 'index') throw err(ErrorCode.InvalidArgument, `${dir}/index.json is not an image index`, { path: dir });
    const entries = doc.index.manifests;
    const tags = [...new Set(entries.map((e) => e.annotations?.[REF_NAME_ANNOTATION]).filter((t): t is string => t !== undefined))];
    let chosen: Descriptor;
    if (tag === undefined) {
      if (entries.length !== 1) {
        throw err(
          ErrorCode.InvalidArgument,
          `the OCI layout ${dir} holds ${entries.length} images; name one as oci:${dir}:TAG (tags: ${tags.join(', ') || 'none'})`,
          { path: dir, tags },
        );
      }
      chosen = entries[0]!;
    } else {
      const hits = entries.filter((e) => e.annotations?.[REF_NAME_ANNOTATION] === tag);
      if (hits.length === 0) {
        throw err(ErrorCode.NotFound, `${this.label} not found: the layout has no image tagged ${JSON.stringify(tag)} (tags: ${tags.join(', ') || 'none'})`, { path: dir, tag, tags });
      }
      if (new Set(hits.map((h) => h.digest)).size > 1) {
        throw err(ErrorCode.InvalidArgument, `the OCI layout ${dir} has several different images tagged ${JSON.stringify(tag)}`, { path: dir, tag });
      }
      chosen = hits[0]!;
    }
    if (chosen.size > this.maxManifestSize) {
      throw err(ErrorCode.LimitExceeded, `${this.label}: its manifest is ${chosen.size} bytes, more than the ${this.maxManifestSize}-byte limit`, { limit: this.maxManifestSize, value: chosen.size });
    }
    const bytes = await this.readSmall(this.blobPath(chosen.digest), this.maxManifestSize, `manifest ${chosen.digest}`);
    return { bytes, contentType: chosen.mediaType, expectedDigest: chosen.digest, expectedFrom: 'index.json', expectedSize: chosen.size };
  }

  async manifest(d: Descriptor, maxSize: number): Promise<Buffer> {
    return this.readSmall(this.blobPath(d.digest), maxSize, `manifest ${d.digest}`);
  }

  async blob(d: Descriptor, signal: AbortSignal) {
    const file = this.blobPath(d.digest);
    const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT'
        ? err(ErrorCode.NotFound, `blob ${d.digest} of ${this.label} is missing from the layout (${file})`, { path: file, digest: d.digest })
        : err(ErrorCode.InvalidArgument, `cannot read ${file}: ${e.message}`, { path: file }, e);
    });
    if (signal.aborted) {
      await fh.close();
      throw signal.reason;
    }
    return fh.createReadStream({ autoClose: true });
  }

  /** The blob from byte `offset` on (a resumed copy out of a layout). */
  async blobAt(d: Descriptor, offset: number, signal: AbortSignal) {
    const file = this.blobPath(d.digest);
    const fh = await open(file, 'r').catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT'
        ? err(ErrorCode.NotFound, `blob ${d.digest} of ${this.label} is missing from the layout (${file})`, { path: file, digest: d.digest })
        : err(ErrorCode.InvalidArgument, `cannot read ${file}: ${e.message}`, { path: file }, e);
    });
    if (signal.aborted) {
      await fh.close();
      throw signal.reason;
    }
    return { body: fh.createReadStream({ autoClose: true, start: offset }), start: offset };
  }
}
