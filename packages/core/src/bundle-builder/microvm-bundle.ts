/**
 * Building a microVM bundle (`<root>/bundles/<id>/`: `rootfs/` and `microvm.json`, the
 * {@link MicroVmBundle} it describes): the image's layers unpacked as a plain rootfs that the VM
 * backend shares with its guest (libkrun's virtio-fs root), the command, environment and working
 * directory resolved with Docker's rules, and the VM size.
 *
 * Sizes: `vcpus` 1..MAX_VCPUS (8), `memoryMiB` MIN_VM_MEMORY_MIB..MAX_VM_MEMORY_MIB (4096); a request
 * above a maximum is refused with `LIMIT_EXCEEDED` rather than silently lowered.
 *
 * Not applied: users and bind mounts (libkrun runs the workload as the guest's root and has no
 * host directory mapping beyond the root); asking for them is `UNSUPPORTED`.
 *
 * @module bundle-builder/microvm-bundle
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { MicroVmBundle } from '../runtime/bundle.js';
import { writeNewJson } from '../storage/durable-file.js';
import { MAX_VCPUS, MAX_VM_MEMORY_MIB } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import { validateContainerId } from '../runtime/container-id.js';
import { DEFAULT_PATH } from './locate-entrypoint.js';
import { annotationsFor } from './oci-config/annotations.js';
import { ROOTFS_DIR, type OciBuildContext } from './oci-bundle.js';
import { mkdirInRoot } from '../rootfs/in-root.js';
import { unpackRootfs } from '../rootfs/unpack-rootfs.js';
import { resolveArgv, resolveEnv, resolveWorkdir, type RunOptions } from './run-config.js';
import { stageDirectory } from './stage-dir.js';
import { imageBundleKind } from './bundle-kind.js';
import { imageStopSignal } from './stop-signal.js';

/** The bundle description file of a microVM bundle. */
export const MICROVM_CONFIG_FILE = 'microvm.json';
/** Default vCPUs: 1. */
export const DEFAULT_VCPUS = 1;
/** Default guest memory, in MiB: 512. */
export const DEFAULT_VM_MEMORY_MIB = 512;
/** Smallest guest memory, in MiB: 64 (a Linux guest kernel needs tens of MiB to boot). */
export const MIN_VM_MEMORY_MIB = 64;

/** Options of a microVM bundle build. */
export interface MicroVmBuildOptions extends RunOptions {
  /** Bundle id. @default 16 random hex digits */
  id?: string;
  /** vCPUs, 1..MAX_VCPUS. @default 1 */
  vcpus?: number;
  /** Guest memory in MiB, MIN_VM_MEMORY_MIB..MAX_VM_MEMORY_MIB. @default 512 */
  memoryMiB?: number;
  /** Annotations added to (and overriding) the image's. */
  annotations?: Readonly<Record<string, string>>;
  /** Not supported for microVMs (see the module doc). */
  user?: string;
}

function checkSize(value: number | undefined, name: 'vcpus' | 'memoryMiB', min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw err(ErrorCode.InvalidArgument, `${name} ${String(value)} is not valid: give a whole number of at least ${min}`, { [name]: value });
  }
  if (value > max) {
    throw err(ErrorCode.LimitExceeded, `${name} ${value} is above the maximum of ${max} (${name === 'vcpus' ? 'MAX_VCPUS' : 'MAX_VM_MEMORY_MIB'})`, { limit: name, max, value });
  }
  return value;
}

/**
 * Build the bundle as `<bundlesDir>/<id>/`.
 *
 * @throws MagikrunError `LIMIT_EXCEEDED` (vcpus or memory above the maximum, layer limits),
 *   `INVALID_ARGUMENT` (bad sizes, id, options; a wasm image), `UNSUPPORTED` (user or volumes, a
 *   non-Linux image), `ALREADY_EXISTS` (the id is taken), and the unpacker's errors.
 */
export async function buildMicroVmBundle(ctx: OciBuildContext & { bundlesDir: string }, options: MicroVmBuildOptions = {}): Promise<MicroVmBundle> {
  const { image } = ctx;
  const id = validateContainerId(options.id ?? randomBytes(8).toString('hex'));
  const vcpus = checkSize(options.vcpus, 'vcpus', 1, MAX_VCPUS, DEFAULT_VCPUS);
  const memoryMiB = checkSize(options.memoryMiB, 'memoryMiB', MIN_VM_MEMORY_MIB, MAX_VM_MEMORY_MIB, DEFAULT_VM_MEMORY_MIB);
  if (options.user !== undefined) throw err(ErrorCode.Unsupported, 'a microVM runs its workload as the guest\'s root; a user cannot be chosen', { user: options.user });
  if (options.volumes?.length) throw err(ErrorCode.Unsupported, 'microVM bundles cannot map host directories', {});
  if (imageBundleKind(image) === 'wasm') throw err(ErrorCode.InvalidArgument, `${image.reference} is a WebAssembly image; it cannot boot in a microVM`, { reference: image.reference });
  if (image.platform.os !== '' && image.platform.os !== 'linux') {
    throw err(ErrorCode.Unsupported, `${image.reference} is a ${image.platform.os} image; microVM bundles run Linux images`, { reference: image.reference, os: image.platform.os });
  }
  const config = image.config.config;
  const args = resolveArgv(config, options, undefined, image.reference);
  const env = resolveEnv([`PATH=${DEFAULT_PATH}`, ...(config.Env ?? [])], options.env);
  const cwd = resolveWorkdir(config, options);
  const annotations = annotationsFor(image, options.annotations);
  const stopSignal = imageStopSignal(image, ctx.onWarning);
  const final = path.join(ctx.bundlesDir, id);
  return stageDirectory(final, 'absent', async (tmp) => {
    const rootfs = path.join(tmp, ROOTFS_DIR);
    await unpackRootfs({ store: ctx.store, layers: image.manifest.layers, diffIds: image.config.diffIds, dest: rootfs, limits: { ...ctx.limits }, onWarning: (w) => ctx.onWarning?.(w.message) });
    await mkdirInRoot(rootfs, cwd);
    const bundle: MicroVmBundle = {
      kind: 'microvm',
      path: final,
      rootfs: path.join(final, ROOTFS_DIR),
      args,
      env,
      cwd,
      vcpus,
      memoryMiB,
      ...(stopSignal ? { stopSignal } : {}),
      annotations,
    };
    await writeNewJson(path.join(tmp, MICROVM_CONFIG_FILE), bundle);
    return bundle;
  });
}
