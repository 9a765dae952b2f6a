/**
 * Converting a `docker save` archive (already extracted by `extractArchive`) into an OCI image in the
 * store, as containerd's `archive.ImportIndex` and skopeo's docker-archive source do.
 *
 * The archive's `manifest.json` is `[{ Config, RepoTags, Layers }]` (moby image/tarexport); each layer
 * is a tar file, uncompressed in the legacy format (and gzip-compressed in some archives). For every
 * layer the digest of the stored bytes and the digest of its uncompressed tar (the diff_id) are
 * computed in one streaming pass, the diff_id must equal the config's `rootfs.diff_ids[i]`, and the
 * layer is stored as it is: `application/vnd.oci.image.layer.v1.tar` or `…tar+gzip`. An OCI image
 * manifest is then written for config + layers, so the stored image is OCI-compliant.
 *
 * @module image/docker-archive
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { resolveLimits, type Limits } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import { sha256Digest } from '../storage/digest.js';
import type { ExtractedArchive } from './archive-extract.js';
import { parseImageConfig } from './image-config.js';
import { LocalImageIndex } from './local-index.js';
import type { Descriptor, ImageManifest } from './manifest.js';
import { MediaType } from './media-types.js';
import { formatPlatform, parsePlatform, platformMatches } from './platform-match.js';
import { parseReference } from './reference.js';
import type { ArchiveReference } from './source.js';
import type { PulledImage, PullOptions } from './types.js';

/** One entry of a docker save `manifest.json`. */
export interface DockerArchiveEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

/** Parse a docker save `manifest.json`. @throws MagikrunError `INVALID_ARGUMENT` */
export function parseEntries(bytes: Buffer, label: string): DockerArchiveEntry[] {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw err(ErrorCode.InvalidArgument, `${label}: manifest.json is not valid JSON`, {}, e);
  }
  const strs = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (!Array.isArray(v) || v.length === 0) throw err(ErrorCode.InvalidArgument, `${label}: manifest.json must be a non-empty array of images`, {});
  return v.map((e: unknown, i) => {
    const r = e as Partial<DockerArchiveEntry> | null;
    if (typeof r !== 'object' || r === null || typeof r.Config !== 'string' || !strs(r.Layers) || !(r.RepoTags === undefined || r.RepoTags === null || strs(r.RepoTags))) {
      throw err(ErrorCode.InvalidArgument, `${label}: manifest.json entry ${i} needs Config (string), Layers (strings) and optional RepoTags (strings)`, { index: i });
    }
    return { Config: r.Config, Layers: r.Layers, RepoTags: r.RepoTags ?? [] };
  });
}

/** A RepoTag as a canonical reference (`busybox:1` → `docker.io/library/busybox:1`), or undefined if malformed. */
export function canonicalTag(tag: string): string | undefined {
  try {
    return parseReference(tag).canonical;
  } catch {
    return undefined;
  }
}

function choose(entries: DockerArchiveEntry[], ref: string | undefined, label: string): DockerArchiveEntry {
  const tags = entries.flatMap((e) => e.RepoTags);
  if (ref === undefined) {
    if (entries.length !== 1) {
      throw err(ErrorCode.InvalidArgument, `${label} holds ${entries.length} images; name one as docker-archive:FILE:REF (tags: ${tags.join(', ') || 'none'})`, { tags });
    }
    return entries[0]!;
  }
  const hits = entries.filter((e) => e.RepoTags.some((t) => canonicalTag(t) === ref));
  if (hits.length === 0) throw err(ErrorCode.NotFound, `${label} has no image tagged ${ref} (tags: ${tags.join(', ') || 'none'})`, { ref, tags });
  if (hits.length > 1) throw err(ErrorCode.InvalidArgument, `${label} has several images tagged ${ref}`, { ref });
  return hits[0]!;
}

export async function readSmall(file: string, max: number, what: string, label: string): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    if (size > max) throw err(ErrorCode.LimitExceeded, `${label}: ${what} is ${size} bytes, more than the limit of ${max}`, { limit: 'maxManifestSize', max, value: size });
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

const hashSink = (hash: ReturnType<typeof createHash>) =>
  new Writable({
    write(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb();
    },
  });

/** Digest of the file's bytes and of its uncompressed tar (the diff_id), in one streaming pass. */
async function digestLayer(file: string, signal: AbortSignal | undefined): Promise<{ digest: string; diffId: string; gzip: boolean }> {
  const head = Buffer.alloc(2);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, 2, 0);
  } finally {
    await fh.close();
  }
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const raw = createHash('sha256');
  if (!gzip) {
    await pipeline(createReadStream(file), hashSink(raw), ...(signal ? [{ signal }] : []));
    const digest = `sha256:${raw.digest('hex')}`;
    return { digest, diffId: digest, gzip };
  }
  const unpacked = createHash('sha256');
  await pipeline(
    createReadStream(file),
    async function* (src: AsyncIterable<Buffer>) {
      for await (const c of src) {
        raw.update(c);
        yield c;
      }
    },
    createGunzip(),
    hashSink(unpacked),
    ...(signal ? [{ signal }] : []),
  ).catch((e: unknown) => {
    if (signal?.aborted) throw e;
    throw err(ErrorCode.InvalidArgument, `layer ${file} is not a valid gzip stream: ${(e as Error).message}`, {}, e);
  });
  return { digest: `sha256:${raw.digest('hex')}`, diffId: `sha256:${unpacked.digest('hex')}`, gzip };
}

/**
 * Store the image of an extracted `docker save` archive and record it under `archive.canonical`.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` (malformed manifest.json or config, missing member, layer
 *   count differs from diff_ids), `NOT_FOUND` (no image with that ref; a platform that does not match
 *   `options.platform`), `DIGEST_MISMATCH` (a layer's diff_id differs from the config's),
 *   `LIMIT_EXCEEDED`, `ABORTED`.
 */
export async function importDockerArchive(
  extracted: ExtractedArchive,
  archive: ArchiveReference,
  store: BlobStore,
  options: PullOptions = {},
): Promise<PulledImage> {
  const limits: Limits = resolveLimits(options.limits);
  const label = `docker archive ${archive.file}`;
  const member = (name: string, what: string): string => {
    const p = extracted.resolve(name);
    if (p === undefined) throw err(ErrorCode.InvalidArgument, `${label}: ${what} ${JSON.stringify(name)} is not in the archive`, { name });
    return p;
  };
  const entries = parseEntries(await readSmall(member('manifest.json', 'the file'), limits.maxManifestSize, 'manifest.json', label), label);
  const entry = choose(entries, archive.ref, label);

  const configBytes = await readSmall(member(entry.Config, 'config'), limits.maxManifestSize, 'the config', label);
  const configDigest = sha256Digest(configBytes);
  const config = parseImageConfig(configBytes, MediaType.OciConfig, `config of ${label}`);
  if (entry.Layers.length > limits.maxLayers) {
    throw err(ErrorCode.LimitExceeded, `${label} has ${entry.Layers.length} layers, more than the limit of ${limits.maxLayers}`, { limit: 'maxLayers', max: limits.maxLayers, value: entry.Layers.length });
  }
  if (config.diffIds.length !== entry.Layers.length) {
    throw err(ErrorCode.InvalidArgument, `${label}: the config lists ${config.diffIds.length} diff_ids but manifest.json ${entry.Layers.length} layers`, {});
  }
  if (options.platform !== undefined && config.platform.os !== '') {
    const want = parsePlatform(options.platform);
    if (!platformMatches(want, config.platform)) {
      throw err(ErrorCode.NotFound, `${label} holds an image for ${formatPlatform(config.platform)}, not the requested ${formatPlatform(want)}`, {
        wanted: formatPlatform(want), actual: formatPlatform(config.platform),
      });
    }
  }

  const lease = await store.leases.create({ labels: { import: archive.canonical } });
  try {
    const layers: Descriptor[] = [];
    let total = 0;
    for (const [i, name] of entry.Layers.entries()) {
      const file = member(name, `layer ${i}`);
      const { size } = await stat(file);
      total += size;
      if (total > limits.maxRootfsSize) {
        throw err(ErrorCode.LimitExceeded, `${label}: its layers total more than ${limits.maxRootfsSize} bytes`, { limit: 'maxRootfsSize', max: limits.maxRootfsSize, value: total });
      }
      const { digest, diffId, gzip } = await digestLayer(file, options.signal);
      if (diffId !== config.diffIds[i]) {
        throw err(ErrorCode.DigestMismatch, `${label}: layer ${i} (${name}) unpacks to ${diffId}, but the config's diff_ids[${i}] is ${config.diffIds[i]}; the archive is corrupt`, {
          expected: config.diffIds[i], actual: diffId, layer: name,
        });
      }
      await lease.add(digest);
      await store.putStream(digest, createReadStream(file), {
        size,
        maxSize: Math.min(limits.maxLayerSize, store.maxBlobSize),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      layers.push({ mediaType: gzip ? MediaType.OciLayerTarGzip : MediaType.OciLayerTar, digest, size });
      options.onProgress?.({ kind: 'layer', digest, completed: size, total: size, cached: false, done: true });
    }
    await lease.add(configDigest);
    await store.put(configDigest, configBytes);
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: configDigest, size: configBytes.length },
      layers,
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    const digest = sha256Digest(manifestBytes);
    await lease.add(digest);
    await store.put(digest, manifestBytes);
    const size = manifestBytes.length + configBytes.length + layers.reduce((n, l) => n + l.size, 0);
    if (options.signal?.aborted) throw err(ErrorCode.Aborted, `importing ${archive.canonical} was aborted; nothing was recorded`, {}, options.signal.reason);
    await new LocalImageIndex(store.root).set({
      reference: archive.canonical, digest, mediaType: manifest.mediaType, platform: config.platform, size, pulledAt: new Date().toISOString(),
    });
    options.onProgress?.({ kind: 'manifest', digest, completed: manifestBytes.length, total: manifestBytes.length, cached: false, done: true });
    return { reference: archive.canonical, digest, mediaType: manifest.mediaType, manifest, config, platform: config.platform, size };
  } finally {
    await lease.release();
  }
}
