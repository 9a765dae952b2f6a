/**
 * The `linux.seccomp` of one container from a profile with conditions (Docker's default), resolved
 * for the host's architecture, the container's capabilities and the host kernel, as moby's
 * `profiles/seccomp.setupSeccomp` does.
 *
 * @module bundle-builder/oci-config/seccomp
 */
import { release } from 'node:os';
import { err, ErrorCode } from '../../errors.js';
import { DOCKER_DEFAULT_PROFILE, type ProfileFilter, type SeccompProfile } from './seccomp-profile.js';
import type { SeccompSyscall, SpecSeccomp } from './spec-types.js';

/** Go's GOARCH name → the native seccomp architecture of processes on that host. */
const NATIVE_SECCOMP_ARCH: Readonly<Record<string, string>> = Object.freeze({
  amd64: 'SCMP_ARCH_X86_64',
  arm64: 'SCMP_ARCH_AARCH64',
});

/** Node's `process.arch` → Go's GOARCH, for the architectures that have a default profile. */
export function hostGoArch(nodeArch: string = process.arch): string {
  return nodeArch === 'x64' ? 'amd64' : nodeArch;
}

/** Where the profile is applied. */
export interface SeccompTarget {
  /** GOARCH of the host the container runs on (`amd64` or `arm64`). @default the host's */
  arch?: string;
  /** The container's capability names. */
  capabilities: readonly string[];
  /** `uname -r` of the host, for `minKernel` conditions. @default os.release() */
  kernel?: string;
}

function kernelAtLeast(kernel: string, min: string): boolean {
  const parse = (s: string): [number, number] => {
    const m = /^(\d+)\.(\d+)/.exec(s);
    return m ? [Number(m[1]), Number(m[2])] : [0, 0];
  };
  const [a, b] = parse(kernel);
  const [x, y] = parse(min);
  return a > x || (a === x && b >= y);
}

function matches(filter: ProfileFilter | undefined, arch: string, caps: ReadonlySet<string>, kernel: string, all: boolean): boolean {
  if (!filter) return false;
  const tests: boolean[] = [];
  if (filter.arches?.length) tests.push(filter.arches.includes(arch));
  if (filter.caps?.length) tests.push(all ? filter.caps.every((c) => caps.has(c)) : filter.caps.some((c) => caps.has(c)));
  if (filter.minKernel) tests.push(kernelAtLeast(kernel, filter.minKernel));
  return all ? tests.every(Boolean) : tests.some(Boolean);
}

/**
 * Resolve `profile` (default: Docker's) for one container.
 *
 * A rule is kept when every `includes` condition holds (all its capabilities present, the host arch
 * listed, the kernel new enough) and no `excludes` condition does (any of its capabilities present or
 * the arch listed), exactly moby's rule.
 *
 * @returns `linux.seccomp`: the default action and errno, the native architecture plus the others its
 *   processes can call in (x86_64: x86 and x32; aarch64: arm), and the kept rules without conditions.
 * @throws MagikrunError `UNSUPPORTED` for an architecture without a default profile (only amd64 and
 *   arm64 have one).
 */
export function resolveSeccompProfile(target: SeccompTarget, profile: SeccompProfile = DOCKER_DEFAULT_PROFILE): SpecSeccomp {
  const arch = target.arch ?? hostGoArch();
  const native = NATIVE_SECCOMP_ARCH[arch];
  const subArches = native === undefined ? undefined : profile.archMap[native];
  if (native === undefined || subArches === undefined) {
    throw err(ErrorCode.Unsupported, `there is no default seccomp profile for architecture ${arch}; magikrun builds Linux bundles for amd64 and arm64 hosts`, { arch });
  }
  const caps = new Set(target.capabilities);
  const kernel = target.kernel ?? release();
  const syscalls: SeccompSyscall[] = [];
  for (const rule of profile.syscalls) {
    if (rule.includes && !matches(rule.includes, arch, caps, kernel, true)) continue;
    if (rule.excludes && matches(rule.excludes, arch, caps, kernel, false)) continue;
    syscalls.push({
      names: [...rule.names],
      action: rule.action,
      ...(rule.errnoRet === undefined ? {} : { errnoRet: rule.errnoRet }),
      ...(rule.args ? { args: rule.args.map((a) => ({ ...a })) } : {}),
    });
  }
  return { defaultAction: profile.defaultAction, defaultErrnoRet: profile.defaultErrnoRet, architectures: [native, ...subArches], syscalls };
}
