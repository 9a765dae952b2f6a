import { describe, expect, it } from 'vitest';
import { formatOciPlatform, ociPlatformOf } from './oci-platform.js';

describe('ociPlatformOf', () => {
  it.each([
    ['linux', 'x64', 'LE', undefined, { os: 'linux', architecture: 'amd64' }],
    ['linux', 'arm64', 'LE', undefined, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['linux', 'arm', 'LE', undefined, { os: 'linux', architecture: 'arm', variant: 'v7' }],
    ['linux', 'arm', 'LE', '6', { os: 'linux', architecture: 'arm', variant: 'v6' }],
    ['linux', 'ia32', 'LE', undefined, { os: 'linux', architecture: '386' }],
    ['linux', 'ppc64', 'LE', undefined, { os: 'linux', architecture: 'ppc64le' }],
    ['linux', 'ppc64', 'BE', undefined, { os: 'linux', architecture: 'ppc64' }],
    ['linux', 's390x', 'BE', undefined, { os: 'linux', architecture: 's390x' }],
    ['linux', 'riscv64', 'LE', undefined, { os: 'linux', architecture: 'riscv64' }],
    ['linux', 'mipsel', 'LE', undefined, { os: 'linux', architecture: 'mipsle' }],
    ['win32', 'x64', 'LE', undefined, { os: 'windows', architecture: 'amd64' }],
    ['darwin', 'arm64', 'LE', undefined, { os: 'darwin', architecture: 'arm64', variant: 'v8' }],
  ] as const)('%s/%s (%s, arm_version %s)', (os, arch, order, armVersion, expected) => {
    expect(ociPlatformOf(os, arch, order, armVersion)).toEqual(expected);
  });

  it('maps this host', () => {
    const p = ociPlatformOf();
    if (process.arch === 'x64') expect(p.architecture).toBe('amd64');
    expect(p.os).toBe(process.platform === 'win32' ? 'windows' : process.platform);
  });

  it('formats as --platform flags do', () => {
    expect(formatOciPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe('linux/arm64/v8');
    expect(formatOciPlatform({ os: 'linux', architecture: 'amd64' })).toBe('linux/amd64');
  });
});
