/**
 * `pullImage`: reference → verified manifest, config and layers in the BlobStore → local index entry.
 *
 * Order of checks (each fails closed, before the next download): reference syntax; manifest size
 * (MAX_MANIFEST_SIZE) and digest (the pinned digest, the layout's descriptor, or Docker-Content-Digest);
 * media type and shape; platform choice from an index; the child manifest's digest and size; layer
 * count (MAX_LAYERS), each layer's size (MAX_LAYER_SIZE) and their sum (MAX_ROOTFS_SIZE); the config's
 * size and digest; then the layers, `concurrency` at a time, each streamed into the store resumably
 * (image/fetch-blobs.ts), which commits it only if it hashes to its digest. The index entry `<root>/images/…` is written last, so a failed pull leaves no entry and no
 * unverified blob (verified blobs may stay, as containerd keeps them).
 *
 * @module image/pull
 */
import { checkLimit, IMAGE_PULL_TIMEOUT, resolveLimits, type Limits } from '../constants.js';
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import type { OciPlatform } from '../platform/types.js';
import type { BlobStore } from '../storage/blob-store.js';
import { sha256Digest } from '../storage/digest.js';
import type { ImageFetcher } from './fetcher.js';
import { checkConcurrency, fetchBlobs, OverallProgress, type FetchBlobsOptions } from './fetch-blobs.js';
import { parseImageConfig, type ImageConfig } from './image-config.js';
import { LayoutFetcher } from './layout-fetcher.js';
import { importDockerArchive } from './docker-archive.js';
import { withExtractedArchive } from './extracted-archive.js';
import { LocalImageIndex } from './local-index.js';
import type { Lease } from '../storage/lease-types.js';
import { parseManifestDocument, rejectSchema1, type Descriptor, type ImageManifest } from './manifest.js';
import { INDEX_MEDIA_TYPES } from './media-types.js';
import { formatPlatform, parsePlatform, platformMatches } from './platform-match.js';
import { RegistryClient, registryAccess } from './registry-client.js';
import { checkDistributable } from './non-distributable.js';
import { verifyBytes } from './verify-bytes.js';
import { RegistryFetcher } from './registry-fetcher.js';
import { selectManifest } from './select-manifest.js';
import { parseImageSource, sourceKey, type ArchiveReference, type ImageSource } from './source.js';
import type { PulledImage, PullOptions, PullProgress } from './types.js';

/** How many nested indexes a pull follows (index → index → manifest). */
const MAX_INDEX_DEPTH = 2;

function fetcherFor(source: ImageSource, limits: Limits, options: PullOptions): ImageFetcher {
  if (source.transport === 'oci') return new LayoutFetcher(source.layout, limits.maxManifestSize);
  if (source.transport !== 'docker') throw err(ErrorCode.Internal, `no fetcher for ${source.transport} sources`, {});
  const client = new RegistryClient(source.reference.registry, registryAccess(options));
  return new RegistryFetcher(client, source.reference, limits.maxManifestSize);
}

function checkLayerLimits(manifest: ImageManifest, limits: Limits, label: string): void {
  if (manifest.layers.length > limits.maxLayers) {
    throw err(ErrorCode.LimitExceeded, `${label} has ${manifest.layers.length} layers, more than the limit of ${limits.maxLayers}`, {
      limit: 'maxLayers',
      max: limits.maxLayers,
      value: manifest.layers.length,
    });
  }
  let total = 0;
  for (const l of manifest.layers) {
    if (l.size > limits.maxLayerSize) {
      throw err(ErrorCode.LimitExceeded, `${label}: layer ${l.digest} is ${l.size} bytes, more than the layer limit of ${limits.maxLayerSize}`, {
        limit: 'maxLayerSize',
        max: limits.maxLayerSize,
        value: l.size,
        digest: l.digest,
      });
    }
    total += l.size;
  }
  if (total > limits.maxRootfsSize) {
    throw err(ErrorCode.LimitExceeded, `${label}: its layers total ${total} bytes, more than the limit of ${limits.maxRootfsSize}`, {
      limit: 'maxRootfsSize',
      max: limits.maxRootfsSize,
      value: total,
    });
  }
  if (manifest.config.size > limits.maxManifestSize) {
    throw err(ErrorCode.LimitExceeded, `${label}: its config is ${manifest.config.size} bytes, more than the limit of ${limits.maxManifestSize}`, {
      limit: 'maxManifestSize',
      max: limits.maxManifestSize,
      value: manifest.config.size,
    });
  }
}

/**
 * Pull an image into `store` and record it in the local image index.
 *
 * @param reference a registry reference (`alpine`, `127.0.0.1:5000/hello:v1`, `x@sha256:…`) or an OCI
 *   layout `oci:DIR[:TAG]`, or an already parsed {@link ImageSource}.
 * @param store where blobs go; its `root` also holds the image index (`<root>/images/`).
 * @returns the image, with manifest and parsed config.
 * @throws MagikrunError `INVALID_ARGUMENT` (reference, malformed manifest/config, bad option),
 *   `NOT_FOUND` (registry 404 — the message names the reference — or no manifest for the platform),
 *   `UNSUPPORTED` (schema 1, unknown media types, non-sha256 digests), `DIGEST_MISMATCH`,
 *   `LIMIT_EXCEEDED`, `UNAUTHORIZED`, `REGISTRY`, `TIMEOUT` (after `timeoutMs`), `ABORTED`.
 * @see https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
 */
export async function pullImage(reference: string | ImageSource, store: BlobStore, options: PullOptions = {}): Promise<PulledImage> {
  const source = typeof reference === 'string' ? parseImageSource(reference, options.cwd) : reference;
  const limits = resolveLimits(options.limits);
  const timeoutMs =
    options.timeoutMs === undefined ? IMAGE_PULL_TIMEOUT : checkLimit('timeoutMs', options.timeoutMs, IMAGE_PULL_TIMEOUT, options.limits?.allowAboveDefault === true);
  if (options.platform !== undefined) parsePlatform(options.platform);
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  const key = sourceKey(source);
  try {
    if (options.signal?.aborted) throw options.signal.reason;
    if (source.transport === 'oci-archive' || source.transport === 'docker-archive') {
      return await importArchive(source.transport, source.archive, store, { ...options, signal });
    }
    // The lease keeps this pull's blobs (cached ones too) from gc until the index entry exists.
    const lease = await store.leases.create({ labels: { pull: key } });
    try {
      return await pullInner(source, key, store, limits, options, signal, lease);
    } finally {
      await lease.release();
    }
  } catch (e) {
    if (deadline.aborted && !options.signal?.aborted) {
      throw err(ErrorCode.Timeout, `pulling ${key} took longer than ${timeoutMs} ms; nothing was recorded (verified blobs are kept, so a retry resumes)`, { reference: key, timeoutMs }, e);
    }
    if (options.signal?.aborted) {
      if (isMagikrunError(e, ErrorCode.Aborted)) throw e;
      throw err(ErrorCode.Aborted, `pulling ${key} was aborted; nothing was recorded`, { reference: key }, e);
    }
    throw e;
  }
}

/**
 * Import the image an archive source names into `store` and record it under `archive.canonical`:
 * `oci-archive:FILE[:TAG]` (an OCI image layout in a tar, as skopeo writes it) is extracted and read
 * exactly like an `oci:` layout (the same checks as a pull); `docker-archive:FILE[:REF]` (a `docker
 * save` archive) is converted by `importDockerArchive`. Blobs are held by a lease until the image index
 * entry exists, so a concurrent `gc` cannot sweep them.
 *
 * @throws MagikrunError `NOT_FOUND` (no file; no image with that tag/ref), `INVALID_ARGUMENT`
 *   (not a tar, malformed index.json / manifest.json, several images and none named), `PATH_ESCAPE`,
 *   `LIMIT_EXCEEDED`, `DIGEST_MISMATCH` (a blob or a layer's diff_id does not match), `ABORTED`,
 *   `TIMEOUT`, and any error of `pullImage` for the `oci-archive` form.
 */
export async function importArchive(
  transport: 'oci-archive' | 'docker-archive',
  archive: ArchiveReference,
  store: BlobStore,
  options: PullOptions = {},
): Promise<PulledImage> {
  return withExtractedArchive(archive.file, store, options, async (extracted) => {
    if (transport === 'docker-archive') return importDockerArchive(extracted, archive, store, options);
    // An OCI layout: read it as `oci:` would be, recorded under the archive's key.
    return pullImage({ transport: 'oci', layout: { dir: extracted.dir, tag: archive.ref, canonical: archive.canonical } }, store, options);
  });
}

async function pullInner(
  source: ImageSource,
  key: string,
  store: BlobStore,
  limits: Limits,
  options: PullOptions,
  signal: AbortSignal,
  lease: Lease,
): Promise<PulledImage> {
  const fetcher = fetcherFor(source, limits, options);
  const progress = (p: PullProgress) => options.onProgress?.(p);
  const label = fetcher.label;

  // 1. The document the reference points at.
  const top = await fetcher.top(signal);
  rejectSchema1(top.contentType, label);
  const topDigest = verifyBytes(top.bytes, top.expectedDigest, top.expectedSize, `the manifest of ${label}`, top.expectedFrom);
  let doc = parseManifestDocument(top.bytes, top.contentType, label);
  const pending: { digest: string; bytes: Buffer }[] = [{ digest: topDigest, bytes: top.bytes }];
  progress({ kind: doc.kind, digest: topDigest, completed: top.bytes.length, total: top.bytes.length, cached: false, done: true });

  // 2. Indexes: choose the platform, fetch the child (verified against its descriptor).
  let indexDigest: string | undefined;
  let manifestDigest = topDigest;
  let chosen: OciPlatform | undefined;
  for (let depth = 0; doc.kind === 'index'; depth++) {
    if (depth >= MAX_INDEX_DEPTH) throw err(ErrorCode.Unsupported, `${label}: indexes nested more than ${MAX_INDEX_DEPTH} deep are not supported`, { reference: key });
    indexDigest ??= manifestDigest;
    const { descriptor, platform } = selectManifest(doc.index, options, label);
    chosen = platform;
    if (descriptor.size > limits.maxManifestSize) {
      throw err(ErrorCode.LimitExceeded, `${label}: manifest ${descriptor.digest} is ${descriptor.size} bytes, more than the limit of ${limits.maxManifestSize}`, {
        limit: 'maxManifestSize',
        max: limits.maxManifestSize,
        value: descriptor.size,
      });
    }
    const bytes = await fetcher.manifest(descriptor, limits.maxManifestSize, signal);
    manifestDigest = verifyBytes(bytes, descriptor.digest, descriptor.size, `manifest ${descriptor.digest} of ${label}`, 'the index');
    doc = parseManifestDocument(bytes, descriptor.mediaType, `manifest ${descriptor.digest} of ${label}`);
    if (INDEX_MEDIA_TYPES.has(descriptor.mediaType) !== (doc.kind === 'index')) {
      throw err(ErrorCode.InvalidArgument, `${label}: the index says ${descriptor.digest} is ${descriptor.mediaType}, but it is not`, { digest: descriptor.digest });
    }
    pending.push({ digest: manifestDigest, bytes });
    progress({ kind: doc.kind, digest: manifestDigest, completed: bytes.length, total: bytes.length, cached: false, done: true });
  }
  const manifest = doc.manifest;

  // 3. Limits, before any layer is downloaded.
  checkLayerLimits(manifest, limits, label);
  checkDistributable(manifest, options.allowNonDistributable === true, label);
  await Promise.all([...pending.map((p) => p.digest), manifest.config.digest, ...manifest.layers.map((l) => l.digest)].map((d) => lease.add(d)));

  // 4. The config: small, read whole, verified, parsed.
  const blobOptions: FetchBlobsOptions = {
    signal,
    progress,
    concurrency: checkConcurrency(options.concurrency),
    overall: new OverallProgress(manifestDigest, [manifest.config, ...manifest.layers], progress),
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
  };
  const config = await fetchConfig(fetcher, store, manifest.config, limits, label, blobOptions);
  if (options.platform !== undefined && chosen === undefined && config.platform.os !== '') {
    const want = parsePlatform(options.platform);
    if (!platformMatches(want, config.platform)) {
      throw err(
        ErrorCode.NotFound,
        `${label} was found but is for platform ${formatPlatform(config.platform)}, not the requested ${formatPlatform(want)}`,
        { reference: key, wanted: formatPlatform(want), actual: formatPlatform(config.platform) },
      );
    }
  }

  // 5. Layers, streamed into the store (verified there before they become visible).
  // Parallel (`concurrency`), resumable, skipping stored blobs; see fetch-blobs.ts.
  const layerJobs = manifest.layers.map((descriptor) => ({ kind: 'layer' as const, descriptor, maxSize: limits.maxLayerSize }));
  await fetchBlobs(fetcher, store, layerJobs, blobOptions);
  blobOptions.overall.finish();

  // 6. Manifests (already verified) into the store, then the index entry.
  for (const p of pending) await store.put(p.digest, p.bytes, { signal });
  const size = manifest.layers.reduce((n, l) => n + l.size, manifest.config.size) + pending[pending.length - 1]!.bytes.length;
  const platform = config.platform.os !== '' ? config.platform : (chosen ?? config.platform);
  const entry = {
    reference: key,
    digest: manifestDigest,
    mediaType: manifest.mediaType,
    ...(indexDigest !== undefined ? { indexDigest } : {}),
    platform,
    size,
    pulledAt: new Date().toISOString(),
  };
  if (signal.aborted) throw signal.reason;
  await new LocalImageIndex(store.root).set(entry);
  return {
    reference: key,
    digest: manifestDigest,
    mediaType: manifest.mediaType,
    ...(indexDigest !== undefined ? { indexDigest } : {}),
    manifest,
    config,
    platform,
    size,
  };
}

async function fetchConfig(
  fetcher: ImageFetcher,
  store: BlobStore,
  d: Descriptor,
  limits: Limits,
  label: string,
  blobOptions: FetchBlobsOptions,
): Promise<ImageConfig> {
  // Verified against its digest and size on the way in (or already stored with that size).
  await fetchBlobs(fetcher, store, [{ kind: 'config', descriptor: d, maxSize: limits.maxManifestSize }], blobOptions);
  const bytes = await store.get(d.digest, { maxSize: Math.min(limits.maxManifestSize, store.maxBlobSize) });
  return parseImageConfig(bytes, d.mediaType, `config of ${label}`);
}
