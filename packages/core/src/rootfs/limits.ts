/**
 * The limits one unpack runs under: the image-level ones of {@link Limits} (sizes in uncompressed
 * bytes) plus the per-entry caps of the layer applier, all defaulting to constants.ts.
 *
 * @module rootfs/limits
 */
import {
  checkLimit,
  COMPRESSION_RATIO_FLOOR,
  MAX_COMPRESSION_RATIO,
  MAX_ENTRY_PATH_DEPTH,
  MAX_ENTRY_PATH_LENGTH,
  MAX_LAYER_ENTRIES,
  MAX_LAYER_SIZE,
  MAX_LAYERS,
  MAX_PAX_HEADER_SIZE,
  MAX_ROOTFS_SIZE,
  MAX_XATTR_VALUE_SIZE,
  MAX_XATTRS_PER_ENTRY,
  ZSTD_WINDOW_LOG_MAX,
} from '../constants.js';
import { err, ErrorCode } from '../errors.js';

/**
 * Path components the applier may walk resolving one layer's names and hard-link targets: 1 000 000
 * (about a second or two of lstat calls). A real layer needs about one step per new directory (resolved
 * parents are cached; each layer of the debootstrap test image needs fewer than 200); a hostile one
 * that makes every entry resolve through long symlink detours runs out.
 */
export const MAX_LAYER_RESOLVE_STEPS = 1_000_000;

/** Every limit of an unpack. Sizes in bytes. */
export interface LayerLimits {
  /** Largest uncompressed layer. @default MAX_LAYER_SIZE (512 MiB) */
  maxLayerSize: number;
  /** Largest rootfs, uncompressed bytes summed over its layers. @default MAX_ROOTFS_SIZE (4 GiB) */
  maxRootfsSize: number;
  /** Most layers. @default MAX_LAYERS (128) */
  maxLayers: number;
  /** Most tar headers in one layer. @default MAX_LAYER_ENTRIES (1 000 000) */
  maxLayerEntries: number;
  /** Longest entry name or link target. @default MAX_ENTRY_PATH_LENGTH (4096) */
  maxPathLength: number;
  /** Most components of an entry name. @default MAX_ENTRY_PATH_DEPTH (256) */
  maxPathDepth: number;
  /** Largest PAX header. @default MAX_PAX_HEADER_SIZE (1 MiB) */
  maxPaxHeaderSize: number;
  /** Largest xattr value. @default MAX_XATTR_VALUE_SIZE (64 KiB) */
  maxXattrValueSize: number;
  /** Most xattrs on one entry. @default MAX_XATTRS_PER_ENTRY (128) */
  maxXattrsPerEntry: number;
  /** Uncompressed/compressed ratio allowed above the floor. @default MAX_COMPRESSION_RATIO (100) */
  maxCompressionRatio: number;
  /** Uncompressed bytes a compressed layer may always reach, whatever its ratio. @default COMPRESSION_RATIO_FLOOR (64 MiB) */
  compressionRatioFloor: number;
  /** Largest zstd window, log2 of bytes. @default ZSTD_WINDOW_LOG_MAX (27) */
  zstdWindowLogMax: number;
  /** Path components walked resolving one layer's names (symlinks followed). @default MAX_LAYER_RESOLVE_STEPS (1 000 000) */
  maxResolveSteps: number;
}

/** Defaults of {@link LayerLimits}. */
export const DEFAULT_LAYER_LIMITS: Readonly<LayerLimits> = Object.freeze({
  maxLayerSize: MAX_LAYER_SIZE,
  maxRootfsSize: MAX_ROOTFS_SIZE,
  maxLayers: MAX_LAYERS,
  maxLayerEntries: MAX_LAYER_ENTRIES,
  maxPathLength: MAX_ENTRY_PATH_LENGTH,
  maxPathDepth: MAX_ENTRY_PATH_DEPTH,
  maxPaxHeaderSize: MAX_PAX_HEADER_SIZE,
  maxXattrValueSize: MAX_XATTR_VALUE_SIZE,
  maxXattrsPerEntry: MAX_XATTRS_PER_ENTRY,
  maxCompressionRatio: MAX_COMPRESSION_RATIO,
  compressionRatioFloor: COMPRESSION_RATIO_FLOOR,
  zstdWindowLogMax: ZSTD_WINDOW_LOG_MAX,
  maxResolveSteps: MAX_LAYER_RESOLVE_STEPS,
});

/** What a caller passes: any subset, plus the opt-in to exceed the applier's own defaults. */
export type LayerLimitOverrides = Partial<LayerLimits> & {
  /** Allow values above the defaults of the applier's caps. @default false */
  allowAboveDefault?: boolean;
};

/** The image-level limits, which arrive already resolved by `resolveLimits` (its opt-in was checked there). */
const IMAGE_LEVEL = new Set<keyof LayerLimits>(['maxLayerSize', 'maxRootfsSize', 'maxLayers']);

/**
 * Resolve a call's limits. `maxLayerSize`, `maxRootfsSize` and `maxLayers` are taken as given (positive
 * integers; `resolveLimits` applies their opt-in); the applier's caps may exceed their defaults only with
 * `allowAboveDefault`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT`
 */
export function resolveLayerLimits(overrides: LayerLimitOverrides = {}): LayerLimits {
  const out: LayerLimits = { ...DEFAULT_LAYER_LIMITS };
  for (const key of Object.keys(DEFAULT_LAYER_LIMITS) as (keyof LayerLimits)[]) {
    const v = overrides[key];
    if (v === undefined) continue;
    if (IMAGE_LEVEL.has(key)) {
      if (!Number.isSafeInteger(v) || v <= 0) throw err(ErrorCode.InvalidArgument, `limit ${key} must be a positive integer, got ${String(v)}`, { limit: key, value: v });
      out[key] = v;
    } else {
      out[key] = checkLimit(key, v, DEFAULT_LAYER_LIMITS[key], overrides.allowAboveDefault === true);
    }
  }
  return out;
}
