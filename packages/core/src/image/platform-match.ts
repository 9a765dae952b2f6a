/**
 * Platform strings and matching, as containerd's `platforms` package does it: `os/arch[/variant]`,
 * normalised (x86_64 → amd64, aarch64 → arm64, arm64 defaults to variant v8, armhf → arm/v7), plus
 * WebAssembly: `wasi` and `wasip1` both name WASI preview 1 (image-spec allows `wasi` for wasm, Go
 * calls it `wasip1`), `wasm32` is `wasm`.
 *
 * @module image/platform-match
 */
import { err, ErrorCode } from '../errors.js';
import type { OciPlatform } from '../platform/types.js';
import { formatOciPlatform, ociPlatformOf } from '../platform/oci-platform.js';

/** A platform as an option takes it: an {@link OciPlatform} or its string form `linux/arm64/v8`, `wasip1/wasm`. */
export type PlatformSpec = string | OciPlatform;

/** WASI preview 1 as images label it. */
export const WASM_PLATFORM: Readonly<OciPlatform> = Object.freeze({ os: 'wasip1', architecture: 'wasm' });

const OS_ALIASES: Readonly<Record<string, string>> = { macos: 'darwin', wasi: 'wasip1' };
const ARCH_ALIASES: Readonly<Record<string, string>> = {
  x86_64: 'amd64', 'x86-64': 'amd64', x64: 'amd64', aarch64: 'arm64', i386: '386', i686: '386',
  armhf: 'arm', armel: 'arm', wasm32: 'wasm',
};

/** Normalise names and default variants (containerd platforms.Normalize, plus the wasm names). */
export function normalizePlatform(p: OciPlatform): OciPlatform {
  const os = (OS_ALIASES[p.os.toLowerCase()] ?? p.os.toLowerCase());
  const rawArch = p.architecture.toLowerCase();
  const architecture = ARCH_ALIASES[rawArch] ?? rawArch;
  let variant = p.variant?.toLowerCase() || undefined;
  if (architecture === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (architecture === 'arm' && variant === undefined) variant = rawArch === 'armel' ? 'v6' : 'v7';
  if (architecture === 'arm' && variant !== undefined && /^[5-8]$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/**
 * Parse `os/arch[/variant]` (or just `os`, meaning the host architecture).
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for an empty or over-long string.
 */
export function parsePlatform(spec: PlatformSpec): OciPlatform {
  if (typeof spec !== 'string') {
    if (!spec || typeof spec.os !== 'string' || typeof spec.architecture !== 'string' || spec.os === '' || spec.architecture === '') {
      throw err(ErrorCode.InvalidArgument, `invalid platform ${JSON.stringify(spec)}: give os and architecture, e.g. linux/amd64 or wasip1/wasm`);
    }
    return normalizePlatform(spec);
  }
  const parts = spec.trim().split('/');
  if (parts.length > 3 || parts.some((x) => !/^[A-Za-z0-9_.-]+$/.test(x))) {
    throw err(ErrorCode.InvalidArgument, `invalid platform ${JSON.stringify(spec)}: write os/arch[/variant], e.g. linux/amd64, linux/arm64/v8 or wasip1/wasm`, { platform: spec });
  }
  const [first, arch, variant] = parts as [string, string | undefined, string | undefined];
  if (arch === undefined) {
    // One word, as containerd's platforms.Parse: a known OS (with this host's architecture), or a known
    // architecture (of Linux); anything else is an error rather than a platform no image has.
    const word = first.toLowerCase();
    if (word === 'wasip1' || word === 'wasi') return normalizePlatform({ os: word, architecture: 'wasm' });
    if (KNOWN_OS.has(word)) return normalizePlatform({ os: word, architecture: ociPlatformOf().architecture });
    if (KNOWN_ARCH.has(word)) return normalizePlatform({ os: 'linux', architecture: word });
    throw err(ErrorCode.InvalidArgument, `invalid platform ${JSON.stringify(spec)}: ${first} is neither a known OS nor a known architecture; write os/arch[/variant], e.g. linux/amd64 or wasip1/wasm`, { platform: spec });
  }
  return normalizePlatform({ os: first, architecture: arch, ...(variant !== undefined ? { variant } : {}) });
}

/** GOOS values (as containerd's platforms.isKnownOS). */
const KNOWN_OS: ReadonlySet<string> = new Set(['aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux', 'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'windows', 'zos', 'wasip2']);
/** GOARCH values and the aliases containerd normalises (platforms.isKnownArch + normalizeArch). */
const KNOWN_ARCH: ReadonlySet<string> = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'ppc64', 'ppc64le', 'loong64', 'mips', 'mipsle', 'mips64', 'mips64le',
  'mips64p32', 'mips64p32le', 'ppc', 'riscv', 'riscv64', 's390', 's390x', 'sparc', 'sparc64', 'wasm',
  'i386', 'x86_64', 'x86-64', 'aarch64', 'armhf', 'armel',
]);

/** `os/arch[/variant]`. */
export function formatPlatform(p: OciPlatform): string {
  return formatOciPlatform(p);
}

/** True for WebAssembly platforms (architecture `wasm`, or os `wasi`/`wasip1`/`wasip2`). */
export function isWasmPlatform(p: OciPlatform): boolean {
  const n = normalizePlatform(p);
  return n.architecture === 'wasm' || n.os === 'wasip1' || n.os === 'wasip2';
}

/**
 * How well the offered platform satisfies the wanted one: `undefined` when it does not; 0 for the
 * same os/architecture/variant after normalisation; larger for a less exact fit. As containerd's
 * `platforms.Only`: a wanted `arm/v7` (what plain `arm` means) also accepts `v6` (rank 1) and `v5`
 * (rank 2); `arm64` means `arm64/v8`, and an image that names no variant is taken as the
 * architecture's default; a wanted platform without a variant (other than arm) accepts any variant
 * of its architecture, preferring the default one.
 */
export function platformMatchRank(wanted: OciPlatform, offered: OciPlatform): number | undefined {
  const w = normalizePlatform(wanted);
  const o = normalizePlatform(offered);
  if (w.os !== o.os || w.architecture !== o.architecture) return undefined;
  if (w.variant === o.variant) return 0;
  if (w.architecture === 'arm' && w.variant && o.variant) {
    const d = Number(w.variant.slice(1)) - Number(o.variant.slice(1));
    return d > 0 ? d : undefined;
  }
  if (wanted.variant === undefined || wanted.variant === '') return 10;
  return undefined;
}

/**
 * Does the offered platform satisfy the wanted one? os and architecture must agree after
 * normalisation; see {@link platformMatchRank} for variants.
 */
export function platformMatches(wanted: OciPlatform, offered: OciPlatform): boolean {
  return platformMatchRank(wanted, offered) !== undefined;
}

/**
 * The Linux platform of this host's CPU (`linux/amd64` on x86_64), whatever the host OS: Linux
 * containers run on Linux directly, in a VM on macOS, in WSL2 on Windows.
 */
export function hostLinuxPlatform(): OciPlatform {
  return { ...ociPlatformOf(), os: 'linux' };
}

/**
 * The platforms an image pull accepts when the caller names none: the host's Linux platform first,
 * then WASI preview 1. The CLI and `RuntimeRegistry` pass their own list (only the platforms an
 * installed runtime can run), which is how a wasm entry wins when no Linux runtime is available.
 */
export function defaultAcceptPlatforms(): OciPlatform[] {
  return [hostLinuxPlatform(), { ...WASM_PLATFORM }];
}
