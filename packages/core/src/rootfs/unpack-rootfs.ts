/**
 * An image's layers → a new rootfs directory, atomically: built in a private 0700 directory beside the
 * destination (so no other user can reach a half-built tree with its setuid files), renamed into place
 * on success, removed entirely on any failure.
 *
 * @module rootfs/unpack-rootfs
 */
import { chmod, lstat, mkdir, mkdtemp, rename, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode } from '../errors.js';
import type { Descriptor } from '../image/manifest.js';
import type { BlobStore } from '../storage/blob-store.js';
import { applyLayer, type LayerStats, type RootfsBudget } from './apply-layer.js';
import { resolveLayerLimits, type LayerLimitOverrides } from './limits.js';
import { removeTree } from './remove-tree.js';
import type { UnpackWarning, WarningSink } from './warnings.js';

/** Options of {@link unpackRootfs}. */
export interface UnpackRootfsOptions {
  /** Where the layer blobs are stored. */
  store: BlobStore;
  /** The manifest's layers, base first. */
  layers: readonly Descriptor[];
  /** The config's `rootfs.diff_ids`, one per layer, in order. */
  diffIds: readonly string[];
  /** The rootfs directory to create (absolute; must not exist; its parent is created 0700 when missing). */
  dest: string;
  /** Limits; unset ones take their defaults (constants.ts). */
  limits?: LayerLimitOverrides;
  /** Create device nodes and apply ownership. @default process.geteuid() === 0 */
  privileged?: boolean;
  /** Called for each warning (also returned in the stats). */
  onWarning?: WarningSink;
  /** Abort between entries (`ABORTED`); the partial tree is removed. */
  signal?: AbortSignal;
}

/** What an unpack did. */
export interface RootfsStats {
  /** Per layer, base first. */
  layers: LayerStats[];
  entries: number;
  fileBytes: number;
  whiteouts: number;
  /** Bytes of all tar streams. */
  uncompressedBytes: number;
  skipped: string[];
  warnings: UnpackWarning[];
}

/**
 * Unpack `layers` into the new directory `dest` (mode 0755, like the root of an image).
 *
 * @throws MagikrunError `ALREADY_EXISTS` (`dest` exists), `INVALID_ARGUMENT` (diff_ids do not match the
 *   layer count, bad limits), `LIMIT_EXCEEDED` (more than `maxLayers`), and what {@link applyLayer}
 *   throws. Nothing is left behind on failure.
 */
export async function unpackRootfs(options: UnpackRootfsOptions): Promise<RootfsStats> {
  const { layers, diffIds, dest } = options;
  const limits = resolveLayerLimits(options.limits);
  if (!path.isAbsolute(dest)) throw err(ErrorCode.InvalidArgument, `rootfs destination ${JSON.stringify(dest)} must be an absolute path`, { dest });
  if (diffIds.length !== layers.length) {
    // image-spec config.md: rootfs.diff_ids is REQUIRED, one per layer, in order. Fail closed.
    throw err(ErrorCode.InvalidArgument, `the image config lists ${diffIds.length} diff_ids for ${layers.length} layers; the image is malformed`, {
      diffIds: diffIds.length,
      layers: layers.length,
    });
  }
  if (layers.length > limits.maxLayers) {
    throw err(ErrorCode.LimitExceeded, `the image has ${layers.length} layers, more than the limit of ${limits.maxLayers}`, { limit: 'maxLayers', max: limits.maxLayers, value: layers.length });
  }
  const exists = await lstat(dest).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw err(ErrorCode.InvalidArgument, `cannot use ${dest} as a rootfs destination: ${e.code}`, { dest }, e);
    },
  );
  if (exists) throw err(ErrorCode.AlreadyExists, `rootfs destination ${dest} exists already; remove it or choose another`, { dest });
  const parent = path.dirname(dest);
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const work = await mkdtemp(path.join(parent, `.${path.basename(dest)}.unpack-`)); // 0700
  const rootfs = path.join(work, 'rootfs');
  const stats: RootfsStats = { layers: [], entries: 0, fileBytes: 0, whiteouts: 0, uncompressedBytes: 0, skipped: [], warnings: [] };
  try {
    await mkdir(rootfs);
    await chmod(rootfs, 0o755);
    const budget: RootfsBudget = { remaining: limits.maxRootfsSize, total: limits.maxRootfsSize };
    for (const [i, layer] of layers.entries()) {
      const s = await applyLayer({
        store: options.store,
        layer,
        diffId: diffIds[i]!,
        root: rootfs,
        limits: { ...options.limits, ...limits, allowAboveDefault: true },
        budget,
        ...(options.privileged !== undefined ? { privileged: options.privileged } : {}),
        ...(options.onWarning ? { onWarning: options.onWarning } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      stats.layers.push(s);
      stats.entries += s.entries;
      stats.fileBytes += s.fileBytes;
      stats.whiteouts += s.whiteouts;
      stats.uncompressedBytes += s.uncompressedBytes;
      stats.skipped.push(...s.skipped);
      stats.warnings.push(...s.warnings);
    }
    try {
      await rename(rootfs, dest);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'ENOTDIR') {
        throw err(ErrorCode.AlreadyExists, `rootfs destination ${dest} appeared while the image was unpacked; remove it or choose another`, { dest }, e);
      }
      throw e;
    }
    await rmdir(work);
    return stats;
  } catch (e) {
    await removeTree(work).catch(() => undefined);
    throw e;
  }
}
