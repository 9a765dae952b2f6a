/**
 * The checks of parseManifestDocument that guard a pull before anything is downloaded: media type,
 * Content-Type and shape agree; schema 1 refused; entry counts bounded; descriptors well-formed.
 */
import { describe, expect, it } from 'vitest';
import { MAX_INDEX_ENTRIES, parseManifestDocument } from './manifest.js';
import { MediaType } from './media-types.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (mediaType: string, c = 'a', size = 10) => ({ mediaType, digest: D(c), size });
const enc = (doc: unknown) => Buffer.from(JSON.stringify(doc));
const manifest = (extra: Record<string, unknown> = {}) => ({ schemaVersion: 2, config: desc(MediaType.OciConfig), layers: [desc(MediaType.OciLayerTarGzip, 'b')], ...extra });
const index = (n = 1, extra: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  manifests: Array.from({ length: n }, () => ({ ...desc(MediaType.OciManifest), platform: { os: 'linux', architecture: 'amd64' } })),
  ...extra,
});
const codeOf = (bytes: Buffer, ct: string | undefined): string | undefined => {
  try {
    parseManifestDocument(bytes, ct, 'img');
    return undefined;
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('media type, Content-Type and shape must agree', () => {
  it.each([
    ['manifests + layers, generic type', enc({ ...index(), layers: [] }), 'application/json', 'INVALID_ARGUMENT'],
    ['manifests + layers, declared index', enc({ ...index(), mediaType: MediaType.OciIndex, layers: [] }), undefined, 'INVALID_ARGUMENT'],
    ['manifests + config, declared Docker list', enc({ ...index(), mediaType: MediaType.DockerManifestList, config: desc(MediaType.DockerConfig) }), undefined, 'INVALID_ARGUMENT'],
    ['manifests in a declared manifest', enc({ ...manifest(), mediaType: MediaType.OciManifest, manifests: [] }), undefined, 'INVALID_ARGUMENT'],
    ['index shape served as a manifest', enc(index()), MediaType.OciManifest, 'INVALID_ARGUMENT'],
    ['manifest shape served as a Docker list', enc(manifest()), MediaType.DockerManifestList, 'INVALID_ARGUMENT'],
    ['declared OCI manifest, Content-Type Docker manifest', enc({ ...manifest(), mediaType: MediaType.OciManifest }), MediaType.DockerManifest, 'REGISTRY'],
    ['declared OCI index, Content-Type OCI manifest', enc({ ...index(), mediaType: MediaType.OciIndex }), MediaType.OciManifest, 'REGISTRY'],
    ['schema 1 by Content-Type', enc({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }), MediaType.DockerManifestV1Signed, 'UNSUPPORTED'],
    ['schema 1 by schemaVersion under application/json', enc({ schemaVersion: 1, fsLayers: [] }), 'application/json', 'UNSUPPORTED'],
    ['schema 1 declared in the document', enc({ schemaVersion: 2, mediaType: MediaType.DockerManifestV1 }), undefined, 'UNSUPPORTED'],
    ['an artifact manifest type', enc({ ...manifest(), mediaType: 'application/vnd.oci.artifact.manifest.v1+json' }), undefined, 'UNSUPPORTED'],
    ['neither shape', enc({ schemaVersion: 2 }), 'application/json', 'INVALID_ARGUMENT'],
  ])('%s → %s', (_name, bytes, ct, code) => {
    expect(codeOf(bytes as Buffer, ct as string | undefined)).toBe(code);
  });

  it('Content-Type parameters and case do not matter', () => {
    expect(parseManifestDocument(enc(manifest()), `${MediaType.OciManifest.toUpperCase()}; charset=utf-8`, 'img').kind).toBe('manifest');
  });
});

describe('bounds and descriptors', () => {
  it(`an index with more than ${MAX_INDEX_ENTRIES} entries → LIMIT_EXCEEDED; ${MAX_INDEX_ENTRIES} is fine`, () => {
    expect(codeOf(enc(index(MAX_INDEX_ENTRIES)), MediaType.OciIndex)).toBeUndefined();
    expect(codeOf(enc(index(MAX_INDEX_ENTRIES + 1)), MediaType.OciIndex)).toBe('LIMIT_EXCEEDED');
  });

  it.each([
    ['negative size', { ...desc(MediaType.OciLayerTarGzip), size: -1 }, 'INVALID_ARGUMENT'],
    ['fractional size', { ...desc(MediaType.OciLayerTarGzip), size: 1.5 }, 'INVALID_ARGUMENT'],
    ['size beyond 2^53', { ...desc(MediaType.OciLayerTarGzip), size: 2 ** 60 }, 'INVALID_ARGUMENT'],
    ['size as a string', { ...desc(MediaType.OciLayerTarGzip), size: '10' }, 'INVALID_ARGUMENT'],
    ['upper-case hex', { ...desc(MediaType.OciLayerTarGzip), digest: `sha256:${'A'.repeat(64)}` }, 'INVALID_ARGUMENT'],
    ['sha512', { ...desc(MediaType.OciLayerTarGzip), digest: `sha512:${'a'.repeat(128)}` }, 'UNSUPPORTED'],
    ['no mediaType', { digest: D('c'), size: 1 }, 'INVALID_ARGUMENT'],
    ['urls not strings', { ...desc(MediaType.OciLayerTarGzip), urls: [1] }, 'INVALID_ARGUMENT'],
  ])('a layer with %s → %s', (_n, layer, code) => {
    expect(codeOf(enc(manifest({ layers: [layer] })), MediaType.OciManifest)).toBe(code);
  });
});
