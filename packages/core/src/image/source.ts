/**
 * Where an image comes from: a registry reference, or an OCI image layout directory written as
 * skopeo's transport `oci:DIR[:TAG]`.
 *
 * @module image/source
 */
import { isAbsolute, resolve } from 'node:path';
import { err, ErrorCode } from '../errors.js';
import { parseDigest } from '../storage/digest.js';
import { parseReference, type ImageReference } from './reference.js';

/** An image in an OCI image layout directory (image-spec image-layout.md). */
export interface LayoutReference {
  /** Absolute path of the layout directory (holds `oci-layout`, `index.json`, `blobs/`). */
  readonly dir: string;
  /**
   * The `org.opencontainers.image.ref.name` annotation of the wanted `index.json` entry; undefined
   * means "the layout's only image" (skopeo's rule).
   */
  readonly tag: string | undefined;
  /**
   * The wanted manifest's digest (`oci:DIR@sha256:HEX`), checked against the digest grammar; it
   * selects the `index.json` entry with that digest, or else the manifest blob of that digest. Never
   * set together with `tag`. Optional so that existing `{ dir, tag, canonical }` values stay valid.
   */
  readonly digest?: string | undefined;
  /** `oci:<absolute dir>[:<tag>|@<digest>]`: the key of the local image index entry. */
  readonly canonical: string;
}

/** An image in a tar archive: an OCI layout in a tar (`oci-archive:`) or a `docker save` archive (`docker-archive:`). */
export interface ArchiveReference {
  /** Absolute path of the archive file (plain tar, or gzip-compressed tar). */
  readonly file: string;
  /**
   * `oci-archive`: the `org.opencontainers.image.ref.name` of the wanted image; `docker-archive`: a
   * reference matched against `RepoTags` (`busybox:latest` = `docker.io/library/busybox:latest`).
   * Undefined means "the archive's only image".
   */
  readonly ref: string | undefined;
  /** `<transport>:<absolute file>[:<ref>]`: the key of the local image index entry. */
  readonly canonical: string;
}

/** A parsed image argument. */
export type ImageSource =
  | { readonly transport: 'docker'; readonly reference: ImageReference }
  | { readonly transport: 'oci'; readonly layout: LayoutReference }
  | { readonly transport: 'oci-archive' | 'docker-archive'; readonly archive: ArchiveReference };

/**
 * Parse `oci-archive:FILE[:TAG]` or `docker-archive:FILE[:REF]` (skopeo's transports): FILE runs up to
 * the first `:` after the prefix; a relative FILE is resolved against `cwd`. A docker-archive REF is
 * checked with the reference grammar and kept canonical.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a missing file name or a malformed tag or reference.
 */
export function parseArchiveReference(input: string, cwd: string = process.cwd()): { transport: 'oci-archive' | 'docker-archive'; archive: ArchiveReference } {
  const transport = input.startsWith('oci-archive:') ? 'oci-archive' : input.startsWith('docker-archive:') ? 'docker-archive' : undefined;
  if (transport === undefined) {
    throw err(ErrorCode.InvalidArgument, `not an archive reference: ${JSON.stringify(input)}; write oci-archive:FILE[:TAG] or docker-archive:FILE[:REF]`, { reference: input });
  }
  const rest = input.slice(transport.length + 1);
  const colon = rest.indexOf(':');
  const rawFile = colon >= 0 ? rest.slice(0, colon) : rest;
  let ref = colon >= 0 ? rest.slice(colon + 1) : undefined;
  if (rawFile.length === 0 || rawFile.includes('\0')) {
    throw err(ErrorCode.InvalidArgument, `archive reference ${JSON.stringify(input)} names no file; write ${transport}:FILE[:${transport === 'oci-archive' ? 'TAG' : 'REF'}]`, { reference: input });
  }
  if (ref !== undefined) {
    if (transport === 'oci-archive' && !LAYOUT_TAG.test(ref)) {
      throw err(ErrorCode.InvalidArgument, `archive reference ${JSON.stringify(input)} has a malformed tag ${JSON.stringify(ref)}; use letters, digits, ".", "_" and "-"`, { reference: input });
    }
    if (transport === 'docker-archive') {
      const parsed = parseReference(ref);
      if (parsed.digest !== undefined) {
        throw err(ErrorCode.InvalidArgument, `docker-archive reference ${JSON.stringify(ref)} names a digest; a docker save archive is addressed by NAME:TAG`, { reference: input });
      }
      ref = parsed.canonical;
    }
  }
  const file = isAbsolute(rawFile) ? resolve(rawFile) : resolve(cwd, rawFile);
  return { transport, archive: Object.freeze({ file, ref, canonical: `${transport}:${file}${ref !== undefined ? `:${ref}` : ''}` }) };
}

const LAYOUT_TAG = /^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$/;

/** `DIR@DIGEST` or `DIR:@DIGEST` (the latter in the slot skopeo reserves for `@`-selectors after the `:`). */
const LAYOUT_DIGEST = /^(.+?):?@((?:sha256|sha384|sha512):[a-zA-Z0-9=_-]+)$/;

/**
 * Parse `oci:DIR[:TAG]` or `oci:DIR@DIGEST`: everything after `oci:` up to the next `:` is the
 * directory (as containers/image's oci transport splits it, so DIR cannot contain `:`); a relative
 * DIR is resolved against `cwd`.
 *
 * The digest form is magikrun's addition: skopeo's `oci:` transport (containers-transports(5),
 * `oci:path[:{reference|@source-index}]`) has no digest selector. `oci:DIR@sha256:HEX` (and
 * `oci:DIR:@sha256:HEX`, in skopeo's `@` slot) selects the manifest by digest; the canonical form is
 * `oci:DIR@sha256:HEX`. A directory whose name ends in `@sha256` (or `@sha384`, `@sha512`) can
 * therefore not be named with a tag; `oci:DIR:TAG@DIGEST` is refused.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for an empty directory, a malformed tag or digest, or a
 *   directory containing `:`.
 */
export function parseLayoutReference(input: string, cwd: string = process.cwd()): LayoutReference {
  if (!input.startsWith('oci:')) {
    throw err(ErrorCode.InvalidArgument, `not an OCI layout reference: ${JSON.stringify(input)}; write oci:DIR[:TAG] or oci:DIR@sha256:HEX`, { reference: input });
  }
  const rest = input.slice(4);
  const byDigest = LAYOUT_DIGEST.exec(rest);
  let rawDir: string;
  let tag: string | undefined;
  let digest: string | undefined;
  if (byDigest) {
    rawDir = byDigest[1]!;
    if (rawDir.includes(':')) {
      throw err(
        ErrorCode.InvalidArgument,
        `OCI layout reference ${JSON.stringify(input)} names both a tag and a digest (or a directory containing ":"); write oci:DIR@sha256:HEX or oci:DIR:TAG`,
        { reference: input },
      );
    }
    try {
      digest = parseDigest(byDigest[2]).digest;
    } catch (e) {
      if ((e as { code?: unknown }).code === ErrorCode.Unsupported) throw e;
      throw err(ErrorCode.InvalidArgument, `OCI layout reference ${JSON.stringify(input)} has a malformed digest; write oci:DIR@sha256:<64 hex digits>`, { reference: input }, e);
    }
  } else {
    const colon = rest.indexOf(':');
    rawDir = colon >= 0 ? rest.slice(0, colon) : rest;
    tag = colon >= 0 ? rest.slice(colon + 1) : undefined;
  }
  if (rawDir.length === 0) {
    throw err(ErrorCode.InvalidArgument, `OCI layout reference ${JSON.stringify(input)} names no directory; write oci:DIR[:TAG]`, { reference: input });
  }
  if (tag !== undefined && !LAYOUT_TAG.test(tag)) {
    throw err(
      ErrorCode.InvalidArgument,
      `OCI layout reference ${JSON.stringify(input)} has a malformed tag ${JSON.stringify(tag)}; use letters, digits, ".", "_" and "-" (a directory cannot contain ":")`,
      { reference: input },
    );
  }
  const dir = isAbsolute(rawDir) ? resolve(rawDir) : resolve(cwd, rawDir);
  const suffix = digest !== undefined ? `@${digest}` : tag !== undefined ? `:${tag}` : '';
  return Object.freeze({ dir, tag, ...(digest !== undefined ? { digest } : {}), canonical: `oci:${dir}${suffix}` });
}

/**
 * Parse what a user gives as an image: `oci:DIR[:TAG]` is an OCI image layout on disk,
 * `oci-archive:FILE[:TAG]` and `docker-archive:FILE[:REF]` are tar archives, anything else
 * (optionally prefixed `docker://`) a registry reference. An image really named `oci` must be written
 * `docker.io/library/oci:TAG`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` / `UNSUPPORTED` as {@link parseReference} and {@link parseLayoutReference}.
 */
export function parseImageSource(input: string, cwd?: string): ImageSource {
  if (typeof input === 'string' && input.startsWith('oci:')) return { transport: 'oci', layout: parseLayoutReference(input, cwd) };
  if (typeof input === 'string' && (input.startsWith('oci-archive:') || input.startsWith('docker-archive:'))) return parseArchiveReference(input, cwd);
  return { transport: 'docker', reference: parseReference(input) };
}

/** The key under which an image from `source` is recorded in the local image index. */
export function sourceKey(source: ImageSource): string {
  if (source.transport === 'oci') return source.layout.canonical;
  if (source.transport === 'docker') return source.reference.canonical;
  return source.archive.canonical;
}
