/**
 * Hand-writing pieces of an OCI image layout (image-spec image-layout.md), for the images no installed
 * tool can make: a manifest whose layer is a raw `application/wasm` module (Debian has no oras), and an
 * image index offering several platforms (umoci makes single-platform images only and skopeo copies
 * indexes but does not assemble them).
 *
 * Everything else about the test images is made by umoci and skopeo; see build-*.sh.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MT = Object.freeze({
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  wasm: 'application/wasm',
  wasmLayer: 'application/vnd.wasm.content.layer.v1+wasm',
});

/** sha256 digest string of some bytes. */
export function sha256(bytes) {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Create an empty OCI layout at `dir` unless one is there already. */
export function initLayout(dir) {
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  if (!existsSync(join(dir, 'oci-layout'))) {
    writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  }
  if (!existsSync(join(dir, 'index.json'))) {
    writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [] }));
  }
}

/** Store bytes (Buffer or JSON-able value) as a blob; returns its descriptor. */
export function writeBlob(dir, mediaType, content) {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(JSON.stringify(content));
  const digest = sha256(bytes);
  writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
  return { mediaType, digest, size: bytes.length };
}

/** Read a blob of the layout (as a Buffer). */
export function readBlob(dir, digest) {
  return readFileSync(join(dir, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
}

/** The descriptor tagged `tag` in the layout's index.json. */
export function findTag(dir, tag) {
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
  const d = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!d) throw new Error(`${dir} has no tag ${tag}`);
  return d;
}

/** Point `tag` at `descriptor` in index.json (replacing an earlier entry of that tag). */
export function tagDescriptor(dir, descriptor, tag) {
  const file = join(dir, 'index.json');
  const index = JSON.parse(readFileSync(file, 'utf8'));
  index.manifests = index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] !== tag);
  index.manifests.push({ ...descriptor, annotations: { 'org.opencontainers.image.ref.name': tag } });
  writeFileSync(file, JSON.stringify(index));
}

/**
 * Write an image whose single layer is the module itself (the wasm OCI artifact shape of
 * wasm-to-oci / runwasi's "wasm media type" images), with an OCI image config naming the entrypoint.
 * @param {string} dir layout directory (created if needed)
 * @param {Buffer} module the `.wasm` bytes
 * @param {{ tag: string, layerMediaType?: string, entrypoint?: string[], cmd?: string[], env?: string[],
 *           os?: string, architecture?: string }} o
 */
export function writeWasmLayerImage(dir, module, o) {
  initLayout(dir);
  const layer = writeBlob(dir, o.layerMediaType ?? MT.wasm, module);
  const config = writeBlob(dir, MT.ociConfig, {
    architecture: o.architecture ?? 'wasm',
    os: o.os ?? 'wasip1',
    config: {
      Entrypoint: o.entrypoint ?? ['/module.wasm'],
      ...(o.cmd ? { Cmd: o.cmd } : {}),
      Env: o.env ?? [],
    },
    // A raw wasm layer is not a tar stream; its "diff id" is the blob digest itself, as wasm-to-oci does.
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  });
  const manifest = writeBlob(dir, MT.ociManifest, {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config,
    layers: [layer],
  });
  tagDescriptor(dir, manifest, o.tag);
  return manifest;
}

/**
 * Write an image index over manifests already in the layout, each with its platform, and tag it.
 * @param {string} dir
 * @param {{ descriptor: object, platform: { os: string, architecture: string, variant?: string } }[]} entries
 * @param {string} tag
 */
export function writeIndex(dir, entries, tag) {
  const index = writeBlob(dir, MT.ociIndex, {
    schemaVersion: 2,
    mediaType: MT.ociIndex,
    manifests: entries.map((e) => ({
      mediaType: e.descriptor.mediaType,
      digest: e.descriptor.digest,
      size: e.descriptor.size,
      platform: e.platform,
    })),
  });
  tagDescriptor(dir, index, tag);
  return index;
}
