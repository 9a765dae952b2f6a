/**
 * Manifests and indexes: shapes, and checks that a document agrees with its media type.
 *
 * Implements image-spec manifest.md, image-index.md and descriptor.md, and Docker's image manifest
 * v2 schema 2 / manifest list. Docker schema 1 is refused (`UNSUPPORTED`) as containerd does.
 *
 * @module image/manifest
 */
import { err, ErrorCode } from '../errors.js';
import type { OciPlatform } from '../platform/types.js';
import {
  baseMediaType,
  INDEX_MEDIA_TYPES,
  MANIFEST_MEDIA_TYPES,
  MediaType,
  SCHEMA1_MEDIA_TYPES,
} from './media-types.js';
import { checkReferenceDigest } from './reference.js';

/** A content descriptor (image-spec descriptor.md). */
export interface Descriptor {
  mediaType: string;
  /** `sha256:<64 hex>` */
  digest: string;
  /** Size of the blob in bytes. */
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  /** Only on index entries. */
  platform?: OciPlatform;
  artifactType?: string;
}

/** An image manifest (OCI or Docker schema 2). */
export interface ImageManifest {
  schemaVersion: 2;
  /** The manifest's media type (from the document, else the response's Content-Type). */
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
  artifactType?: string;
  subject?: Descriptor;
}

/** An image index (OCI) or manifest list (Docker). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** A parsed document. */
export type ManifestDocument = { kind: 'manifest'; manifest: ImageManifest } | { kind: 'index'; index: ImageIndex };

/**
 * Most entries an index may list: 1024. Real multi-platform indexes list a few dozen (platforms plus
 * attestations); a larger one is refused before any entry is examined.
 */
export const MAX_INDEX_ENTRIES = 1024;

function bad(context: string, why: string): never {
  throw err(ErrorCode.InvalidArgument, `${context}: ${why}`, { context });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringMap(v: unknown, context: string, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v) || Object.values(v).some((x) => typeof x !== 'string')) bad(context, `${field} must be an object of strings`);
  return v as Record<string, string>;
}

/**
 * Check one descriptor's shape.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` (bad shape or digest), `UNSUPPORTED` (a digest algorithm other than sha256).
 */
export function parseDescriptor(v: unknown, context: string): Descriptor {
  if (!isRecord(v)) bad(context, 'a descriptor must be an object');
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType === '') bad(context, 'descriptor has no mediaType');
  if (typeof digest !== 'string') bad(context, 'descriptor has no digest');
  checkReferenceDigest(digest, context);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) bad(context, `descriptor ${digest} has an invalid size ${String(size)}`);
  const d: Descriptor = { mediaType, digest, size };
  if (v.urls !== undefined) {
    if (!Array.isArray(v.urls) || v.urls.some((u) => typeof u !== 'string')) bad(context, `descriptor ${digest}: urls must be strings`);
    d.urls = v.urls as string[];
  }
  const annotations = stringMap(v.annotations, context, 'annotations');
  if (annotations) d.annotations = annotations;
  if (v.platform !== undefined) {
    const p = v.platform;
    if (!isRecord(p) || typeof p.os !== 'string' || typeof p.architecture !== 'string') bad(context, `descriptor ${digest}: platform needs os and architecture strings`);
    d.platform = { os: p.os, architecture: p.architecture, ...(typeof p.variant === 'string' && p.variant ? { variant: p.variant } : {}) };
  }
  if (typeof v.artifactType === 'string') d.artifactType = v.artifactType;
  return d;
}

/**
 * Refuse a Docker schema 1 manifest by its announced media type, before anything else is checked
 * (its Docker-Content-Digest covers the payload without signatures, so a digest check would
 * misreport it as corrupt).
 *
 * @throws MagikrunError `UNSUPPORTED`
 */
export function rejectSchema1(contentType: string | undefined, context: string): void {
  const mt = baseMediaType(contentType);
  if (SCHEMA1_MEDIA_TYPES.has(mt)) throw err(ErrorCode.Unsupported, `${context}: ${SCHEMA1_HELP}`, { context, mediaType: mt });
}

const SCHEMA1_HELP =
  'Docker image manifest schema 1 is deprecated and not supported; push the image again with a current tool (docker push, or skopeo copy --format v2s2 / oci)';

/**
 * Parse a manifest or index and check that it agrees with its media type.
 *
 * The media type is the document's `mediaType` field; when that is absent (allowed for OCI), the
 * `contentType` (the registry's Content-Type header, or the descriptor that pointed here); when both
 * are generic, the shape decides (`manifests` → OCI index, `config` + `layers` → OCI manifest).
 *
 * @param bytes the raw document (the caller has checked its size and digest).
 * @param contentType the media type announced for it, if any.
 * @throws MagikrunError `UNSUPPORTED` for Docker schema 1 or an unknown manifest media type;
 *   `INVALID_ARGUMENT` for malformed JSON, a wrong schemaVersion, a shape that contradicts the
 *   media type, a bad descriptor; `REGISTRY` when the document's mediaType and the announced one differ;
 *   `LIMIT_EXCEEDED` for an index with more than {@link MAX_INDEX_ENTRIES} entries.
 */
export function parseManifestDocument(bytes: Uint8Array, contentType: string | undefined, context: string): ManifestDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    throw err(ErrorCode.InvalidArgument, `${context}: the manifest is not valid JSON`, { context }, e);
  }
  if (!isRecord(doc)) bad(context, 'the manifest is not a JSON object');
  const announced = baseMediaType(contentType);
  const declared = typeof doc.mediaType === 'string' ? baseMediaType(doc.mediaType) : undefined;
  if (doc.mediaType !== undefined && typeof doc.mediaType !== 'string') bad(context, 'mediaType must be a string');

  if (doc.schemaVersion === 1 || SCHEMA1_MEDIA_TYPES.has(announced) || (declared && SCHEMA1_MEDIA_TYPES.has(declared))) {
    throw err(ErrorCode.Unsupported, `${context}: ${SCHEMA1_HELP}`, { context, mediaType: declared ?? announced });
  }
  if (doc.schemaVersion !== 2) bad(context, `schemaVersion must be 2, got ${JSON.stringify(doc.schemaVersion)}`);

  const known = (t: string) => MANIFEST_MEDIA_TYPES.has(t) || INDEX_MEDIA_TYPES.has(t);
  if (declared && known(announced) && declared !== announced) {
    throw err(
      ErrorCode.Registry,
      `${context}: the registry announced ${announced} but the document says ${declared}`,
      { context, announced, declared },
    );
  }
  let mediaType = declared ?? (known(announced) ? announced : undefined);
  if (mediaType === undefined) {
    // OCI documents may omit mediaType; a generic Content-Type (application/json) leaves the shape to decide.
    if (Array.isArray(doc.manifests)) mediaType = MediaType.OciIndex;
    else if (doc.config !== undefined && Array.isArray(doc.layers)) mediaType = MediaType.OciManifest;
    else bad(context, 'the document is neither an image manifest nor an index');
  }
  if (INDEX_MEDIA_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) bad(context, `a ${mediaType} must have a "manifests" array`);
    if (doc.config !== undefined || doc.layers !== undefined) bad(context, `a ${mediaType} must not have "config" or "layers" (it looks like a manifest)`);
    if (doc.manifests.length > MAX_INDEX_ENTRIES) {
      throw err(ErrorCode.LimitExceeded, `${context}: the index lists ${doc.manifests.length} manifests, more than the limit of ${MAX_INDEX_ENTRIES}`, { context, limit: MAX_INDEX_ENTRIES, value: doc.manifests.length });
    }
    const manifests = doc.manifests.map((m, i) => parseDescriptor(m, `${context}: manifests[${i}]`));
    const index: ImageIndex = { schemaVersion: 2, mediaType, manifests };
    const annotations = stringMap(doc.annotations, context, 'annotations');
    if (annotations) index.annotations = annotations;
    return { kind: 'index', index };
  }
  if (MANIFEST_MEDIA_TYPES.has(mediaType)) {
    if (doc.manifests !== undefined) bad(context, `a ${mediaType} must not have "manifests" (it looks like an index)`);
    if (!Array.isArray(doc.layers)) bad(context, `a ${mediaType} must have a "layers" array`);
    const config = parseDescriptor(doc.config, `${context}: config`);
    const layers = doc.layers.map((l, i) => parseDescriptor(l, `${context}: layers[${i}]`));
    if (mediaType === MediaType.DockerManifest && layers.length === 0) bad(context, 'a Docker schema 2 manifest must have at least one layer');
    const manifest: ImageManifest = { schemaVersion: 2, mediaType, config, layers };
    const annotations = stringMap(doc.annotations, context, 'annotations');
    if (annotations) manifest.annotations = annotations;
    if (typeof doc.artifactType === 'string') manifest.artifactType = doc.artifactType;
    if (doc.subject !== undefined) manifest.subject = parseDescriptor(doc.subject, `${context}: subject`);
    return { kind: 'manifest', manifest };
  }
  throw err(ErrorCode.Unsupported, `${context}: manifest media type ${mediaType} is not supported (expected an OCI or Docker schema 2 manifest or index)`, { context, mediaType });
}
