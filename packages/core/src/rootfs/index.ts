/**
 * Layers → rootfs: decompression, secure application of tar changesets, and safe access inside a rootfs.
 *
 * @module bundle-builder/rootfs
 */
export { unpackRootfs, type UnpackRootfsOptions, type RootfsStats } from './unpack-rootfs.js';
export {
  applyLayer,
  applyLayerStream,
  type ApplyLayerOptions,
  type ApplyLayerStreamOptions,
  type ApplyLayerCommon,
  type LayerStats,
  type RootfsBudget,
} from './apply-layer.js';
export { unpackImage } from './unpack-image.js';
export { unpackLayer, type UnpackLayerOptions } from './unpack-layer.js';
export { type ApplyStats } from './apply-entries.js';
export { DEFAULT_LAYER_LIMITS, resolveLayerLimits, type LayerLimits, type LayerLimitOverrides } from './limits.js';
export { type UnpackWarning, type UnpackWarningCode, type WarningSink } from './warnings.js';
export { resolveInRoot, isInside, MAX_SYMLINK_HOPS } from './resolve-in-root.js';
export { readFileInRoot, mkdirInRoot } from './in-root.js';
export { compressionOf, type Compression } from './decompress.js';
