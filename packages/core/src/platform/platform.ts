/**
 * `Platform`: what this host is and which isolation capabilities it offers, each with a reason.
 *
 * @module platform/platform
 */
import { release } from 'node:os';
import { err, ErrorCode } from '../errors.js';
import { detectCgroups } from './cgroups.js';
import { runCommand } from './command.js';
import { HostFs } from './host-fs.js';
import { detectHypervisorFramework } from './hypervisor-framework.js';
import { detectKvm } from './kvm.js';
import { detectNamespaces } from './namespaces.js';
import { ociPlatformOf } from './oci-platform.js';
import { detectSeccomp } from './seccomp.js';
import { CAPABILITIES, type Capabilities, type Capability, type CapabilityStatus, type DetectOptions, type OciPlatform } from './types.js';
import { detectWindows, detectWsl2 } from './windows.js';

/** Default deadline of each command run during detection (`sysctl`, `wsl.exe`), in ms. */
export const DETECT_COMMAND_TIMEOUT = 5_000;

/** The fields of a {@link Platform}. */
export interface PlatformInit {
  os: NodeJS.Platform;
  arch: string;
  kernel?: string;
  uid?: number;
  ociPlatform: OciPlatform;
  capabilities: Capabilities;
}

/**
 * The host as magikrun sees it.
 *
 * @example
 * const platform = await Platform.detect();
 * if (!platform.hasCapability(Capability.Namespaces)) console.log(platform.capabilities.namespaces.reason);
 */
export class Platform {
  /** Node's `process.platform` (`'linux'`, `'darwin'`, `'win32'`…). */
  readonly os: NodeJS.Platform;
  /** Node's `process.arch` (`'x64'`, `'arm64'`…). */
  readonly arch: string;
  /** Kernel release (`uname -r`), when known. */
  readonly kernel?: string;
  /** Effective uid; undefined on Windows. */
  readonly uid?: number;
  /** The effective uid is 0. */
  readonly root: boolean;
  /** The host's OCI platform with Go names: `{ os: 'linux', architecture: 'amd64' }`. */
  readonly ociPlatform: Readonly<OciPlatform>;
  /** Every capability with `available` and `reason` (and detail fields). */
  readonly capabilities: Readonly<Capabilities>;

  /** Build a platform from known facts (tests, or a platform described by another process). Use {@link Platform.detect} for this host. */
  constructor(init: PlatformInit) {
    this.os = init.os;
    this.arch = init.arch;
    if (init.kernel !== undefined) this.kernel = init.kernel;
    if (init.uid !== undefined) this.uid = init.uid;
    this.root = init.uid === 0;
    this.ociPlatform = Object.freeze({ ...init.ociPlatform });
    this.capabilities = Object.freeze({ ...init.capabilities });
  }

  /**
   * Detect this host. Reads `/proc`, `/sys` and `/dev` asynchronously; runs `sysctl` on macOS and
   * `wsl.exe --status` on Windows as child processes with a deadline (never synchronously). Never throws
   * for a missing capability: each says why in its `reason`.
   */
  static async detect(options: DetectOptions = {}): Promise<Platform> {
    const fs = new HostFs(options.hostRoot ?? '/');
    const os = options.os ?? process.platform;
    const arch = options.arch ?? process.arch;
    const uid = 'uid' in options ? options.uid : os === 'win32' ? undefined : process.geteuid?.();
    const run = options.runCommand ?? runCommand;
    const timeoutMs = options.commandTimeoutMs ?? DETECT_COMMAND_TIMEOUT;
    const [ns, cgroups, seccomp, kvm, hypervisorFramework, wsl2, kernel] = await Promise.all([
      detectNamespaces(fs, os),
      detectCgroups(fs, os),
      detectSeccomp(fs, os),
      detectKvm(fs, os),
      detectHypervisorFramework(os, run, timeoutMs),
      detectWsl2(os, run, timeoutMs),
      options.hostRoot === undefined ? Promise.resolve(release()) : fs.readText('/proc/sys/kernel/osrelease').then((t) => t?.trim() || undefined),
    ]);
    const capabilities: Capabilities = {
      namespaces: ns.namespaces,
      userNamespaces: ns.userNamespaces,
      cgroups,
      seccomp,
      kvm,
      hypervisorFramework,
      windows: detectWindows(os),
      wsl2,
      webassembly: { available: true, reason: 'WebAssembly runs on every host Node.js runs on (wasmtime, or node:wasi for comparison)' },
    };
    return new Platform({
      os, arch, capabilities, ociPlatform: ociPlatformOf(os, arch),
      ...(kernel === undefined ? {} : { kernel }),
      ...(uid === undefined ? {} : { uid }),
    });
  }

  /** The status of one capability. @throws MagikrunError `INVALID_ARGUMENT` for an unknown name. */
  capability(name: Capability): CapabilityStatus {
    if (!CAPABILITIES.includes(name)) {
      throw err(ErrorCode.InvalidArgument, `unknown capability ${JSON.stringify(name)}; use one of ${CAPABILITIES.join(', ')}`, { capability: name });
    }
    return this.capabilities[name];
  }

  /** True when the capability is available. @throws MagikrunError `INVALID_ARGUMENT` for an unknown name. */
  hasCapability(name: Capability): boolean {
    return this.capability(name).available;
  }

  /** The capabilities of `names` that are missing, in the given order. */
  missing(names: Iterable<Capability>): Capability[] {
    return [...names].filter((n) => !this.hasCapability(n));
  }

  /** A JSON-safe summary (what `magikrun info` prints). */
  toJSON(): PlatformInit & { root: boolean } {
    return {
      os: this.os, arch: this.arch,
      ...(this.kernel === undefined ? {} : { kernel: this.kernel }),
      ...(this.uid === undefined ? {} : { uid: this.uid }),
      root: this.root,
      ociPlatform: { ...this.ociPlatform },
      capabilities: { ...this.capabilities },
    };
  }
}

/** Function form of {@link Platform.hasCapability}. */
export function hasCapability(platform: Platform, name: Capability): boolean {
  return platform.hasCapability(name);
}
