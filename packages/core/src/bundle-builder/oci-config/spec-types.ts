/**
 * The subset of the OCI runtime-spec `config.json` (config.md, config-linux.md) that magikrun writes,
 * as TypeScript types. Field names and shapes are the spec's JSON names.
 *
 * @see https://github.com/opencontainers/runtime-spec/blob/v1.0.2/config.md
 * @module bundle-builder/oci-config/spec-types
 */

/** `process.user` (POSIX platforms). */
import type { LinuxResources } from '../../runtime/oci-resources.js';

export interface SpecUser {
  uid: number;
  gid: number;
  /** Supplementary groups, set with setgroups(2). */
  additionalGids?: number[];
}

/** `process.capabilities`: capability names such as `CAP_CHOWN`. */
export interface SpecCapabilities {
  bounding?: string[];
  effective?: string[];
  permitted?: string[];
  inheritable?: string[];
  ambient?: string[];
}

/** One `process.rlimits` entry. */
export interface SpecRlimit {
  /** `RLIMIT_NOFILE`… */
  type: string;
  soft: number;
  hard: number;
}

/** `process`. */
export interface SpecProcess {
  terminal?: boolean;
  user: SpecUser;
  /** argv; `args[0]` is looked up in the container's PATH by the runtime, as execvp does. */
  args: string[];
  /** `KEY=VALUE` strings. */
  env: string[];
  /** Absolute path inside the container. */
  cwd: string;
  capabilities?: SpecCapabilities;
  rlimits?: SpecRlimit[];
  noNewPrivileges?: boolean;
}

/** `root`. */
export interface SpecRoot {
  /** Relative to the bundle directory, or absolute. */
  path: string;
  readonly?: boolean;
}

/** One `mounts` entry. */
export interface SpecMount {
  /** Absolute path inside the container. */
  destination: string;
  type: string;
  /** A host path for bind mounts; a device or dummy name for the others. */
  source: string;
  options?: string[];
}

/** Linux namespace kinds (config-linux.md "Namespaces"). */
export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup';

/** One `linux.namespaces` entry: a new namespace, or (with `path`) an existing one to join. */
export interface SpecNamespace {
  type: NamespaceType;
  path?: string;
}

/** One `linux.resources.devices` rule (device cgroup allow list). */
export interface SpecDeviceCgroup {
  allow: boolean;
  /** `a` (all), `c` or `b`; absent means all. */
  type?: 'a' | 'c' | 'b';
  /** Absent means any (`*`). */
  major?: number;
  minor?: number;
  /** Some of `r`, `w`, `m`. */
  access?: string;
}

/** `linux.resources`. */
export interface SpecResources extends LinuxResources {
  devices?: SpecDeviceCgroup[];
}

/** Seccomp actions this project writes. */
export type SeccompAction = 'SCMP_ACT_ALLOW' | 'SCMP_ACT_ERRNO' | 'SCMP_ACT_KILL' | 'SCMP_ACT_TRAP' | 'SCMP_ACT_TRACE' | 'SCMP_ACT_LOG' | 'SCMP_ACT_KILL_PROCESS';

/** Seccomp argument comparison operators. */
export type SeccompOperator = 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

/** One condition on a syscall argument. */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: SeccompOperator;
}

/** One `linux.seccomp.syscalls` rule. */
export interface SeccompSyscall {
  names: string[];
  action: SeccompAction;
  /** errno returned for `SCMP_ACT_ERRNO`. */
  errnoRet?: number;
  args?: SeccompArg[];
}

/** `linux.seccomp`. */
export interface SpecSeccomp {
  defaultAction: SeccompAction;
  /** errno returned by the default `SCMP_ACT_ERRNO` (runtime-spec 1.1; runc ≥ 1.0 and libcontainer honour it). */
  defaultErrnoRet?: number;
  /** `SCMP_ARCH_X86_64`… */
  architectures: string[];
  syscalls: SeccompSyscall[];
}

/** `linux`. */
export interface SpecLinux {
  namespaces: SpecNamespace[];
  resources: SpecResources;
  seccomp?: SpecSeccomp;
  maskedPaths: string[];
  readonlyPaths: string[];
  cgroupsPath?: string;
}

/** A whole `config.json` as magikrun writes it. */
export interface OciSpec {
  ociVersion: string;
  process: SpecProcess;
  root: SpecRoot;
  hostname?: string;
  mounts: SpecMount[];
  annotations?: Record<string, string>;
  linux: SpecLinux;
}
