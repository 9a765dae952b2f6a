/**
 * Building a wasm bundle (`<root>/bundles/<id>/`: `module.wasm`, `wasi.json`, and for tar images the
 * unpacked `rootfs/`) from a pulled image.
 *
 * Where the module comes from, as runwasi finds it:
 * (a) a layer of media type `application/wasm` or `application/vnd.wasm.content.layer.v1+wasm` is the
 *     module itself (other layers are ignored; no image root is mapped);
 * (b) otherwise the tar layers are unpacked into a private rootfs and argv[0] (Entrypoint, else Cmd)
 *     must name a file there that starts with `\0asm`; the rootfs is preopened read-only at `/` so
 *     the module can read its own files.
 *
 * Built in a temporary directory beside the destination and renamed into place, so a failure leaves
 * nothing behind.
 *
 * @module bundle-builder/wasm-bundle
 */
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Limits } from '../constants.js';
import type { Preopen, WasmBundle } from '../runtime/bundle.js';
import { writeNewJson } from '../storage/durable-file.js';
import { stageDirectory } from './stage-dir.js';
import { resourcesField, type ResourceLimits } from '../runtime/limits.js';
import { err, ErrorCode } from '../errors.js';
import { TAR_LAYER_MEDIA_TYPES, WASM_LAYER_MEDIA_TYPES } from '../image/media-types.js';
import type { PulledImage } from '../image/types.js';
import { validateContainerId } from '../runtime/container-id.js';
import { parseSignal } from '../runtime/signal.js';
import type { BlobStore } from '../storage/blob-store.js';
import { locateEntrypoint } from './locate-entrypoint.js';
import { copyModule, readHead } from './module-file.js';
import { unpackImage } from '../rootfs/unpack-image.js';
import { resolveArgv, resolveEnv, resolveVolumes, resolveWorkdir, type RunOptions } from './run-config.js';
import { requireWasmModule } from './wasm-header.js';
import { createReadStream } from 'node:fs';

/** The bundle description file in a wasm bundle directory. */
export const WASI_CONFIG_FILE = 'wasi.json';
/** The module file in a wasm bundle directory. */
export const MODULE_FILE = 'module.wasm';
/** argv[0] used for a wasm-layer image with neither Entrypoint nor Cmd. */
export const DEFAULT_ARGV0 = 'module.wasm';

/** Options of a wasm bundle build. */
export interface WasmBuildOptions extends RunOptions {
  /** Bundle (and usually container) id: letters, digits, `_ + - .`. @default 16 random hex digits */
  id?: string;
  /** The module's limits (memory, fuel, wall clock), kept in the bundle and `wasi.json` for the runtime to enforce. */
  resources?: ResourceLimits;
  /** Annotations added to (and overriding) the image's. */
  annotations?: Readonly<Record<string, string>>;
}

/** What the build needs besides the options. */
export interface WasmBuildContext {
  image: PulledImage;
  store: BlobStore;
  /** `<root>/bundles`, existing, 0700. */
  bundlesDir: string;
  limits: Limits;
}

/**
 * Build the bundle.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` ("image has no WebAssembly module: …" with `details.wasmModule` `'absent'`, bad options or
 *   volumes, malformed layers), `NOT_FOUND` (the entrypoint is not in the image), `UNSUPPORTED`
 *   (WASI preview 2 component, several wasm layers, zstd layers), `LIMIT_EXCEEDED`
 *   (MAX_WASM_MODULE_SIZE, MAX_LAYER_SIZE, MAX_ROOTFS_SIZE), `PATH_ESCAPE` (hostile tar entries),
 *   `DIGEST_MISMATCH` (a stored blob altered), `ALREADY_EXISTS` (the id is taken).
 */
export async function buildWasmBundle(ctx: WasmBuildContext, options: WasmBuildOptions = {}): Promise<WasmBundle> {
  const { image, store, bundlesDir, limits } = ctx;
  const id = validateContainerId(options.id ?? randomBytes(8).toString('hex'));
  resourcesField(options.resources); // refused before anything is written
  const final = path.join(bundlesDir, id);

  if (options.workdir !== undefined && path.posix.normalize(options.workdir) !== '/') {
    // WASI preview 1 has no working directory: wasi-libc resolves relative paths against "/", and
    // wasmtime's initial cwd does not reach a p1 module. Refuse rather than silently ignore it.
    throw err(
      ErrorCode.Unsupported,
      `a working directory (${options.workdir}) cannot apply to a WASI preview 1 module, which has none; pass absolute paths to the module instead`,
      { workdir: options.workdir },
    );
  }
  // Built in a private directory beside the destination and renamed into place (stage-dir.ts).
  return stageDirectory(final, 'absent', async (tmp) => {
    const config = image.config.config;
    const env = resolveEnv(config.Env, options.env);
    const cwd = resolveWorkdir(config, options);
    const modulePath = path.join(tmp, MODULE_FILE);
    const wasmLayers = image.manifest.layers.filter((l) => WASM_LAYER_MEDIA_TYPES.has(l.mediaType));
    let argv: string[];
    let moduleDigest: string;
    const preopens: Preopen[] = [];

    if (wasmLayers.length > 1) {
      throw err(ErrorCode.Unsupported, `image ${image.reference} has ${wasmLayers.length} wasm layers; only images with one module are supported`, { reference: image.reference });
    }
    if (wasmLayers.length === 1) {
      // (a) the layer is the module.
      const layer = wasmLayers[0]!;
      const where = `layer ${layer.digest} (${layer.mediaType}) of ${image.reference}`;
      if (layer.size > limits.maxWasmModuleSize) {
        throw err(ErrorCode.LimitExceeded, `${where} is ${layer.size} bytes, more than the module limit of ${limits.maxWasmModuleSize}`, {
          limit: 'maxWasmModuleSize',
          max: limits.maxWasmModuleSize,
          value: layer.size,
          entrypoint: layer.digest,
        });
      }
      requireWasmModule(await readHead(await store.createReadStream(layer.digest, { verify: false })), where, { entrypoint: layer.digest });
      const copied = await copyModule(await store.createReadStream(layer.digest), modulePath, limits.maxWasmModuleSize, where);
      if (copied.digest !== layer.digest) {
        throw err(ErrorCode.DigestMismatch, `${where} hashes to ${copied.digest} in the store; delete it and pull again`, { expected: layer.digest, actual: copied.digest });
      }
      moduleDigest = copied.digest;
      argv = resolveArgv(config, options, DEFAULT_ARGV0, image.reference);
      preopens.push(...(await resolveVolumes(options.volumes)));
    } else {
      // (b) the module is a file in the tar layers.
      const layers = image.manifest.layers;
      if (layers.length === 0) throw err(ErrorCode.InvalidArgument, `image has no WebAssembly module: ${image.reference} has no layers`, { reference: image.reference, wasmModule: 'absent' });
      const foreign = layers.find((l) => !TAR_LAYER_MEDIA_TYPES.has(l.mediaType));
      if (foreign) {
        throw err(
          ErrorCode.InvalidArgument,
          `image has no WebAssembly module: layer ${foreign.digest} of ${image.reference} has media type ${foreign.mediaType}, which is neither wasm nor a tar layer`,
          { reference: image.reference, mediaType: foreign.mediaType, wasmModule: 'absent' },
        );
      }
      argv = resolveArgv(config, options, undefined, image.reference);
      const rootfs = path.join(tmp, 'rootfs');
      await unpackImage(store, layers, image.config.diffIds, rootfs, limits);
      const file = await locateEntrypoint(rootfs, argv[0]!, cwd, env);
      const where = `the entrypoint ${argv[0]} of ${image.reference}`;
      const { size } = await stat(file);
      if (size > limits.maxWasmModuleSize) {
        throw err(ErrorCode.LimitExceeded, `${where} is ${size} bytes, more than the module limit of ${limits.maxWasmModuleSize}`, {
          limit: 'maxWasmModuleSize',
          max: limits.maxWasmModuleSize,
          value: size,
          entrypoint: argv[0],
        });
      }
      requireWasmModule(await readHead(createReadStream(file)), where, { entrypoint: argv[0] });
      moduleDigest = (await copyModule(createReadStream(file), modulePath, limits.maxWasmModuleSize, where)).digest;
      preopens.push({ hostPath: path.join(final, 'rootfs'), guestPath: '/', readonly: true });
      preopens.push(...(await resolveVolumes(options.volumes, ['/'])));
    }

    const annotations: Record<string, string> = {
      ...(config.Labels ?? {}),
      'io.magikrun.image.reference': image.reference,
      'io.magikrun.image.digest': image.digest,
      ...(options.annotations ?? {}),
    };
    const bundle: WasmBundle = {
      kind: 'wasm',
      path: final,
      module: path.join(final, MODULE_FILE),
      moduleDigest,
      args: argv,
      env,
      preopens,
      cwd,
      ...(config.StopSignal ? { stopSignal: parseSignal(config.StopSignal) } : {}),
      ...resourcesField(options.resources),
      annotations,
    };
    await writeNewJson(path.join(tmp, WASI_CONFIG_FILE), bundle);
    return bundle;
  });
}
