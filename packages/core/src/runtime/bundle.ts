/**
 * The `Bundle` union: what a backend needs to create a container.
 *
 * - `oci`: an OCI runtime bundle (config-spec, bundle.md): a directory with `config.json` and a rootfs.
 * - `wasm`: a WASI preview 1 module with its args, env and preopened directories.
 * - `microvm`: a rootfs plus command, env and VM size.
 *
 * @module runtime/bundle
 */
import type { ResourceLimits } from './limits.js';
import type { Signal } from './signal.js';

/** The bundle kinds. */
export type BundleKind = 'oci' | 'wasm' | 'microvm';

/**
 * One mount that assembles a rootfs at create time: containerd's `mount.Mount` as snapshotters return it.
 *
 * - `overlay`: `source` is `'overlay'`; `options` are overlayfs options such as
 *   `lowerdir=/a:/b`, `upperdir=/u`, `workdir=/w` (lowerdirs topmost first, as the kernel wants).
 * - `bind`: `source` is a host directory holding a complete rootfs (the copy fallback); `options`
 *   include `rbind` and `ro` or `rw`.
 */
export interface RootfsMount {
  type: 'overlay' | 'bind';
  source: string;
  options: string[];
}

/** An OCI runtime bundle on disk (runtime-spec bundle.md). */
export interface OciBundle {
  kind: 'oci';
  /** Absolute path of the bundle directory, which holds `config.json`. */
  path: string;
  /** Absolute path of the root filesystem (config.json's `root.path`, resolved). */
  rootfs: string;
  /**
   * When present, `rootfs` is an empty directory and these mounts, applied in order at `rootfs`,
   * assemble it: the runtime backend mounts them when it creates the container and unmounts them
   * when it deletes it (containerd's snapshotter → shim contract); `BundleBuilder.build({ kind: 'oci',
   * rootfs: 'snapshot' })` returns them. Absent: `rootfs` is a plain directory that already holds the
   * whole root filesystem (`rootfs: 'copy'`, what `magikrun bundle` writes).
   */
  rootfsMounts?: RootfsMount[];
  /** Signal for `stop`, from the image config's StopSignal. @default 'SIGTERM' */
  stopSignal?: Signal;
  /**
   * The workload's resource limits, as `BundleBuilder.build({ resources })` wrote them into config.json's
   * `linux.resources` (memory, CPUs, pids). A runtime refuses a bundle whose `resources` config.json does not carry.
   */
  resources?: ResourceLimits;
  /** Annotations (image labels and the like). */
  annotations?: Record<string, string>;
}

/** A directory of the host made visible to a wasm module (a WASI preopen). */
export interface Preopen {
  /** Absolute path on the host. */
  hostPath: string;
  /** Absolute path the module sees, e.g. `/data`. */
  guestPath: string;
  /** Refuse writes (files open read-only; create, rename and unlink fail). @default false */
  readonly?: boolean;
}

/** A WASI preview 1 command module and how to run it. */
export interface WasmBundle {
  kind: 'wasm';
  /** Absolute path of the bundle directory (holds `wasi.json` written by the builder). */
  path: string;
  /** Absolute path of the `.wasm` module file. */
  module: string;
  /** `sha256:<64 hex>` of the module bytes; keys the compiled-module cache and is verified on load. */
  moduleDigest: string;
  /** argv, `args[0]` included (the program name as the module sees it). */
  args: string[];
  /** Environment as `KEY=VALUE` strings. Never inherited from the host. */
  env: string[];
  /** Preopened directories. */
  preopens: Preopen[];
  /** Initial working directory as the module sees it. @default '/' */
  cwd?: string;
  /** @default 'SIGTERM' */
  stopSignal?: Signal;
  /** The module's resource limits (memory, fuel, wall clock), also written to `wasi.json`; the runtime's defaults apply to what is absent. */
  resources?: ResourceLimits;
  annotations?: Record<string, string>;
}

/** A microVM workload: rootfs plus command and size (libkrun, later QEMU microvm). */
export interface MicroVmBundle {
  kind: 'microvm';
  /** Absolute path of the bundle directory. */
  path: string;
  /** Absolute path of the root filesystem shared with the guest. */
  rootfs: string;
  args: string[];
  env: string[];
  cwd?: string;
  /** @default 1, at most MAX_VCPUS */
  vcpus?: number;
  /** Guest memory in MiB. @default 512, at most MAX_VM_MEMORY_MIB */
  memoryMiB?: number;
  stopSignal?: Signal;
  annotations?: Record<string, string>;
}

/** Any bundle. */
export type Bundle = OciBundle | WasmBundle | MicroVmBundle;
