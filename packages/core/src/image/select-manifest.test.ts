import { describe, expect, it } from 'vitest';
import type { ImageIndex } from './manifest.js';
import { MediaType } from './media-types.js';
import { hostLinuxPlatform, isWasmPlatform, normalizePlatform, parsePlatform, platformMatches } from './platform-match.js';
import { selectManifest } from './select-manifest.js';

const entry = (c: string, os: string, architecture: string, variant?: string) => ({
  mediaType: MediaType.OciManifest,
  digest: `sha256:${c.repeat(64)}`,
  size: 100,
  platform: { os, architecture, ...(variant ? { variant } : {}) },
});
const index = (...manifests: ReturnType<typeof entry>[]): ImageIndex => ({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests });

const host = hostLinuxPlatform();
const both = index(entry('a', host.os, host.architecture, host.variant), entry('b', 'wasip1', 'wasm'));

describe('platform strings', () => {
  it('parses and normalises', () => {
    expect(parsePlatform('linux/amd64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/aarch64')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('linux/arm')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('linux/arm/6')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(parsePlatform('wasi/wasm')).toEqual({ os: 'wasip1', architecture: 'wasm' });
    expect(parsePlatform('wasip1')).toEqual({ os: 'wasip1', architecture: 'wasm' });
    expect(parsePlatform('wasi/wasm32')).toEqual({ os: 'wasip1', architecture: 'wasm' });
    expect(normalizePlatform({ os: 'Linux', architecture: 'AMD64' })).toEqual({ os: 'linux', architecture: 'amd64' });
  });
  it('refuses malformed platforms', () => {
    expect(() => parsePlatform('linux/amd64/v1/x')).toThrow(/invalid platform/);
    expect(() => parsePlatform('linux//amd64')).toThrow(/invalid platform/);
    expect(() => parsePlatform('')).toThrow(/invalid platform/);
    expect(() => parsePlatform({ os: '', architecture: 'x' })).toThrow(/invalid platform/);
    expect(() => parsePlatform('garbage')).toThrow(/neither a known OS nor a known architecture/);
  });
  it('takes one word as containerd does: a known OS with the host architecture, or a Linux architecture', () => {
    expect(parsePlatform('linux')).toEqual(hostLinuxPlatform());
    expect(parsePlatform('arm64')).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(parsePlatform('x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
  });
  it('matches with variants and aliases', () => {
    expect(platformMatches(parsePlatform('linux/arm64'), { os: 'linux', architecture: 'arm64' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm/v7'), { os: 'linux', architecture: 'arm', variant: 'v6' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/arm/v6'), { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(false);
    expect(platformMatches(parsePlatform('wasip1/wasm'), { os: 'wasi', architecture: 'wasm' })).toBe(true);
    expect(platformMatches(parsePlatform('linux/amd64'), { os: 'linux', architecture: 'arm64' })).toBe(false);
    expect(platformMatches(parsePlatform('linux/amd64'), { os: 'windows', architecture: 'amd64' })).toBe(false);
  });
  it('knows wasm platforms', () => {
    expect(isWasmPlatform({ os: 'wasip1', architecture: 'wasm' })).toBe(true);
    expect(isWasmPlatform({ os: 'wasi', architecture: 'wasm' })).toBe(true);
    expect(isWasmPlatform({ os: 'wasip2', architecture: 'wasm32' })).toBe(true);
    expect(isWasmPlatform({ os: 'linux', architecture: 'amd64' })).toBe(false);
  });
});

describe('selectManifest: the Linux-or-wasm rule', () => {
  it('prefers the host Linux platform when the caller names nothing', () => {
    expect(selectManifest(both, {}, 'img').descriptor.digest).toBe(`sha256:${'a'.repeat(64)}`);
  });
  it('chooses wasm when the caller says no Linux runtime is available', () => {
    const r = selectManifest(both, { acceptPlatforms: ['wasip1/wasm'] }, 'img');
    expect(r.descriptor.digest).toBe(`sha256:${'b'.repeat(64)}`);
    expect(r.platform).toEqual({ os: 'wasip1', architecture: 'wasm' });
  });
  it('follows the caller preference order', () => {
    expect(selectManifest(both, { acceptPlatforms: ['wasip1/wasm', `linux/${host.architecture}`] }, 'img').descriptor.digest).toBe(`sha256:${'b'.repeat(64)}`);
  });
  it('an explicit platform decides, whatever acceptPlatforms says', () => {
    expect(selectManifest(both, { platform: 'wasi/wasm', acceptPlatforms: [`linux/${host.architecture}`] }, 'img').descriptor.digest).toBe(`sha256:${'b'.repeat(64)}`);
    expect(selectManifest(both, { platform: `linux/${host.architecture}`, acceptPlatforms: ['wasip1/wasm'] }, 'img').descriptor.digest).toBe(`sha256:${'a'.repeat(64)}`);
  });
  it('takes a wasm-only index by default (no conflict to decide)', () => {
    expect(selectManifest(index(entry('b', 'wasip1', 'wasm')), {}, 'img').descriptor.digest).toBe(`sha256:${'b'.repeat(64)}`);
  });
  it('fails with NOT_FOUND listing what is offered', () => {
    let e: unknown;
    try {
      selectManifest(index(entry('c', 'linux', 's390x'), entry('d', 'windows', 'amd64')), { acceptPlatforms: ['linux/riscv64'] }, 'img');
    } catch (x) {
      e = x;
    }
    expect((e as { code: string }).code).toBe('NOT_FOUND');
    expect((e as Error).message).toContain('linux/s390x, windows/amd64');
    expect((e as Error).message).toContain('linux/riscv64');
    expect(() => selectManifest(both, { platform: 'linux/riscv64' }, 'img')).toThrow(/has no image for platform linux\/riscv64; it offers/);
  });
  it('ignores attestation entries and entries without a platform', () => {
    const att = { ...entry('e', 'unknown', 'unknown') };
    const noPlatform = { mediaType: MediaType.OciManifest, digest: `sha256:${'f'.repeat(64)}`, size: 1 };
    expect(() => selectManifest({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [att, noPlatform] }, {}, 'img')).toThrow(/offers nothing runnable|offers unknown/);
  });
});
