import { describe, expect, it } from 'vitest';
import { parseManifestDocument } from './manifest.js';
import { MediaType } from './media-types.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const desc = (mediaType: string, c = 'a', size = 10) => ({ mediaType, digest: d(c), size });
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));

const ociManifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: desc(MediaType.OciConfig), layers: [desc(MediaType.OciLayerTarGzip, 'b')] };
const ociIndex = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ ...desc(MediaType.OciManifest, 'c'), platform: { os: 'linux', architecture: 'amd64' } }] };

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('parseManifestDocument', () => {
  it('parses an OCI manifest and index', () => {
    const m = parseManifestDocument(bytes(ociManifest), MediaType.OciManifest, 'x');
    expect(m.kind).toBe('manifest');
    if (m.kind === 'manifest') expect(m.manifest.layers[0]?.digest).toBe(d('b'));
    const i = parseManifestDocument(bytes(ociIndex), MediaType.OciIndex, 'x');
    expect(i.kind).toBe('index');
    if (i.kind === 'index') expect(i.index.manifests[0]?.platform).toEqual({ os: 'linux', architecture: 'amd64' });
  });

  it('parses Docker schema 2 manifest and manifest list', () => {
    const m = { schemaVersion: 2, mediaType: MediaType.DockerManifest, config: desc(MediaType.DockerConfig), layers: [desc(MediaType.DockerLayerTarGzip, 'b')] };
    expect(parseManifestDocument(bytes(m), `${MediaType.DockerManifest}; charset=utf-8`, 'x').kind).toBe('manifest');
    const l = { schemaVersion: 2, mediaType: MediaType.DockerManifestList, manifests: [desc(MediaType.DockerManifest, 'c')] };
    expect(parseManifestDocument(bytes(l), MediaType.DockerManifestList, 'x').kind).toBe('index');
  });

  it('takes the media type from the Content-Type when the document has none (allowed for OCI)', () => {
    const { mediaType: _omit, ...noType } = ociManifest;
    const m = parseManifestDocument(bytes(noType), MediaType.OciManifest, 'x');
    expect(m.kind === 'manifest' && m.manifest.mediaType).toBe(MediaType.OciManifest);
  });

  it('lets the shape decide when neither says (generic application/json)', () => {
    const { mediaType: _a, ...m } = ociManifest;
    const { mediaType: _b, ...i } = ociIndex;
    expect(parseManifestDocument(bytes(m), 'application/json', 'x').kind).toBe('manifest');
    expect(parseManifestDocument(bytes(i), undefined, 'x').kind).toBe('index');
  });

  it('refuses Docker schema 1 as UNSUPPORTED, by media type or schemaVersion', () => {
    expect(codeOf(() => parseManifestDocument(bytes({ schemaVersion: 1, name: 'x', fsLayers: [] }), 'application/json', 'x'))).toBe('UNSUPPORTED');
    expect(codeOf(() => parseManifestDocument(bytes({ schemaVersion: 1 }), MediaType.DockerManifestV1Signed, 'x'))).toBe('UNSUPPORTED');
    expect(() => parseManifestDocument(bytes({ schemaVersion: 1 }), MediaType.DockerManifestV1, 'x')).toThrow(/schema 1 is deprecated/);
  });

  it('refuses a Content-Type that contradicts the document (REGISTRY)', () => {
    expect(codeOf(() => parseManifestDocument(bytes(ociManifest), MediaType.DockerManifest, 'x'))).toBe('REGISTRY');
  });

  it('refuses shapes that contradict the media type', () => {
    const indexLabelledManifest = { ...ociIndex, mediaType: MediaType.OciManifest };
    expect(codeOf(() => parseManifestDocument(bytes(indexLabelledManifest), undefined, 'x'))).toBe('INVALID_ARGUMENT');
    const manifestLabelledIndex = { ...ociManifest, mediaType: MediaType.OciIndex };
    expect(codeOf(() => parseManifestDocument(bytes(manifestLabelledIndex), undefined, 'x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseManifestDocument(bytes({ ...ociIndex, layers: [] }), undefined, 'x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseManifestDocument(bytes({ ...ociManifest, layers: undefined }), undefined, 'x'))).toBe('INVALID_ARGUMENT');
  });

  it('refuses broken JSON, wrong schemaVersion and bad descriptors', () => {
    expect(codeOf(() => parseManifestDocument(Buffer.from('{'), MediaType.OciManifest, 'x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseManifestDocument(bytes([]), MediaType.OciManifest, 'x'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => parseManifestDocument(bytes({ ...ociManifest, schemaVersion: 3 }), undefined, 'x'))).toBe('INVALID_ARGUMENT');
    const badDigest = { ...ociManifest, layers: [{ mediaType: MediaType.OciLayerTar, digest: 'sha256:../../etc/passwd', size: 1 }] };
    expect(codeOf(() => parseManifestDocument(bytes(badDigest), undefined, 'x'))).toBe('INVALID_ARGUMENT');
    const negSize = { ...ociManifest, layers: [{ ...desc(MediaType.OciLayerTar), size: -1 }] };
    expect(codeOf(() => parseManifestDocument(bytes(negSize), undefined, 'x'))).toBe('INVALID_ARGUMENT');
    const sha512 = { ...ociManifest, layers: [{ mediaType: MediaType.OciLayerTar, digest: `sha512:${'a'.repeat(128)}`, size: 1 }] };
    expect(codeOf(() => parseManifestDocument(bytes(sha512), undefined, 'x'))).toBe('UNSUPPORTED');
    const noConfig = { schemaVersion: 2, mediaType: MediaType.OciManifest, layers: [] };
    expect(codeOf(() => parseManifestDocument(bytes(noConfig), undefined, 'x'))).toBe('INVALID_ARGUMENT');
  });

  it('refuses unknown manifest media types as UNSUPPORTED', () => {
    expect(codeOf(() => parseManifestDocument(bytes({ ...ociManifest, mediaType: 'application/vnd.example+json' }), undefined, 'x'))).toBe('UNSUPPORTED');
  });
});
