/**
 * Security limits and timeouts, as in the Rust crate's constants.
 *
 * Each is a default: a call may lower it, and may raise it only with an explicit opt-in
 * (`allowAboveDefault: true` in the call's limits), never silently. Byte sizes say whether they bound the
 * compressed bytes that cross the network or the uncompressed bytes that land on disk.
 *
 * @module constants
 */
import { err, ErrorCode } from './errors.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Largest single layer, in **uncompressed** bytes (the tar stream after decompression). 512 MiB. */
export const MAX_LAYER_SIZE = 512 * MiB;
/** Largest unpacked rootfs, in **uncompressed** bytes summed over all layers. 4 GiB. */
export const MAX_ROOTFS_SIZE = 4 * GiB;
/** Most layers one image may have. 128. */
export const MAX_LAYERS = 128;
/** Largest WebAssembly module, in bytes of the `.wasm` file (uncompressed). 256 MiB. */
export const MAX_WASM_MODULE_SIZE = 256 * MiB;
/** Most 64 KiB pages a wasm linear memory may grow to: 65 536 pages = 4 GiB. */
export const MAX_WASM_MEMORY_PAGES = 65_536;
/** One WebAssembly page, in bytes (64 KiB). */
export const WASM_PAGE_SIZE = 65_536;
/** Default fuel (roughly, wasm instructions executed) given to a module: 1e9. */
export const DEFAULT_WASM_FUEL = 1_000_000_000;
/** Default linear memory limit of a wasm container, in bytes: 256 MiB. */
export const DEFAULT_WASM_MEMORY_SIZE = 256 * MiB;
/** Largest microVM memory, in MiB: 4096. */
export const MAX_VM_MEMORY_MIB = 4096;
/** Most vCPUs of a microVM: 8. */
export const MAX_VCPUS = 8;
/** Overall deadline of one image pull, in milliseconds: 300 s. */
export const IMAGE_PULL_TIMEOUT = 300_000;
/** Deadline for a container to start, in milliseconds: 60 s. */
export const CONTAINER_START_TIMEOUT = 60_000;
/** Default grace period of `stop` before SIGKILL, in milliseconds: 10 s (as docker stop). */
export const DEFAULT_STOP_TIMEOUT = 10_000;
/** Largest manifest, index or image config document, in bytes: 4 MiB (containerd uses 4 MiB). */
export const MAX_MANIFEST_SIZE = 4 * MiB;

/** Most tar entries one layer may hold (headers of files, directories, links, whiteouts…): 1 000 000. */
export const MAX_LAYER_ENTRIES = 1_000_000;
/** Longest entry name or link target inside a layer, in bytes (Linux PATH_MAX): 4096. */
export const MAX_ENTRY_PATH_LENGTH = 4096;
/** Most components (directory levels) of one entry name: 256. */
export const MAX_ENTRY_PATH_DEPTH = 256;
/** Largest PAX extended header or GNU long-name record, in bytes: 1 MiB (Go's archive/tar uses the same). */
export const MAX_PAX_HEADER_SIZE = 1 * MiB;
/** Largest value of one extended attribute, in bytes (Linux XATTR_SIZE_MAX): 64 KiB. */
export const MAX_XATTR_VALUE_SIZE = 64 * 1024;
/** Most extended attributes on one entry: 128. */
export const MAX_XATTRS_PER_ENTRY = 128;
/**
 * Compression-ratio guard: a compressed layer may unpack to at most this many times its compressed size…
 * (uncompressed bytes / compressed bytes): 100. Real layers compress 2–10×; gzip tops out near 1000×, zstd far above.
 */
export const MAX_COMPRESSION_RATIO = 100;
/** …but the ratio guard never bites below this many uncompressed bytes of one layer: 64 MiB. */
export const COMPRESSION_RATIO_FLOOR = 64 * MiB;
/** Largest zstd window a layer may ask for, as a power of two (libzstd's default limit, 2^27 = 128 MiB). */
export const ZSTD_WINDOW_LOG_MAX = 27;

/** The limits a call can override. */
export interface Limits {
  /** @default MAX_LAYER_SIZE (bytes, uncompressed) */
  maxLayerSize: number;
  /** @default MAX_ROOTFS_SIZE (bytes, uncompressed) */
  maxRootfsSize: number;
  /** @default MAX_LAYERS */
  maxLayers: number;
  /** @default MAX_WASM_MODULE_SIZE (bytes) */
  maxWasmModuleSize: number;
  /** @default MAX_MANIFEST_SIZE (bytes) */
  maxManifestSize: number;
}

/** The defaults of {@link Limits}. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxLayerSize: MAX_LAYER_SIZE,
  maxRootfsSize: MAX_ROOTFS_SIZE,
  maxLayers: MAX_LAYERS,
  maxWasmModuleSize: MAX_WASM_MODULE_SIZE,
  maxManifestSize: MAX_MANIFEST_SIZE,
});

/** What a caller may pass: any subset of {@link Limits}, plus the opt-in to exceed the defaults. */
export type LimitOverrides = Partial<Limits> & {
  /** Allow values above the defaults. Without it a higher value is an `INVALID_ARGUMENT` error. @default false */
  allowAboveDefault?: boolean;
};

/**
 * Resolve a call's limits against the defaults.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` when a value is not a positive integer, or is above its default
 *   without `allowAboveDefault`.
 */
export function resolveLimits(overrides: LimitOverrides = {}): Limits {
  const out: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const v = overrides[key];
    if (v === undefined) continue;
    out[key] = checkLimit(key, v, DEFAULT_LIMITS[key], overrides.allowAboveDefault === true);
  }
  return out;
}

/**
 * Check one overridable limit: a positive safe integer, at most `defaultValue` unless `allowAboveDefault`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT`
 */
export function checkLimit(name: string, value: number, defaultValue: number, allowAboveDefault: boolean): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw err(ErrorCode.InvalidArgument, `limit ${name} must be a positive integer, got ${String(value)}`, { limit: name, value });
  }
  if (value > defaultValue && !allowAboveDefault) {
    throw err(
      ErrorCode.InvalidArgument,
      `limit ${name}=${value} is above its default ${defaultValue}; pass allowAboveDefault: true to raise it deliberately`,
      { limit: name, value, default: defaultValue },
    );
  }
  return value;
}
