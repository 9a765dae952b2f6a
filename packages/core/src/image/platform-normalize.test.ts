/**
 * containerd's platform normalisations and matching (platforms/database.go normalizeArch,
 * platforms/compare.go Only), as selectManifest applies them to indexes.
 */
import { describe, expect, it } from 'vitest';
import type { Descriptor, ImageIndex } from './manifest.js';
import { normalizePlatform, parsePlatform, platformMatches } from './platform-match.js';
import { selectManifest } from './select-manifest.js';

const entry = (n: number, platform: string): Descriptor => {
  const [os, architecture, variant] = platform.split('/') as [string, string, string | undefined];
  return { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${String(n).repeat(64).slice(0, 64)}`, size: 100, platform: { os, architecture, ...(variant ? { variant } : {}) } };
};
const index = (...platforms: string[]): ImageIndex => ({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: platforms.map((p, i) => entry(i + 1, p)) });
const pick = (idx: ImageIndex, platform: string) => selectManifest(idx, { platform }, 'img').platform;

describe('containerd normalisations', () => {
  it.each([
    ['linux/x86_64', 'linux/amd64'],
    ['linux/x86-64', 'linux/amd64'],
    ['linux/amd64/v1', 'linux/amd64'],
    ['linux/aarch64', 'linux/arm64/v8'],
    ['linux/arm64', 'linux/arm64/v8'],
    ['linux/arm64/8', 'linux/arm64/v8'],
    ['linux/arm', 'linux/arm/v7'],
    ['linux/armhf', 'linux/arm/v7'],
    ['linux/armel', 'linux/arm/v6'],
    ['linux/arm/7', 'linux/arm/v7'],
    ['linux/i386', 'linux/386'],
    ['Linux/AMD64', 'linux/amd64'],
  ])('%s = %s', (a, b) => {
    expect(normalizePlatform(parsePlatform(a))).toEqual(normalizePlatform(parsePlatform(b)));
  });

  it('an empty variant on either side matches the default variant', () => {
    expect(platformMatches(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm' })).toBe(true);
    expect(platformMatches({ os: 'linux', architecture: 'aarch64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' })).toBe(true);
  });
});

describe('selectManifest picks the best fit', () => {
  it('linux/arm takes v7 over v6 wherever they sit in the index, and never v8', () => {
    expect(pick(index('linux/arm/v6', 'linux/arm/v7', 'linux/arm64'), 'linux/arm')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(pick(index('linux/arm/v5', 'linux/arm/v6'), 'linux/arm')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(() => pick(index('linux/arm/v8'), 'linux/arm')).toThrow(/offers linux\/arm\/v8/);
  });

  it('x86_64 and aarch64 find amd64 and arm64 entries', () => {
    const idx = index('linux/amd64', 'linux/arm64/v8', 'linux/s390x');
    expect(pick(idx, 'linux/x86_64').architecture).toBe('amd64');
    expect(pick(idx, 'linux/aarch64').architecture).toBe('arm64');
  });

  it('linux/arm64 without a variant prefers the v8 entry', () => {
    expect(pick(index('linux/arm64/v9', 'linux/arm64'), 'linux/arm64')).toEqual({ os: 'linux', architecture: 'arm64' });
  });

  it('no fit → NOT_FOUND listing every offered platform and what was wanted', () => {
    let caught: { code: string; message: string; details?: Record<string, unknown> } | undefined;
    try {
      pick(index('linux/amd64', 'linux/arm/v7', 'windows/amd64'), 'linux/riscv64');
    } catch (e) {
      caught = e as typeof caught;
    }
    expect(caught?.code).toBe('NOT_FOUND');
    expect(caught?.message).toContain('it offers linux/amd64, linux/arm/v7, windows/amd64');
    expect(caught?.message).toContain('platform linux/riscv64');
  });
});
