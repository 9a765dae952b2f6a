/**
 * Building an OCI runtime bundle (runtime-spec bundle.md): a directory holding `rootfs/` (a plain
 * copy of the image's layers, no snapshot mounts) and `config.json`, plus the `hosts`, `hostname`
 * and `resolv.conf` files that config.json bind-mounts. Any OCI runtime can run it (`runc run`).
 *
 * Written atomically (a 0700 temporary directory beside the destination, renamed into place; removed
 * on failure). Bind sources in config.json are absolute paths of the final bundle directory (runc
 * and libcontainer both take them), so a bundle that is moved must be built again.
 *
 * @module bundle-builder/oci-bundle
 */
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { OciBundle } from '../runtime/bundle.js';
import { writeNewJson } from '../storage/durable-file.js';
import { resourcesField } from '../runtime/limits.js';
import type { Limits } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import type { PulledImage } from '../image/types.js';
import { validateContainerId } from '../runtime/container-id.js';
import type { BlobStore } from '../storage/blob-store.js';
import { imageBundleKind } from './bundle-kind.js';
import { prepareOciSpec, type OciSpecOptions } from './oci-config/prepare-spec.js';
import { unpackRootfs } from '../rootfs/unpack-rootfs.js';
import { resolveArgv } from './run-config.js';
import { stageDirectory, type DestinationRule } from './stage-dir.js';
import { imageStopSignal } from './stop-signal.js';

/** The config file of an OCI bundle. */
export const OCI_CONFIG_FILE = 'config.json';
/** The rootfs directory of an OCI or microVM bundle. */
export const ROOTFS_DIR = 'rootfs';

/** Options of an OCI bundle build. */
export interface OciBuildOptions extends OciSpecOptions {
  /** Bundle id (`<root>/bundles/<id>`), also the default hostname. @default 16 random hex digits */
  id?: string;
}

/** What a build needs besides the options. */
export interface OciBuildContext {
  image: PulledImage;
  store: BlobStore;
  /** Image-level limits (uncompressed bytes; layer count), e.g. from `resolveLimits()`. */
  limits: Pick<Limits, 'maxLayerSize' | 'maxRootfsSize' | 'maxLayers'>;
  /** Receives warnings (entries the unpacker could not apply as written, a stop signal that cannot be sent). */
  onWarning?: (message: string) => void;
  /** Host architecture (GOARCH) for the seccomp profile. @default the host's */
  arch?: string;
}

/**
 * Refuse images that cannot become a Linux container.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` (a wasm image), `UNSUPPORTED` (a non-Linux image).
 */
export function checkImage(image: PulledImage): void {
  if (imageBundleKind(image) === 'wasm') {
    throw err(ErrorCode.InvalidArgument, `${image.reference} is a WebAssembly image; build a wasm bundle for it, not a Linux one`, { reference: image.reference });
  }
  if (image.platform.os !== '' && image.platform.os !== 'linux') {
    throw err(ErrorCode.Unsupported, `${image.reference} is a ${image.platform.os} image; OCI bundles here are Linux containers`, { reference: image.reference, os: image.platform.os });
  }
}

/** Write config.json (mode 0600, `wx`: never over an existing file) and fsync it. */
export async function writeConfig(file: string, doc: unknown): Promise<void> {
  await writeNewJson(file, doc);
}

/**
 * Write an OCI bundle at `dest` (absolute or relative to the working directory).
 *
 * @param rule `absent` (a bundle id under `<root>/bundles`) or `absent-or-empty` (a directory the
 *   user named, as `umoci unpack` takes).
 * @returns the bundle (`path` = `dest` resolved, `rootfs` = `dest/rootfs`).
 * @throws MagikrunError `ALREADY_EXISTS` (the destination is taken), `NOT_FOUND` (its parent is
 *   missing; a user/group name the image lacks), `INVALID_ARGUMENT` (a wasm image, bad options, a
 *   malformed layer), `UNSUPPORTED` (a non-Linux image), `LIMIT_EXCEEDED`, `PATH_ESCAPE`,
 *   `DIGEST_MISMATCH` from the unpacker; see `prepareOciSpec` for the config errors.
 */
export async function writeOciBundle(ctx: OciBuildContext, dest: string, options: OciBuildOptions = {}, rule: DestinationRule = 'absent-or-empty'): Promise<OciBundle> {
  checkImage(ctx.image);
  // Nothing to run (an empty program name, say) is refused before anything is unpacked; prepareOciSpec computes it again.
  resolveArgv(ctx.image.config.config, options, undefined, ctx.image.reference);
  const final = path.resolve(dest);
  const id = options.id ?? randomBytes(8).toString('hex');
  return stageDirectory(final, rule, async (tmp) => {
    const rootfs = path.join(tmp, ROOTFS_DIR);
    await unpackRootfs({ store: ctx.store, layers: ctx.image.manifest.layers, diffIds: ctx.image.config.diffIds, dest: rootfs, limits: { ...ctx.limits }, onWarning: (w) => ctx.onWarning?.(w.message) });
    const { id: _id, ...specOptions } = options;
    const spec = await prepareOciSpec({ image: ctx.image, rootfs, stagingDir: tmp, finalDir: final, id, arch: ctx.arch }, specOptions);
    await writeConfig(path.join(tmp, OCI_CONFIG_FILE), spec);
    const stopSignal = imageStopSignal(ctx.image, ctx.onWarning);
    return {
      kind: 'oci',
      path: final,
      rootfs: path.join(final, ROOTFS_DIR),
      ...(stopSignal ? { stopSignal } : {}),
      ...resourcesField(options.resources),
      annotations: { ...(spec.annotations ?? {}) },
    } satisfies OciBundle;
  });
}

/**
 * Build an OCI bundle as `<bundlesDir>/<id>/`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a malformed id; `ALREADY_EXISTS` when the id is taken;
 *   everything {@link writeOciBundle} throws.
 */
export async function buildOciBundle(ctx: OciBuildContext & { bundlesDir: string }, options: OciBuildOptions = {}): Promise<OciBundle> {
  const id = validateContainerId(options.id ?? randomBytes(8).toString('hex'));
  return writeOciBundle(ctx, path.join(ctx.bundlesDir, id), { ...options, id }, 'absent');
}
