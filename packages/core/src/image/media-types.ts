/**
 * Media types of the OCI image spec, Docker's image manifest v2 schema 2, and WebAssembly layers.
 *
 * @module image/media-types
 */

export const MediaType = {
  /** OCI image manifest (image-spec manifest.md). */
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  /** OCI image index (image-spec image-index.md). */
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  /** OCI image config (image-spec config.md). */
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  /** OCI empty descriptor (artifacts without a config). */
  OciEmpty: 'application/vnd.oci.empty.v1+json',
  OciLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerTarZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciLayerNondistributableTar: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciLayerNondistributableTarGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciLayerNondistributableTarZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  /** Docker image manifest v2 schema 2. */
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  /** Docker manifest list (the schema 2 multi-platform index). */
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** Docker schema 1 (signed and unsigned): deprecated, refused. */
  DockerManifestV1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerManifestV1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerTarGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerLayerForeignTarGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  /** A layer that is a WebAssembly binary itself (wasm-to-oci, runwasi). */
  Wasm: 'application/wasm',
  /** The wasm OCI artifact layer type (CNCF TAG runtime wasm-oci-artifact, runwasi). */
  WasmContentLayer: 'application/vnd.wasm.content.layer.v1+wasm',
  /** The wasm OCI artifact config (CNCF TAG runtime wasm-oci-artifact). */
  WasmConfig: 'application/vnd.wasm.config.v0+json',
  /** The older wasm-to-oci config type. */
  WasmConfigV1: 'application/vnd.wasm.config.v1+json',
} as const;

/** The `Accept` header of a manifest GET: OCI manifest + index, Docker schema 2 manifest + list. */
export const MANIFEST_ACCEPT = [
  MediaType.OciManifest,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.DockerManifestList,
].join(', ');

/** Media types of image manifests. */
export const MANIFEST_MEDIA_TYPES: ReadonlySet<string> = new Set([MediaType.OciManifest, MediaType.DockerManifest]);
/** Media types of indexes (multi-platform). */
export const INDEX_MEDIA_TYPES: ReadonlySet<string> = new Set([MediaType.OciIndex, MediaType.DockerManifestList]);
/** Docker schema 1 manifests. */
export const SCHEMA1_MEDIA_TYPES: ReadonlySet<string> = new Set([MediaType.DockerManifestV1, MediaType.DockerManifestV1Signed]);

/** Layer media types whose blob is the WebAssembly binary itself. */
export const WASM_LAYER_MEDIA_TYPES: ReadonlySet<string> = new Set([MediaType.Wasm, MediaType.WasmContentLayer]);

/** Layer media types that are tar archives (possibly compressed). */
export const TAR_LAYER_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MediaType.OciLayerTar,
  MediaType.OciLayerTarGzip,
  MediaType.OciLayerTarZstd,
  MediaType.OciLayerNondistributableTar,
  MediaType.OciLayerNondistributableTarGzip,
  MediaType.OciLayerNondistributableTarZstd,
  MediaType.DockerLayerTarGzip,
  MediaType.DockerLayerForeignTarGzip,
]);

/** Config media types magikrun understands as (container or wasm) image configs. */
export const CONFIG_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MediaType.OciConfig,
  MediaType.DockerConfig,
  MediaType.WasmConfig,
  MediaType.WasmConfigV1,
  MediaType.OciEmpty,
]);

/** The media type without parameters, lower-cased (`application/json; charset=utf-8` → `application/json`). */
export function baseMediaType(value: string | undefined | null): string {
  return (value ?? '').split(';')[0]!.trim().toLowerCase();
}
