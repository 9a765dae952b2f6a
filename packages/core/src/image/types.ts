/**
 * Shapes of image pulls: options, progress events, and the pulled image.
 *
 * @module image/types
 */
import type { LimitOverrides } from '../constants.js';
import type { OciPlatform } from '../platform/types.js';
import type { ImageConfig } from './image-config.js';
import type { ImageManifest } from './manifest.js';
import type { RegistryAccessOptions } from './registry-client.js';
import type { PlatformChoice } from './select-manifest.js';

/**
 * Progress of a pull: one blob (`index`, `manifest`, `config`, `layer`), or the whole image
 * (`overall`: its `digest` is the image manifest's, `completed`/`total` are the bytes of config and
 * layers together, a resumed or cached blob counting as received; `cached` is true when every blob
 * was already stored).
 */
export interface PullProgress {
  /** What the event is about. */
  kind: 'index' | 'manifest' | 'config' | 'layer' | 'overall';
  digest: string;
  /** Bytes received so far. */
  completed: number;
  /** Bytes expected (the descriptor's size; 0 when unknown, e.g. for a manifest fetched by tag). */
  total: number;
  /** True when the blob was already in the store and nothing was downloaded. */
  cached: boolean;
  /** True on the last event of this blob (of the pull, for `overall`). */
  done: boolean;
}

/** Options of `pullImage`. */
export interface PullOptions extends PlatformChoice, RegistryAccessOptions {
  /** Cancel the pull (`ABORTED`). Blobs already verified stay in the store; no index entry is written. */
  signal?: AbortSignal;
  /**
   * Deadline of the whole pull, in ms (`TIMEOUT` when it passes). At most IMAGE_PULL_TIMEOUT unless
   * `limits.allowAboveDefault`.
   * @default IMAGE_PULL_TIMEOUT (300 000 ms)
   */
  timeoutMs?: number;
  /** Size and count limits (MAX_LAYERS, MAX_LAYER_SIZE, MAX_ROOTFS_SIZE, MAX_MANIFEST_SIZE). */
  limits?: LimitOverrides;
  /** Called as blobs arrive: per blob, and `kind: 'overall'` for the image's total. */
  onProgress?: (progress: PullProgress) => void;
  /**
   * Blobs (config and layers) downloaded at once, 1 to 16.
   * @default 3 (containerd's default of concurrent layer downloads)
   */
  concurrency?: number;
  /** Directory against which a relative `oci:DIR` is resolved. @default process.cwd() */
  cwd?: string;
}

/** An image whose manifest, config and layers are all verified and in the BlobStore. */
export interface PulledImage {
  /** The local image index key: canonical registry reference or `oci:DIR[:TAG]`. */
  reference: string;
  /** Digest of the image manifest (the chosen platform's, when the reference named an index). */
  digest: string;
  /** Media type of the manifest (OCI or Docker schema 2). */
  mediaType: string;
  /** Digest of the index the reference resolved to, if it was an index. */
  indexDigest?: string;
  manifest: ImageManifest;
  config: ImageConfig;
  /** The image's platform, from its config (`wasip1/wasm`, `linux/amd64`…). */
  platform: OciPlatform;
  /** Bytes of manifest + config + layers (compressed, as stored). */
  size: number;
}
