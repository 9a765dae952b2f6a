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
import path from 'node:path';
import type { BundleKind, WasmBundle } from '../bundle/types.js';
import { resolveLimits, type LimitOverrides } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import type { PulledImage } from '../image/types.js';
import type { BlobStore } from '../storage/blob-store.js';
import { ensureStoreDir, prepareStoreRoot } from '../storage/root.js';
import { buildWasmBundle, type WasmBuildOptions } from './wasm-bundle.js';

/** Options of {@link BundleBuilder}. */
export interface BundleBuilderOptions {
  /** Data root; bundles go to `<root>/bundles/<id>/` (0700). @default the store's root */
  root?: string;
  /** MAX_LAYER_SIZE, MAX_ROOTFS_SIZE, MAX_WASM_MODULE_SIZE overrides. */
  limits?: LimitOverrides;
}

/** Options of {@link BundleBuilder.build}. */
export interface BuildOptions extends WasmBuildOptions {
  /** The bundle kind to build. Only `wasm` exists so far; `oci` and `microvm` come with their backends. @default 'wasm' */
  kind?: BundleKind;
}

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
   * Build the bundle.
   *
   * @returns the bundle, also written to `<bundle>/wasi.json`.
   * @throws MagikrunError `INVALID_ARGUMENT` when image or store is missing, `UNSUPPORTED` for a kind
   *   other than `wasm`, and everything `buildWasmBundle` throws.
   */
  async build(options: BuildOptions = {}): Promise<WasmBundle> {
    const image = this.#image;
    const store = this.#store;
    if (!image || !store) throw err(ErrorCode.InvalidArgument, 'BundleBuilder needs .image(image) and .storage(store) before build()', {});
    const kind = options.kind ?? 'wasm';
    if (kind !== 'wasm') {
      throw err(ErrorCode.Unsupported, `building ${kind} bundles is not supported yet; only wasm bundles are`, { kind });
    }
    const root = this.options.root ? path.resolve(this.options.root) : store.root;
    if (root === store.root) await store.ready();
    else await prepareStoreRoot(root);
    const bundlesDir = path.join(root, 'bundles');
    await ensureStoreDir(bundlesDir);
    const { kind: _kind, ...wasmOptions } = options;
    return buildWasmBundle({ image, store, bundlesDir, limits: resolveLimits(this.options.limits) }, wasmOptions);
  }
}
