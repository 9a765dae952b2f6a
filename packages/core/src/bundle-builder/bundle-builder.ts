/**
 * `BundleBuilder`: image + store → a runtime bundle under `<root>/bundles/<id>/`.
 *
 * @example
 * const store = await BlobStore.open();
 * const image = await pullImage('127.0.0.1:5000/hello:latest', store);
 * const bundle = await new BundleBuilder().image(image).storage(store).build({ args: ['x', 'y'] });
 *
 * @module bundle-builder/bundle-builder
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Bundle, BundleKind, MicroVmBundle, OciBundle, WasmBundle } from '../runtime/bundle.js';
import { resolveLimits, type LimitOverrides } from '../constants.js';
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import type { PulledImage } from '../image/types.js';
import type { BlobStore } from '../storage/blob-store.js';
import { validateContainerId } from '../runtime/container-id.js';
import { ensureStoreDir, prepareStoreRoot } from '../storage/root.js';
import { claimBundle } from './bundle-claim.js';
import { buildMicroVmBundle, type MicroVmBuildOptions } from './microvm-bundle.js';
import { buildOciBundle, type OciBuildOptions } from './oci-bundle.js';
import { buildSnapshotOciBundle } from './snapshot-oci-bundle.js';
import { buildWasmBundle, type WasmBuildOptions } from './wasm-bundle.js';

/** Options of {@link BundleBuilder}. */
export interface BundleBuilderOptions {
  /** Data root; bundles go to `<root>/bundles/<id>/` (0700). @default the store's root */
  root?: string;
  /** MAX_LAYER_SIZE, MAX_ROOTFS_SIZE, MAX_WASM_MODULE_SIZE overrides. */
  limits?: LimitOverrides;
  /** Receives warnings of OCI and microVM builds (entries not materialised, an unsendable stop signal). */
  onWarning?: (message: string) => void;
}

/** Options of {@link BundleBuilder.build} for a wasm bundle. */
export interface WasmKindOptions extends WasmBuildOptions {
  /** @default 'wasm' */
  kind?: 'wasm';
}
/** Options of {@link BundleBuilder.build} for an OCI bundle (`rootfs/` + `config.json`). */
export interface OciKindOptions extends OciBuildOptions {
  kind: 'oci';
  /**
   * How the root filesystem is made:
   * - `copy`: `rootfs/` is a plain copy of the image's layers; any OCI runtime runs the bundle
   *   (`runc run`), as `magikrun bundle` writes it (see `writeOciBundle`);
   * - `snapshot`: `rootfs/` stays empty and the bundle's `rootfsMounts` assemble it from the container's
   *   writable snapshot `<id>` in `<root>/snapshots/` (layers unpacked once per image and reused), which
   *   a magikrun runtime backend (`YoukiRuntime`) mounts at create and unmounts at delete —
   *   containerd's snapshotter → shim contract (see `buildSnapshotOciBundle`). `removeBundle` removes
   *   the snapshot with the bundle.
   * @default 'copy'
   */
  rootfs?: 'copy' | 'snapshot';
  /** `snapshot` only: aborts waiting for snapshot locks and unpacking between layers (`ABORTED`). */
  signal?: AbortSignal;
}
/** Options of {@link BundleBuilder.build} for a microVM bundle. */
export interface MicroVmKindOptions extends MicroVmBuildOptions {
  kind: 'microvm';
}

/** Options of {@link BundleBuilder.build}: the kind (default `wasm`) and that kind's options. */
export type BuildOptions = WasmKindOptions | OciKindOptions | MicroVmKindOptions | (WasmBuildOptions & OciBuildOptions & MicroVmBuildOptions & { kind?: BundleKind; rootfs?: 'copy' | 'snapshot'; signal?: AbortSignal });

/** Builds bundles; set the image and the store, then call {@link build}. */
export class BundleBuilder {
  #image: PulledImage | undefined;
  #store: BlobStore | undefined;

  /** @throws MagikrunError `INVALID_ARGUMENT` for bad limits. */
  constructor(private readonly options: BundleBuilderOptions = {}) {
    resolveLimits(options.limits);
  }

  /** The image to build from (from `pullImage` or `loadImage`). */
  image(image: PulledImage): this {
    this.#image = image;
    return this;
  }

  /** The store holding the image's blobs. */
  storage(store: BlobStore): this {
    this.#store = store;
    return this;
  }

  /**
   * Build the bundle under `<root>/bundles/<id>/` (0700, written atomically).
   *
   * - `wasm` (the default): `module.wasm` + `wasi.json` (see `buildWasmBundle`);
   * - `oci`: `rootfs/` + `config.json` — with `rootfs: 'copy'` (the default) for any OCI runtime (see
   *   `writeOciBundle`), with `rootfs: 'snapshot'` backed by a snapshot whose mounts are returned as
   *   `OciBundle.rootfsMounts` (see `buildSnapshotOciBundle`);
   * - `microvm`: `rootfs/` + `microvm.json` (see `buildMicroVmBundle`).
   *
   * @throws MagikrunError `INVALID_ARGUMENT` when image or store is missing or the kind or `rootfs` is
   *   unknown, and everything the kind's builder throws.
   */
  build(options?: WasmKindOptions): Promise<WasmBundle>;
  build(options: OciKindOptions): Promise<OciBundle>;
  build(options: MicroVmKindOptions): Promise<MicroVmBundle>;
  build(options?: BuildOptions): Promise<Bundle>;
  async build(options: BuildOptions = {}): Promise<Bundle> {
    const image = this.#image;
    const store = this.#store;
    if (!image || !store) throw err(ErrorCode.InvalidArgument, 'BundleBuilder needs .image(image) and .storage(store) before build()', {});
    const kind = options.kind ?? 'wasm';
    const rootfsMode = (options as { rootfs?: unknown }).rootfs;
    if (kind === 'oci' && rootfsMode !== undefined && rootfsMode !== 'copy' && rootfsMode !== 'snapshot') {
      throw err(ErrorCode.InvalidArgument, `unknown rootfs ${JSON.stringify(rootfsMode)}; use 'copy' or 'snapshot'`, { rootfs: String(rootfsMode) });
    }
    if (kind !== 'wasm' && kind !== 'oci' && kind !== 'microvm') {
      throw err(ErrorCode.InvalidArgument, `unknown bundle kind ${JSON.stringify(kind)}; use wasm, oci or microvm`, { kind });
    }
    const root = this.options.root ? path.resolve(this.options.root) : store.root;
    if (root === store.root) await store.ready();
    else await prepareStoreRoot(root);
    const bundlesDir = path.join(root, 'bundles');
    await ensureStoreDir(bundlesDir);
    const limits = resolveLimits(this.options.limits);
    const { kind: _kind, ...given } = options;
    const id = validateContainerId(given.id ?? randomBytes(8).toString('hex'));
    if (id.startsWith('.')) {
      // `.`-names in <root>/bundles are staging directories and other hidden entries, never bundles.
      throw err(ErrorCode.InvalidArgument, `bundle id ${JSON.stringify(id)} starts with "."; start it with a letter or digit`, { id });
    }
    const rest = { ...given, id };
    // The id's claim (bundle-claim.ts): taken before anything is written, kept for the bundle's life
    // in this process (removeBundle releases it), so that a process that dies mid-build or later
    // leaves leftovers that sweepBundleLeftovers can tell from a live build.
    let claimed;
    try {
      claimed = await claimBundle(root, id);
    } catch (e) {
      if (!isMagikrunError(e, ErrorCode.Locked)) throw e;
      throw err(ErrorCode.AlreadyExists, `bundle id ${JSON.stringify(id)} is in use by another live process (${e.message}); choose another id`, { id, ...(e.details as object) }, e);
    }
    try {
      return await this.#buildKind(kind, rest, { image, store, root, bundlesDir, limits });
    } catch (e) {
      if (claimed.fresh) await claimed.claim.release();
      throw e;
    }
  }

  #buildKind(kind: BundleKind, rest: Omit<BuildOptions, 'kind'> & { id: string }, c: { image: PulledImage; store: BlobStore; root: string; bundlesDir: string; limits: ReturnType<typeof resolveLimits> }): Promise<Bundle> {
    const { image, store, root, bundlesDir, limits } = c;
    switch (kind) {
      case 'oci': {
        const { rootfs: mode = 'copy', signal, ...oci } = rest as Omit<OciKindOptions, 'kind'>;
        if (mode === 'snapshot') {
          return buildSnapshotOciBundle({ image, store, root, limits: this.options.limits, onWarning: this.options.onWarning, signal }, oci);
        }
        return buildOciBundle({ image, store, bundlesDir, limits, onWarning: this.options.onWarning }, oci);
      }
      case 'microvm':
        return buildMicroVmBundle({ image, store, bundlesDir, limits, onWarning: this.options.onWarning }, rest as MicroVmBuildOptions);
      default:
        return buildWasmBundle({ image, store, bundlesDir, limits }, rest as WasmBuildOptions);
    }
  }
}
