/**
 * The image configuration (image-spec config.md; Docker's container image v1 JSON is the same shape),
 * and the wasm OCI artifact config (`application/vnd.wasm.config.v0+json`).
 *
 * Only the fields magikrun uses are checked; the rest is kept untouched in `raw`.
 *
 * @module image/image-config
 */
import { err, ErrorCode } from '../errors.js';
import type { OciPlatform } from '../platform/types.js';
import { baseMediaType, CONFIG_MEDIA_TYPES, MediaType } from './media-types.js';

/** The execution parameters of an image (config.md `config`). */
export interface ImageRunConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  /** `KEY=VALUE` strings. */
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  StopSignal?: string;
  Labels?: Record<string, string>;
}

/** A parsed image config. */
export interface ImageConfig {
  /** The config's media type (from the manifest's config descriptor). */
  mediaType: string;
  /** os/architecture/variant as the config states them (may be empty for artifacts without a platform). */
  platform: OciPlatform;
  config: ImageRunConfig;
  /** `rootfs.diff_ids`: digests of the uncompressed layers, in order (empty when absent). */
  diffIds: string[];
  /** The whole document as parsed JSON. */
  raw: Record<string, unknown>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function strings(v: unknown, context: string, field: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw err(ErrorCode.InvalidArgument, `${context}: config.${field} must be an array of strings`, { context, field });
  }
  return v as string[];
}

function str(v: unknown, context: string, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw err(ErrorCode.InvalidArgument, `${context}: config.${field} must be a string`, { context, field });
  return v;
}

/**
 * Parse an image config.
 *
 * @param bytes the config blob (already size- and digest-checked).
 * @param mediaType the config descriptor's media type.
 * @throws MagikrunError `UNSUPPORTED` when the media type is not an image or wasm config (a Helm
 *   chart, an SBOM…); `INVALID_ARGUMENT` for malformed JSON or fields of the wrong type.
 */
export function parseImageConfig(bytes: Uint8Array, mediaType: string, context: string): ImageConfig {
  const mt = baseMediaType(mediaType);
  if (!CONFIG_MEDIA_TYPES.has(mt)) {
    throw err(
      ErrorCode.Unsupported,
      `${context}: config media type ${mt} is not a container or wasm image config; this artifact cannot be run`,
      { context, mediaType: mt },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (e) {
    throw err(ErrorCode.InvalidArgument, `${context}: the image config is not valid JSON`, { context }, e);
  }
  if (!isRecord(doc)) throw err(ErrorCode.InvalidArgument, `${context}: the image config is not a JSON object`, { context });
  const os = typeof doc.os === 'string' ? doc.os : '';
  const architecture = typeof doc.architecture === 'string' ? doc.architecture : '';
  const platform: OciPlatform = { os, architecture, ...(typeof doc.variant === 'string' && doc.variant ? { variant: doc.variant } : {}) };
  const config: ImageRunConfig = {};
  if (mt === MediaType.OciConfig || mt === MediaType.DockerConfig) {
    if (doc.config !== undefined && doc.config !== null && !isRecord(doc.config)) {
      throw err(ErrorCode.InvalidArgument, `${context}: config.config must be an object`, { context });
    }
    const c = (doc.config ?? {}) as Record<string, unknown>;
    const entrypoint = strings(c.Entrypoint, context, 'Entrypoint');
    const cmd = strings(c.Cmd, context, 'Cmd');
    const env = strings(c.Env, context, 'Env');
    const workingDir = str(c.WorkingDir, context, 'WorkingDir');
    const user = str(c.User, context, 'User');
    const stopSignal = str(c.StopSignal, context, 'StopSignal');
    if (entrypoint) config.Entrypoint = entrypoint;
    if (cmd) config.Cmd = cmd;
    if (env) config.Env = env;
    if (workingDir) config.WorkingDir = workingDir;
    if (user) config.User = user;
    if (stopSignal) config.StopSignal = stopSignal;
    if (c.Labels !== undefined && c.Labels !== null) {
      if (!isRecord(c.Labels) || Object.values(c.Labels).some((x) => typeof x !== 'string')) {
        throw err(ErrorCode.InvalidArgument, `${context}: config.Labels must be an object of strings`, { context });
      }
      config.Labels = c.Labels as Record<string, string>;
    }
  }
  let diffIds: string[] = [];
  if (isRecord(doc.rootfs)) diffIds = strings(doc.rootfs.diff_ids, context, 'rootfs.diff_ids') ?? [];
  return { mediaType: mt, platform, config, diffIds, raw: doc };
}
