/**
 * One layer onto one directory: blob → decompression → size limits and diff_id hash → tar entries →
 * {@link applyEntries}. The snapshotter calls {@link applyLayer} on a directory it manages (a mounted
 * overlay, so that removals become overlay whiteouts); {@link unpackRootfs} calls it for each layer.
 *
 * Limits, all on uncompressed bytes as they stream: the layer (`maxLayerSize`), the rootfs budget shared
 * by a rootfs's layers (`maxRootfsSize`), and a compression-ratio guard for compressed layers: a layer
 * may reach `max(compressionRatioFloor, maxCompressionRatio × compressed size)` bytes (by default
 * max(64 MiB, 100×)). containerd and umoci have no ratio guard; 100× is ten times what real layers reach
 * (2–10×), while a gzip bomb reaches ~1000× and a zstd one far more, and the 64 MiB floor keeps small
 * layers of zero-filled files working.
 *
 * The diff_id (sha256 of the uncompressed stream, image-spec config.md `rootfs.diff_ids`) is checked
 * once the whole stream has been read; a mismatch is `DIGEST_MISMATCH` and, as with every error, the
 * directory holds a partial layer: the caller discards it ({@link unpackRootfs} does).
 *
 * @module rootfs/apply-layer
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import type { Descriptor } from '../image/manifest.js';
import type { BlobStore } from '../storage/blob-store.js';
import { applyEntries, type ApplyStats } from './apply-entries.js';
import { compressionOf, decompress, type Compression } from './decompress.js';
import { resolveLayerLimits, type LayerLimitOverrides, type LayerLimits } from './limits.js';
import { TarReader } from './tar-reader.js';
import type { WarningSink } from './warnings.js';

/** Running uncompressed-byte budget shared by the layers of one rootfs. */
export interface RootfsBudget {
  /** Bytes still allowed. */
  remaining: number;
  /** The whole budget (MAX_ROOTFS_SIZE or the caller's), for messages. */
  readonly total: number;
}

/** What applying one layer did. */
export interface LayerStats extends ApplyStats {
  /** The layer (blob) digest. */
  layer: string;
  /** The verified diff_id. */
  diffId: string;
  compression: Compression;
  /** Bytes of the blob. */
  compressedBytes: number;
  /** Bytes of the tar stream. */
  uncompressedBytes: number;
}

/** Options shared by {@link applyLayer} and {@link applyLayerStream}. */
export interface ApplyLayerCommon {
  /** Expected sha256 of the uncompressed tar (`sha256:<hex>`, the config's `rootfs.diff_ids[i]`). Required: fail closed. */
  diffId: string;
  /** The directory the layer is applied to (it must exist). */
  root: string;
  /** Limits; unset ones take their defaults. */
  limits?: LayerLimitOverrides;
  /** A budget shared with other layers of the same rootfs (decreased by this layer's bytes). @default a fresh budget of `maxRootfsSize` */
  budget?: RootfsBudget;
  /** Create device nodes and apply ownership. @default process.geteuid() === 0 */
  privileged?: boolean;
  /** Called for each warning (also returned in the stats). */
  onWarning?: WarningSink;
  /** Abort between entries (`ABORTED`). */
  signal?: AbortSignal;
}

/** Options of {@link applyLayerStream}. */
export interface ApplyLayerStreamOptions extends ApplyLayerCommon {
  /** The blob's bytes (compressed as `mediaType` says). */
  source: Readable | AsyncIterable<Buffer>;
  /** The layer's media type (OCI or Docker tar, gzip or zstd). */
  mediaType: string;
  /** The blob's size in bytes (for the compression-ratio guard). */
  compressedSize: number;
  /** Name of the layer in messages, e.g. its digest. */
  layer: string;
}

const DIFF_ID = /^sha256:[0-9a-f]{64}$/;

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}

/**
 * Apply one layer read from `source` to `root`.
 *
 * @throws MagikrunError `DIGEST_MISMATCH` (diff_id), `LIMIT_EXCEEDED` (`maxLayerSize`, `maxRootfsSize`,
 *   `maxCompressionRatio`, `zstdWindowLogMax`, entry caps), `INVALID_ARGUMENT` (media type, corrupt or
 *   truncated compression or tar, malformed entries), `UNSUPPORTED`, `PATH_ESCAPE`, `ABORTED`, and what
 *   {@link applyEntries} throws.
 */
export async function applyLayerStream(options: ApplyLayerStreamOptions): Promise<LayerStats> {
  const limits: LayerLimits = resolveLayerLimits(options.limits);
  const { layer, diffId } = options;
  if (!DIFF_ID.test(diffId)) {
    throw err(ErrorCode.InvalidArgument, `layer ${layer}: diff_id ${JSON.stringify(diffId)} is not a sha256 digest; the image config is malformed`, { layer, diffId });
  }
  const budget = options.budget ?? { remaining: limits.maxRootfsSize, total: limits.maxRootfsSize };
  const it = (options.source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const destroy = () => (options.source as Readable).destroy?.();
  let reader: TarReader | undefined;
  try {
    const first = await it.next();
    const head: Buffer = first.done ? Buffer.alloc(0) : first.value;
    const compression = compressionOf(options.mediaType, head, layer);
    const raw = first.done ? (async function* () {})() : prepend(head, it);
    const ratioCap = compression === 'none' ? Infinity : Math.max(limits.compressionRatioFloor, limits.maxCompressionRatio * options.compressedSize);
    const hash = createHash('sha256');
    let count = 0;
    const counted = async function* (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of src) {
        count += chunk.length;
        if (count > limits.maxLayerSize) {
          throw err(ErrorCode.LimitExceeded, `layer ${layer} unpacks to more than ${limits.maxLayerSize} bytes (the layer limit)`, { layer, limit: 'maxLayerSize', max: limits.maxLayerSize });
        }
        if (count > budget.remaining) {
          throw err(ErrorCode.LimitExceeded, `the image unpacks to more than ${budget.total} bytes (the rootfs limit)`, { layer, limit: 'maxRootfsSize', max: budget.total });
        }
        if (count > ratioCap) {
          throw err(
            ErrorCode.LimitExceeded,
            `layer ${layer} unpacks to more than ${limits.maxCompressionRatio}× its ${options.compressedSize} compressed bytes (the compression-ratio guard against decompression bombs); raise maxCompressionRatio if the image is trusted`,
            { layer, limit: 'maxCompressionRatio', max: limits.maxCompressionRatio },
          );
        }
        hash.update(chunk);
        yield chunk;
      }
    };
    reader = new TarReader(counted(decompress(raw, compression, layer, limits.zstdWindowLogMax)), layer, {
      maxEntries: limits.maxLayerEntries,
      maxPaxHeaderSize: limits.maxPaxHeaderSize,
      maxPathLength: limits.maxPathLength,
    });
    const stats = await applyEntries(options.root, reader, {
      layer,
      limits,
      ...(options.privileged !== undefined ? { privileged: options.privileged } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== diffId) {
      throw err(ErrorCode.DigestMismatch, `layer ${layer} unpacks to content with digest ${actual}, but the image config's diff_id says ${diffId}`, {
        layer,
        expected: diffId,
        actual,
      });
    }
    budget.remaining -= count;
    return { ...stats, layer, diffId, compression, compressedBytes: options.compressedSize, uncompressedBytes: count };
  } catch (e) {
    await reader?.close().catch(() => undefined);
    destroy();
    if (isMagikrunError(e)) throw e;
    throw err(ErrorCode.Internal, `unpacking layer ${layer} failed: ${(e as Error)?.message ?? String(e)}`, { layer }, e);
  }
}

/** Options of {@link applyLayer}. */
export interface ApplyLayerOptions extends ApplyLayerCommon {
  /** Where the blob is stored. */
  store: BlobStore;
  /** The layer's descriptor from the manifest. */
  layer: Descriptor;
}

/**
 * Apply the stored layer `options.layer` to `options.root` (its blob digest is verified as it is read).
 *
 * @throws MagikrunError as {@link applyLayerStream}; `NOT_FOUND` (blob missing); `DIGEST_MISMATCH` when the
 *   stored blob is corrupt (reported as such even when the corruption first breaks decompression).
 */
export async function applyLayer(options: ApplyLayerOptions): Promise<LayerStats> {
  const { store, layer: d } = options;
  const info = await store.stat(d.digest);
  const source = await store.createReadStream(d.digest);
  try {
    return await applyLayerStream({ ...options, source, mediaType: d.mediaType, compressedSize: info.size, layer: d.digest });
  } catch (e) {
    if (isMagikrunError(e) && e.code !== ErrorCode.DigestMismatch && e.code !== ErrorCode.Aborted && (await store.verify(d.digest).catch(() => 'ok')) === 'corrupt') {
      throw err(ErrorCode.DigestMismatch, `stored layer ${d.digest} is corrupt; pull the image again (it replaces corrupt blobs)`, { digest: d.digest }, e);
    }
    throw e;
  }
}
