/**
 * The host's OCI platform (image-index.md `platform`): Node's `process.platform` / `process.arch`
 * mapped to Go's GOOS / GOARCH names, as registries and image indexes use them.
 *
 * @module platform/oci-platform
 */
import { endianness } from 'node:os';
import type { OciPlatform } from './types.js';

const OS: Readonly<Record<string, string>> = { win32: 'windows', sunos: 'solaris' };

/**
 * Map Node's platform and arch to an OCI platform.
 *
 * x64 → amd64, arm64 → arm64 variant v8, arm → arm variant v7 (or the `arm_version` Node was built
 * for), ia32 → 386, ppc64 → ppc64le on little-endian hosts, mipsel → mipsle, mips64el → mips64le;
 * s390x, riscv64, loong64 unchanged. win32 → windows; other OS names are already GOOS names.
 *
 * @param armVersion Node's `process.config.variables.arm_version` (`'6'`, `'7'`) when known.
 */
export function ociPlatformOf(
  os: string = process.platform,
  arch: string = process.arch,
  byteOrder: 'BE' | 'LE' = endianness(),
  armVersion: unknown = (process.config.variables as Record<string, unknown>)['arm_version'],
): OciPlatform {
  const goos = OS[os] ?? os;
  switch (arch) {
    case 'x64': return { os: goos, architecture: 'amd64' };
    case 'arm64': return { os: goos, architecture: 'arm64', variant: 'v8' };
    case 'arm': {
      const v = typeof armVersion === 'string' || typeof armVersion === 'number' ? String(armVersion) : '';
      return { os: goos, architecture: 'arm', variant: /^[5-7]$/.test(v) ? `v${v}` : 'v7' };
    }
    case 'ia32': return { os: goos, architecture: '386' };
    case 'ppc64': return { os: goos, architecture: byteOrder === 'LE' ? 'ppc64le' : 'ppc64' };
    case 'mipsel': return { os: goos, architecture: 'mipsle' };
    case 'mips64el': return { os: goos, architecture: 'mips64le' };
    default: return { os: goos, architecture: arch };
  }
}

/** `os/architecture[/variant]`, as `--platform` flags write it (`linux/arm64/v8`). */
export function formatOciPlatform(p: OciPlatform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}
