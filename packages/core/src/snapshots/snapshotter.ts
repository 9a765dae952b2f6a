/**
 * The snapshotter: unpacked layer chains kept under `<root>/snapshots/` (0700) and reused, and one
 * writable snapshot per container, returned as mount specifications the runtime backend mounts at
 * create time — containerd's snapshotter model (`Prepare` → `[]mount.Mount`, `Remove`, GC).
 *
 * Modes:
 * - `overlay` (root, and a probe mount of overlayfs in the snapshot directory succeeded): one committed
 *   snapshot per layer chain, keyed by its chain id; a container gets an overlay mount — lowerdir = the
 *   image's layer snapshots topmost first, upperdir/workdir in its own active snapshot. A second
 *   container of the same image unpacks nothing and copies nothing.
 * - `copy` (otherwise): one committed full rootfs per chain top; a container gets a bind mount of its own
 *   copy (`cp -a`).
 *
 * Safe across processes: metadata changes happen under one lock file; one process builds a chain while
 * others wait and reuse it; a snapshot becomes visible only by an atomic rename once complete.
 *
 * @example
 * const snapshots = await Snapshotter.open({ store });
 * const mounts = await snapshots.prepare('web-1', { layers: image.manifest.layers, diffIds: image.config.diffIds });
 * // … the runtime mounts `mounts` at the bundle's rootfs, runs, unmounts …
 * await snapshots.remove('web-1');
 *
 * @module snapshots/snapshotter
 */
import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { RootfsMount } from '../runtime/bundle.js';
import { resolveLayerLimits, type LayerLimitOverrides, type LayerLimits } from '../rootfs/limits.js';
import type { WarningSink } from '../rootfs/warnings.js';
import { resolveLimits } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import type { Descriptor } from '../image/manifest.js';
import { TAR_LAYER_MEDIA_TYPES } from '../image/media-types.js';
import { validateContainerId } from '../runtime/container-id.js';
import type { BlobStore } from '../storage/blob-store.js';
import { currentHolder, isHolderAlive } from '../storage/process-lock.js';
import { ensureStoreDir, prepareStoreRoot } from '../storage/root.js';
import { ensureFullSnapshot, ensureLayerSnapshots, type BuildContext, type ChainInput } from './build-snapshots.js';
import { chainIds } from './chain-id.js';
import { copyTree } from './copy-tree.js';
import { collectSnapshots, type SnapshotGcOptions, type SnapshotGcReport } from './collect.js';
import { committedKey, readMetadata, withMetadataLock, type ActiveSnapshot, type CommittedSnapshot, type SnapshotMetadata } from './metadata.js';
import { copyMountSpec, overlayMountSpec, precheckOverlayLength } from './mount-spec.js';
import { detectOverlay, type OverlaySupport } from './overlay-support.js';
import { mountsUsing } from './mountinfo.js';
import { checkAborted } from './abort.js';
import { removeTree } from './remove-tree.js';
import { allocateId, fsDir, workDir } from './snapshot-dirs.js';

/** How containers get their rootfs. */
export type SnapshotMode = 'overlay' | 'copy';

/** Options of {@link Snapshotter.open}. */
export interface SnapshotterOptions {
  /** The store holding the layer blobs. */
  store: BlobStore;
  /** Data root; snapshots live in `<root>/snapshots/`. @default the store's root */
  root?: string;
  /**
   * `auto`: overlay where the probe mount works, else copy. `overlay`: fail with `UNAVAILABLE` where it
   * does not. `copy`: always copy.
   * @default 'auto'
   */
  mode?: SnapshotMode | 'auto';
  /**
   * Limit overrides: MAX_LAYERS, MAX_LAYER_SIZE and MAX_ROOTFS_SIZE (uncompressed bytes; the rootfs
   * budget counts every layer of the chain, reused ones included), and the layer applier's caps.
   */
  limits?: LayerLimitOverrides;
}

/** The layers of an image, as `PulledImage` has them: `manifest.layers` and `config.diffIds`. */
export interface SnapshotImage {
  layers: readonly Descriptor[];
  diffIds: readonly string[];
}

/** Options of {@link Snapshotter.prepare}. */
export interface PrepareOptions {
  /** Abort waiting for locks and unpacking between layers (`ABORTED`; nothing partial stays). */
  signal?: AbortSignal;
  /** Called for each layer that is really unpacked (not reused from a snapshot). */
  onUnpack?: (info: { index: number; layer: string; chainId: string }) => void;
  /** The layer applier's warnings (a device node, FIFO or xattr that could not be created). */
  onWarning?: WarningSink;
}

/** What {@link Snapshotter.list} reports. */
export interface SnapshotList {
  mode: SnapshotMode;
  committed: CommittedSnapshot[];
  active: ActiveSnapshot[];
}

/** Unpacked layer chains and per-container writable snapshots under `<root>/snapshots/`. */
export class Snapshotter {
  /** `<root>/snapshots` */
  readonly dir: string;
  readonly store: BlobStore;
  readonly mode: SnapshotMode;
  /** Why this mode (the overlay probe's answer). */
  readonly modeReason: string;
  readonly #limits: LayerLimits;
  readonly #limitOverrides: LayerLimitOverrides;
  readonly #overlay: OverlaySupport;

  private constructor(dir: string, store: BlobStore, mode: SnapshotMode, overlay: OverlaySupport, limitOverrides: LayerLimitOverrides) {
    this.dir = dir;
    this.store = store;
    this.mode = mode;
    this.modeReason = overlay.reason;
    this.#overlay = overlay;
    this.#limitOverrides = { ...limitOverrides };
    this.#limits = resolveLayerLimits(limitOverrides);
  }

  /**
   * Open (creating) `<root>/snapshots/` and pick the mode (overlay probe, cached per directory and process).
   *
   * @throws MagikrunError `INVALID_ARGUMENT` (bad limits, a root that is not private), `UNAVAILABLE`
   *   (`mode: 'overlay'` where overlayfs cannot be mounted; the message says why).
   */
  static async open(options: SnapshotterOptions): Promise<Snapshotter> {
    // Bad limits fail before anything is created; the image-level ones need the opt-in to go above default.
    const { maxLayerSize, maxRootfsSize, maxLayers, allowAboveDefault } = options.limits ?? {};
    resolveLimits({ maxLayerSize, maxRootfsSize, maxLayers, allowAboveDefault });
    resolveLayerLimits(options.limits);
    const root = options.root !== undefined ? path.resolve(options.root) : options.store.root;
    if (root === options.store.root) await options.store.ready();
    else await prepareStoreRoot(root);
    const dir = path.join(root, 'snapshots');
    await ensureStoreDir(dir);
    await ensureStoreDir(path.join(dir, 'locks'));
    const wanted = options.mode ?? 'auto';
    if (wanted !== 'auto' && wanted !== 'overlay' && wanted !== 'copy') {
      throw err(ErrorCode.InvalidArgument, `unknown snapshot mode ${JSON.stringify(wanted)}; use 'auto', 'overlay' or 'copy'`, { mode: wanted });
    }
    const overlay: OverlaySupport = wanted === 'copy' ? { available: false, reason: 'the copy mode was asked for', baseOptions: [] } : await detectOverlay(dir);
    if (wanted === 'overlay' && !overlay.available) throw err(ErrorCode.Unavailable, `overlay snapshots are not available: ${overlay.reason}`, { reason: overlay.reason });
    return new Snapshotter(dir, options.store, overlay.available ? 'overlay' : 'copy', overlay, options.limits ?? {});
  }

  /**
   * Create the writable snapshot `key` on top of `image`'s layers, unpacking the layer chains that have
   * no snapshot yet (and, in copy mode, copying the rootfs), and return the mounts that assemble it.
   *
   * @param key the container's snapshot key (a container id: letters, digits, `_ + - .`).
   * @returns overlay mode: `[{ type: 'overlay', source: 'overlay', options: ['index=off'?, 'lowerdir=…',
   *   'upperdir=…', 'workdir=…'] }]` (a bind of an empty directory for an image without layers);
   *   copy mode: `[{ type: 'bind', source: <private copy>, options: ['rbind', 'rw'] }]`.
   * @throws MagikrunError `ALREADY_EXISTS` (key in use), `INVALID_ARGUMENT` (key, diff_ids count or
   *   form, a layer that is not a tar media type), `LIMIT_EXCEEDED` (MAX_LAYERS, sizes, overlay option
   *   length), `ABORTED`, and what unpacking throws (`DIGEST_MISMATCH`, `PATH_ESCAPE`, `NOT_FOUND` for
   *   a layer missing from the store…). On failure nothing of `key` is left.
   */
  async prepare(key: string, image: SnapshotImage, options: PrepareOptions = {}): Promise<RootfsMount[]> {
    validateContainerId(key);
    const input = this.#checkImage(image);
    const ctx: BuildContext = {
      dir: this.dir,
      store: this.store,
      limits: this.#limits,
      limitOverrides: this.#limitOverrides,
      overlayOptions: this.#overlay.baseOptions,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onUnpack ? { onUnpack: options.onUnpack } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    };
    const need = this.mode === 'overlay' ? input.chain.map((c) => committedKey('layer', c)) : input.chain.length > 0 ? [committedKey('full', input.chain[input.chain.length - 1]!)] : [];

    // 1. Reserve the key (and its id); when every snapshot it needs exists, finish right here.
    const first = await withMetadataLock(this.dir, async (md) => {
      if (md.active[key]) {
        throw err(ErrorCode.AlreadyExists, `a snapshot with key ${JSON.stringify(key)} already exists; remove it first (or use another key)`, { key });
      }
      const id = await allocateId(this.dir, md);
      if (this.mode === 'overlay') precheckOverlayLength(this.dir, input.chain.length, String(id + input.chain.length).length, this.#overlay.baseOptions);
      await mkdir(path.join(this.dir, String(id)), { mode: 0o700 });
      const ready = this.mode === 'overlay' && need.every((k) => md.committed[k]);
      const a: ActiveSnapshot = {
        id,
        key,
        mode: this.mode,
        chain: this.mode === 'overlay' ? [...input.chain] : input.chain.slice(-1),
        state: ready ? 'ready' : 'preparing',
        ...(ready ? {} : { holder: currentHolder() }),
        createdAt: new Date().toISOString(),
      };
      if (ready) await this.#makeActiveDirs(a, md);
      md.active[key] = a;
      return { write: true, value: a };
    }, options.signal);
    if (first.state === 'ready') return this.#mountsOf(first, await readMetadata(this.dir));

    // 2. Build what is missing, outside the metadata lock (the active entry keeps gc off these chains).
    try {
      if (this.mode === 'overlay') {
        await ensureLayerSnapshots(ctx, input);
      } else if (input.chain.length > 0) {
        const full = await ensureFullSnapshot(ctx, input);
        checkAborted(options.signal);
        await copyTree(fsDir(this.dir, full.id), fsDir(this.dir, first.id), options.signal);
      } else {
        await mkdir(fsDir(this.dir, first.id), { mode: 0o755 });
        await chmod(fsDir(this.dir, first.id), 0o755);
      }
      // 3. Ready.
      return await withMetadataLock(this.dir, async (md) => {
        const a = md.active[key];
        if (!a || a.id !== first.id) throw err(ErrorCode.NotFound, `the snapshot ${JSON.stringify(key)} was removed while it was being prepared`, { key });
        for (const k of need) if (!md.committed[k]) throw err(ErrorCode.NotFound, `snapshot ${k} was removed while ${JSON.stringify(key)} was being prepared; prepare again`, { key });
        if (this.mode === 'overlay') await this.#makeActiveDirs(a, md);
        a.state = 'ready';
        delete a.holder;
        return { write: true, value: this.#mountsOf(a, md) };
      }, options.signal);
    } catch (e) {
      await this.#dropActive(key, first.id).catch(() => undefined);
      throw e;
    }
  }

  /**
   * The mounts of the ready snapshot `key` (as {@link prepare} returned them).
   *
   * @throws MagikrunError `NOT_FOUND` (no such key), `INVALID_STATE` (still being prepared).
   */
  async mounts(key: string): Promise<RootfsMount[]> {
    validateContainerId(key);
    const md = await readMetadata(this.dir);
    const a = md.active[key];
    if (!a) throw err(ErrorCode.NotFound, `no snapshot with key ${JSON.stringify(key)}`, { key });
    if (a.state !== 'ready') throw err(ErrorCode.InvalidState, `the snapshot ${JSON.stringify(key)} is still being prepared`, { key, state: a.state });
    return this.#mountsOf(a, md);
  }

  /**
   * Remove the writable snapshot `key` (the container's changes). Committed layer snapshots stay for
   * reuse until {@link gc}.
   *
   * @returns false when there was no such snapshot (removal is idempotent).
   * @throws MagikrunError `INVALID_STATE` when it is still mounted (unmount it — delete the container —
   *   first) or another live process is preparing it; `INVALID_ARGUMENT` (key).
   */
  async remove(key: string): Promise<boolean> {
    validateContainerId(key);
    const removed = await withMetadataLock(this.dir, async (md) => {
      const a = md.active[key];
      if (!a) return { write: false, value: undefined };
      if (a.state === 'preparing' && a.holder && isHolderAlive(a.holder) && a.holder.pid !== process.pid) {
        throw err(ErrorCode.InvalidState, `the snapshot ${JSON.stringify(key)} is being prepared by process ${a.holder.pid}; wait for it to finish`, { key, pid: a.holder.pid });
      }
      const dir = path.join(this.dir, String(a.id));
      await this.#assertUnused(dir, key);
      delete md.active[key];
      return { write: true, value: dir };
    });
    if (removed === undefined) return false;
    await removeTree(removed);
    return true;
  }

  /** Every committed and active snapshot. @throws MagikrunError `INVALID_ARGUMENT` (damaged metadata). */
  async list(): Promise<SnapshotList> {
    const md = await readMetadata(this.dir);
    return { mode: this.mode, committed: Object.values(md.committed).sort((a, b) => a.id - b.id), active: Object.values(md.active).sort((a, b) => a.id - b.id) };
  }

  /**
   * Garbage-collect: committed snapshots that no active snapshot and no chain in `keep` uses, active
   * snapshots whose preparing process died, and directories left by crashes. Snapshots still mounted are
   * kept and reported as busy.
   *
   * @see collectSnapshots (used by the image `gc`, which keeps the chains of every local image)
   */
  gc(options: SnapshotGcOptions = {}): Promise<SnapshotGcReport> {
    return collectSnapshots(this.dir, options);
  }

  #checkImage(image: SnapshotImage): ChainInput {
    const { layers, diffIds } = image;
    if (!Array.isArray(layers) || !Array.isArray(diffIds)) throw err(ErrorCode.InvalidArgument, 'prepare needs the image layers (manifest.layers) and diff_ids (config.diffIds) as arrays', {});
    if (layers.length > this.#limits.maxLayers) {
      throw err(ErrorCode.LimitExceeded, `the image has ${layers.length} layers, more than the limit of ${this.#limits.maxLayers}`, { limit: 'maxLayers', max: this.#limits.maxLayers, value: layers.length });
    }
    if (diffIds.length !== layers.length) {
      throw err(ErrorCode.InvalidArgument, `the image config lists ${diffIds.length} diff_ids for ${layers.length} layers; the image is malformed`, { diffIds: diffIds.length, layers: layers.length });
    }
    for (const l of layers) {
      if (!TAR_LAYER_MEDIA_TYPES.has(l.mediaType)) {
        throw err(ErrorCode.InvalidArgument, `layer ${l.digest} has media type ${l.mediaType}, which is not a tar layer`, { layer: l.digest, mediaType: l.mediaType });
      }
    }
    return { layers, diffIds, chain: chainIds(diffIds) };
  }

  /** Overlay mode: the active snapshot's empty upper (with the root attributes of the layer below) and workdir. */
  async #makeActiveDirs(a: ActiveSnapshot, md: SnapshotMetadata): Promise<void> {
    const fs = fsDir(this.dir, a.id);
    await mkdir(fs, { mode: 0o755 });
    await chmod(fs, 0o755);
    await mkdir(workDir(this.dir, a.id), { mode: 0o700 });
    const top = a.chain.length > 0 ? md.committed[committedKey('layer', a.chain[a.chain.length - 1]!)] : undefined;
    if (top) {
      const st = await lstat(fsDir(this.dir, top.id));
      await chown(fs, st.uid, st.gid);
      await chmod(fs, st.mode & 0o7777);
    }
  }

  #mountsOf(a: ActiveSnapshot, md: SnapshotMetadata): RootfsMount[] {
    if (a.mode === 'copy') return copyMountSpec(this.dir, a.id);
    const ids = a.chain.map((c) => {
      const s = md.committed[committedKey('layer', c)];
      if (!s) throw err(ErrorCode.NotFound, `the layer snapshot ${c} under ${JSON.stringify(a.key)} is gone; remove the snapshot and prepare again`, { key: a.key, chainId: c });
      return s.id;
    });
    return overlayMountSpec(this.dir, a.id, ids, this.#overlay.baseOptions);
  }

  async #assertUnused(dir: string, key: string): Promise<void> {
    const busy = await mountsUsing(dir);
    if (busy.length > 0) {
      throw err(ErrorCode.InvalidState, `the snapshot ${JSON.stringify(key)} is still mounted at ${busy[0]!.mountPoint}; unmount it (delete the container) before removing its snapshot`, {
        key,
        mountPoints: busy.map((m) => m.mountPoint),
      });
    }
  }

  /** Undo a failed prepare: drop the entry if it is still ours, then its directory. */
  async #dropActive(key: string, id: number): Promise<void> {
    await withMetadataLock(this.dir, async (md) => {
      if (md.active[key]?.id !== id) return { write: false, value: undefined };
      delete md.active[key];
      return { write: true, value: undefined };
    });
    await removeTree(path.join(this.dir, String(id)));
  }
}
