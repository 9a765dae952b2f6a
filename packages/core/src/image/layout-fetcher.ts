/**
 * {@link ImageFetcher} over an OCI image layout directory (image-spec image-layout.md): `oci-layout`,
 * `index.json`, `blobs/<alg>/<hex>`. The image is chosen as skopeo's `oci:DIR[:TAG]` does: by the
 * `org.opencontainers.image.ref.name` annotation, or the only entry when no tag is given; or by
 * manifest digest (`oci:DIR@sha256:HEX`, see {@link LayoutReference.digest}).
 *
 * A layout is untrusted input. Every file of it is opened with `O_NOFOLLOW | O_NONBLOCK` (a symbolic
 * link is refused, a FIFO cannot block the open), `fstat`ed and refused unless it is a regular file,
 * and read with a byte cap: `oci-layout` at most {@link MAX_OCI_LAYOUT_FILE_SIZE}, `index.json` and
 * manifests at most the manifest limit, a blob exactly its descriptor's `size` (a file of another size
 * is refused before a byte is read; one that changes while read fails the read). `blobs/` and
 * `blobs/<alg>/` must be real directories, not links. Digests are verified by the caller
 * (`pullImage`, the BlobStore).
 *
 * @module image/layout-fetcher
 */
import { constants, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';
import { parseDigest } from '../storage/digest.js';
import type { ImageFetcher, TopDocument } from './fetcher.js';
import { parseManifestDocument, type Descriptor } from './manifest.js';
import { MediaType } from './media-types.js';
import type { LayoutReference } from './source.js';

/** The annotation naming an entry of a layout's index.json. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** Largest `oci-layout` file read, in bytes (it holds `{"imageLayoutVersion":"1.0.0"}`): 4 KiB. */
export const MAX_OCI_LAYOUT_FILE_SIZE = 4 * 1024;

/** Bytes read from a layout blob per chunk: 256 KiB. */
const READ_CHUNK = 256 * 1024;

/** Flags every layout file is opened with: read-only, no symlink as last component, no blocking open. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isSocket()) return 'socket';
  if (st.isSymbolicLink()) return 'symbolic link';
  return 'special file';
}

/** Reads an image from an OCI image layout. */
export class LayoutFetcher implements ImageFetcher {
  readonly label: string;
  private readonly checkedDirs = new Map<string, Promise<void>>();

  constructor(
    private readonly layout: LayoutReference,
    private readonly maxManifestSize: number,
  ) {
    this.label = `image ${layout.canonical}`;
  }

  /**
   * `<dir>/blobs/<alg>/<hex>`, after the digest is validated (never a path from unchecked input) and
   * `blobs/` and `blobs/<alg>/` are found to be real directories.
   *
   * @throws MagikrunError `INVALID_ARGUMENT` for a malformed digest or a linked / non-directory `blobs` path.
   */
  private async blobPath(digest: string): Promise<string> {
    const d = parseDigest(digest);
    let checked = this.checkedDirs.get(d.algorithm);
    if (!checked) {
      checked = (async () => {
        for (const dir of [path.join(this.layout.dir, 'blobs'), path.join(this.layout.dir, 'blobs', d.algorithm)]) {
          let st: Stats;
          try {
            st = await lstat(dir);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // the blob open reports NOT_FOUND
            throw err(ErrorCode.InvalidArgument, `cannot inspect ${dir} of the OCI layout: ${(e as Error).message}`, { path: dir }, e);
          }
          if (!st.isDirectory()) {
            throw err(
              ErrorCode.InvalidArgument,
              `${dir} of the OCI layout ${this.layout.dir} is a ${fileKind(st)}, not a directory; a layout's blobs must lie inside it (copy it with skopeo copy oci:… oci:…)`,
              { path: dir },
            );
          }
        }
      })();
      this.checkedDirs.set(d.algorithm, checked);
    }
    await checked;
    return path.join(this.layout.dir, 'blobs', d.algorithm, d.hex);
  }

  /**
   * Open a file of the layout for reading: not through a symbolic link, never blocking, and only a
   * regular file.
   *
   * @throws MagikrunError `NOT_FOUND` when it is missing; `INVALID_ARGUMENT` (naming the path) for a
   *   symbolic link, a directory, a FIFO, a device or a socket, or any other open error.
   */
  private async openRegular(file: string, what: string): Promise<{ fh: FileHandle; size: number }> {
    let fh: FileHandle;
    try {
      fh = await open(file, OPEN_FLAGS);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        throw err(ErrorCode.NotFound, `${what} is missing from the OCI layout ${this.layout.dir} (${file})`, { path: file });
      }
      if (code === 'ELOOP') {
        throw err(
          ErrorCode.InvalidArgument,
          `${what} of the OCI layout ${this.layout.dir} is a symbolic link (${file}); layout files must be regular files inside the layout — copy it with skopeo copy oci:… oci:… to get one without links`,
          { path: file },
          e,
        );
      }
      throw err(ErrorCode.InvalidArgument, `cannot open ${what} of the OCI layout (${file}): ${(e as Error).message}`, { path: file, errno: code }, e);
    }
    let st: Stats;
    try {
      st = await fh.stat();
    } catch (e) {
      await fh.close();
      throw err(ErrorCode.InvalidArgument, `cannot inspect ${what} of the OCI layout (${file}): ${(e as Error).message}`, { path: file }, e);
    }
    if (!st.isFile()) {
      await fh.close();
      throw err(ErrorCode.InvalidArgument, `${what} of the OCI layout ${this.layout.dir} is a ${fileKind(st)}, not a regular file: ${file}`, { path: file, kind: fileKind(st) });
    }
    return { fh, size: st.size };
  }

  /**
   * Read a whole layout file of at most `maxSize` bytes (and exactly `expectedSize`, when given).
   *
   * @throws MagikrunError as {@link openRegular}; `LIMIT_EXCEEDED` above `maxSize`; `DIGEST_MISMATCH`
   *   when the file is not `expectedSize` bytes or changes size while it is read.
   */
  private async readSmall(file: string, maxSize: number, what: string, expectedSize?: number): Promise<Buffer> {
    const { fh, size } = await this.openRegular(file, what);
    try {
      if (size > maxSize) {
        throw err(ErrorCode.LimitExceeded, `${what} in ${this.layout.dir} is ${size} bytes, more than the ${maxSize}-byte limit`, { path: file, limit: maxSize, value: size });
      }
      if (expectedSize !== undefined && size !== expectedSize) throw this.sizeMismatch(what, file, size, expectedSize);
      // One byte more than the file should hold: a file that grew since fstat is noticed, never read on.
      const buf = Buffer.alloc(size + 1);
      let got = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
        if (got > size) break;
      }
      if (got !== size) throw this.changedWhileRead(what, file, size);
      return buf.subarray(0, size);
    } finally {
      await fh.close();
    }
  }

  private sizeMismatch(what: string, file: string, actual: number, expected: number) {
    return err(
      ErrorCode.DigestMismatch,
      `${what} in the OCI layout ${this.layout.dir} is ${actual} bytes, but its descriptor says ${expected}; the layout is corrupt (${file})`,
      { path: file, expected, actual },
    );
  }

  private changedWhileRead(what: string, file: string, size: number) {
    return err(ErrorCode.DigestMismatch, `${what} in the OCI layout ${this.layout.dir} changed size while it was read (it was ${size} bytes): ${file}`, { path: file, expected: size });
  }

  async top(): Promise<TopDocument> {
    const { dir, tag, digest } = this.layout;
    let marker: Buffer;
    try {
      marker = await this.readSmall(path.join(dir, 'oci-layout'), MAX_OCI_LAYOUT_FILE_SIZE, 'oci-layout');
    } catch (e) {
      if ((e as { code?: unknown }).code === ErrorCode.NotFound) {
        throw err(ErrorCode.NotFound, `${dir} is not an OCI image layout (it has no oci-layout file); build one with umoci or skopeo copy … oci:${dir}:TAG`, { path: dir });
      }
      throw e;
    }
    let version: unknown;
    try {
      version = (JSON.parse(marker.toString('utf8')) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
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
    if (digest !== undefined) {
      const hit = entries.find((e) => e.digest === digest);
      if (!hit) {
        // Not listed: any manifest blob of the layout, as a registry serves any manifest by digest. Verified by pullImage.
        const file = await this.blobPath(digest);
        const bytes = await this.readSmall(file, this.maxManifestSize, `manifest ${digest}`).catch((e: unknown) => {
          if ((e as { code?: unknown }).code !== ErrorCode.NotFound) throw e;
          throw err(ErrorCode.NotFound, `${this.label} not found: the layout has no manifest ${digest} (tags: ${tags.join(', ') || 'none'})`, { path: dir, digest, tags });
        });
        return { bytes, contentType: undefined, expectedDigest: digest, expectedFrom: 'the reference', expectedSize: undefined };
      }
      chosen = hit;
    } else if (tag === undefined) {
      if (entries.length !== 1) {
        throw err(
          ErrorCode.InvalidArgument,
          `the OCI layout ${dir} holds ${entries.length} images; name one as oci:${dir}:TAG or oci:${dir}@DIGEST (tags: ${tags.join(', ') || 'none'})`,
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
    const bytes = await this.readSmall(await this.blobPath(chosen.digest), this.maxManifestSize, `manifest ${chosen.digest}`, chosen.size);
    return { bytes, contentType: chosen.mediaType, expectedDigest: chosen.digest, expectedFrom: 'index.json', expectedSize: chosen.size };
  }

  /** A manifest or index blob: a regular file of exactly `d.size` bytes, at most `maxSize`. */
  async manifest(d: Descriptor, maxSize: number): Promise<Buffer> {
    return this.readSmall(await this.blobPath(d.digest), maxSize, `manifest ${d.digest}`, d.size);
  }

  async blob(d: Descriptor, signal: AbortSignal) {
    return (await this.blobAt(d, 0, signal)).body;
  }

  /**
   * The blob from byte `offset` on (a resumed copy out of a layout): a regular file of exactly
   * `d.size` bytes, streamed in {@link READ_CHUNK} pieces and never past `d.size`.
   *
   * @throws MagikrunError as {@link openRegular}; `DIGEST_MISMATCH` when the file's size is not
   *   `d.size` (before any byte is read), or — from the body — when it changes while it is read.
   */
  async blobAt(d: Descriptor, offset: number, signal: AbortSignal) {
    const what = `blob ${d.digest} of ${this.label}`;
    const file = await this.blobPath(d.digest);
    const { fh, size } = await this.openRegular(file, `blob ${d.digest}`);
    if (size !== d.size || signal.aborted || offset < 0 || offset > size) {
      await fh.close();
      if (signal.aborted) throw signal.reason;
      if (size !== d.size) throw this.sizeMismatch(`blob ${d.digest}`, file, size, d.size);
      throw err(ErrorCode.Internal, `${what}: offset ${offset} is outside the blob of ${size} bytes`, { path: file, offset });
    }
    return { body: this.readRange(fh, offset, size, file, what, signal), start: offset };
  }

  /** Bytes [start, end) of an open regular file; the handle is closed at the end, on error and on destroy(). */
  private readRange(fh: FileHandle, start: number, end: number, file: string, what: string, signal: AbortSignal) {
    let closed = false;
    const close = async () => {
      if (closed) return;
      closed = true;
      await fh.close();
    };
    const changed = () => this.changedWhileRead(what, file, end);
    async function* chunks(): AsyncGenerator<Uint8Array> {
      try {
        let pos = start;
        while (pos < end) {
          if (signal.aborted) throw signal.reason;
          const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - pos));
          const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
          if (bytesRead === 0) throw changed();
          pos += bytesRead;
          yield buf.subarray(0, bytesRead);
        }
        // A file that grew past its descriptor's size since the fstat.
        const { bytesRead } = await fh.read(Buffer.alloc(1), 0, 1, end);
        if (bytesRead !== 0) throw changed();
      } finally {
        await close();
      }
    }
    const it = chunks();
    return {
      [Symbol.asyncIterator]: () => it,
      destroy: () => {
        void it.return(undefined).catch(() => {});
        void close().catch(() => {});
      },
    };
  }
}
