/**
 * The shapes of host platform detection: capability names and what each detection reports.
 *
 * @module platform/types
 */

/**
 * Capability names, as `Platform.hasCapability` and `MAGIKRUN_REQUIRE` take them.
 *
 * @example platform.hasCapability(Capability.Namespaces)
 */
export const Capability = {
  /** Linux namespaces (mnt, pid, net, ipc, uts) exist and this process may create them. */
  Namespaces: 'namespaces',
  /** User namespaces may be created (rootless containers). */
  UserNamespaces: 'userNamespaces',
  /** A cgroup hierarchy is mounted (v1, v2 or hybrid). */
  Cgroups: 'cgroups',
  /** The kernel supports seccomp filters. */
  Seccomp: 'seccomp',
  /** `/dev/kvm` opens read-write. Not proof that Linux guests run well (nested KVM may not). */
  Kvm: 'kvm',
  /** macOS Hypervisor.framework (`sysctl kern.hv_support` = 1). */
  HypervisorFramework: 'hypervisorFramework',
  /** The host is Windows. */
  Windows: 'windows',
  /** WSL 2 answers `wsl.exe --status`. */
  Wsl2: 'wsl2',
  /** WebAssembly (wasmtime runs on every host Node runs on). Always available. */
  WebAssembly: 'webassembly',
} as const;

/** One of {@link Capability}'s values. */
export type Capability = (typeof Capability)[keyof typeof Capability];

/** Every capability name, in a stable order. */
export const CAPABILITIES: readonly Capability[] = Object.freeze(Object.values(Capability));

/** Whether a capability is there, and why (or why not), in words a user can act on. */
export interface CapabilityStatus {
  available: boolean;
  /** One sentence: what was checked and what was found; for a missing capability, what to do. */
  reason: string;
}

/** The namespace kinds of `/proc/self/ns`. */
export type NamespaceKind = 'cgroup' | 'ipc' | 'mnt' | 'net' | 'pid' | 'time' | 'user' | 'uts';

/** Every namespace kind. */
export const NAMESPACE_KINDS: readonly NamespaceKind[] = Object.freeze(['cgroup', 'ipc', 'mnt', 'net', 'pid', 'time', 'user', 'uts']);

/** Namespaces: which kinds the kernel has, and whether this process may create them. */
export interface NamespacesStatus extends CapabilityStatus {
  /** Kind → present in `/proc/self/ns`. */
  kinds: Record<NamespaceKind, boolean>;
  /** The effective capability set holds CAP_SYS_ADMIN (so `unshare` of every kind is permitted). */
  capSysAdmin: boolean;
}

/** User namespaces: whether `unshare(CLONE_NEWUSER)` is permitted. */
export interface UserNamespacesStatus extends CapabilityStatus {
  /** `/proc/sys/user/max_user_namespaces`, when readable. */
  maxUserNamespaces?: number;
}

/**
 * How cgroups are mounted.
 * - `v2`: unified hierarchy at `/sys/fs/cgroup` (`cgroup.controllers` there).
 * - `hybrid`: v1 controllers under `/sys/fs/cgroup/<controller>` plus cgroup2 at `/sys/fs/cgroup/unified`.
 * - `v1`: v1 controllers only.
 * - `none`: no cgroup hierarchy found.
 */
export type CgroupMode = 'v1' | 'v2' | 'hybrid' | 'none';

/** cgroups: the mode and what is there. */
export interface CgroupsStatus extends CapabilityStatus {
  mode: CgroupMode;
  /** The hierarchy a runtime manages: 2 for `v2`, 1 for `v1` and `hybrid` (libcgroups uses its v1 manager on hybrid hosts). */
  version?: 1 | 2;
  /** Controllers: v1 controller directories, or the v2 root's `cgroup.controllers`. */
  controllers: string[];
  /** Absolute path of the cgroup2 mount (`/sys/fs/cgroup` on v2, `/sys/fs/cgroup/unified` on hybrid). */
  unifiedPath?: string;
}

/** seccomp: the `Seccomp:` mode of this process and the filter actions the kernel offers. */
export interface SeccompStatus extends CapabilityStatus {
  /** This process's seccomp mode from `/proc/self/status`: 0 disabled, 1 strict, 2 filter. */
  mode?: 0 | 1 | 2;
  /** `/proc/sys/kernel/seccomp/actions_avail`, e.g. `['kill_process', 'errno', 'user_notif', 'allow']`. */
  actions: string[];
}

/** KVM: whether `/dev/kvm` opens read-write. */
export interface KvmStatus extends CapabilityStatus {
  /** The CPU reports the `hypervisor` flag: this host is itself a VM, so KVM is nested. */
  nested?: boolean;
}

/** The capabilities detected, each with its reason. */
export interface Capabilities {
  namespaces: NamespacesStatus;
  userNamespaces: UserNamespacesStatus;
  cgroups: CgroupsStatus;
  seccomp: SeccompStatus;
  kvm: KvmStatus;
  hypervisorFramework: CapabilityStatus;
  windows: CapabilityStatus;
  wsl2: CapabilityStatus;
  webassembly: CapabilityStatus;
}

/** An OCI image-spec platform (image-index.md `platform`): GOOS / GOARCH names. */
export interface OciPlatform {
  /** GOOS: `linux`, `windows`, `darwin`, `freebsd`… */
  os: string;
  /** GOARCH: `amd64`, `arm64`, `arm`, `386`, `ppc64le`, `s390x`, `riscv64`… */
  architecture: string;
  /** CPU variant: `v8` for arm64, `v6`/`v7` for arm. */
  variant?: string;
}

/** Runs a command; resolves with its exit code and output, never rejects for a non-zero exit. */
export type CommandRunner = (
  file: string,
  args: readonly string[],
  options: { timeoutMs: number },
) => Promise<{ code: number | null; stdout: Buffer; stderr: Buffer; error?: Error }>;

/** Options of `Platform.detect`. All but `commandTimeoutMs` exist so tests can describe a fake host. */
export interface DetectOptions {
  /**
   * Directory that stands for `/` when reading `/proc`, `/sys` and `/dev` (a fake host for tests).
   * @default '/'
   */
  hostRoot?: string;
  /** Operating system to assume. @default process.platform */
  os?: NodeJS.Platform;
  /** CPU architecture to assume, as Node names it. @default process.arch */
  arch?: string;
  /** Effective uid to assume (undefined on Windows). @default process.geteuid?.() */
  uid?: number;
  /** How to run `sysctl` and `wsl.exe`. @default node:child_process execFile */
  runCommand?: CommandRunner;
  /** Deadline of each command run during detection, in ms. @default 5000 */
  commandTimeoutMs?: number;
}
