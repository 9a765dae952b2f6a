/**
 * Garbage collection of the blob store: mark and sweep, as containerd's GC (roots: images and live
 * leases; edges: index → manifests, manifest → config and layers, and a manifest's `subject`).
 *
 * Order matters against concurrent pulls, which take a lease, add each digest to it before writing the
 * blob, write the index entry, then release the lease: GC lists the blobs first, then reads the leases,
 * then the image index. A blob that existed when the list was taken is therefore either named by a
 * lease GC reads, or by an index entry written before that lease was released. Blobs written (mtime) after GC
 * began are never swept.
 *
 * @module gc/gc
 */
import { MAX_MANIFEST_SIZE } from '../constants.js';
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import { STALE_INGEST_AGE, type BlobStore } from '../storage/blob-store.js';
import { isLeaseLive } from '../storage/leases.js';
import type { BlobInfo } from '../storage/types.js';
import { LocalImageIndex } from '../image/local-index.js';
import { parseManifestDocument } from '../image/manifest.js';
import { INDEX_MEDIA_TYPES, MANIFEST_MEDIA_TYPES } from '../image/media-types.js';
import { lstat, readdir, rm } from 'node:fs/promises';
import { collectSnapshots, type SnapshotGcReport } from '../snapshots/collect.js';
import { imageChainIds } from '../snapshots/image-chains.js';
import { METADATA_FILE } from '../snapshots/metadata.js';
import path from 'node:path';

/** Options of {@link gc}. */
export interface GcOptions {
  /** Report what would be removed; remove nothing. @default false */
  dryRun?: boolean;
  /** Temp files in `ingest/` and crashed archive imports in `tmp/` older than this are removed, in ms. @default STALE_INGEST_AGE (24 h) */
  ingestOlderThanMs?: number;
  /**
   * Also collect unpacked layer snapshots (`<root>/snapshots`, when it exists) that no local image and
   * no container snapshot uses ({@link collectSnapshots}).
   * @default true
   */
  snapshots?: boolean;
}

/** What {@link gc} did (or, with `dryRun`, would do). */
export interface GcReport {
  dryRun: boolean;
  /** Blobs removed (or that would be). */
  removed: BlobInfo[];
  /** Sum of their sizes, in bytes. */
  freedBytes: number;
  /** Blobs kept. */
  kept: number;
  /** Ids of leases that were live and protected blobs. */
  liveLeases: string[];
  /** Ids of dead leases (expired, or holder gone) removed (or that would be). */
  deadLeases: string[];
  /** Abandoned temp files removed from `ingest/` (0 on a dry run). */
  ingestRemoved: number;
  /** Directories of crashed archive imports removed from `<root>/tmp/` (0 on a dry run). */
  tmpRemoved: number;
  /** What snapshot collection did; absent when there is no snapshot directory or `snapshots: false`. */
  snapshots?: SnapshotGcReport;
}

/**
 * Collect garbage: every blob that no local image index entry (recursively) and no live lease
 * references is removed. Manifests and indexes are read through the store, so only verified bytes are
 * parsed.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` for a malformed image index entry or manifest (nothing is
 *   swept: what it references is unknown; the message says what to delete), `DIGEST_MISMATCH` for a
 *   stored manifest that was altered (`rmi` its image or delete the blob, then run gc again).
 */
export async function gc(store: BlobStore, options: GcOptions = {}): Promise<GcReport> {
  const dryRun = options.dryRun === true;
  await store.ready();
  const startedAt = Date.now();

  // 1. The candidates, before any root is read.
  const blobs: BlobInfo[] = [];
  for await (const b of store.list()) blobs.push(b);

  // 2. Live leases.
  const marked = new Set<string>();
  const liveLeases: string[] = [];
  const deadLeases: string[] = [];
  for (const lease of await store.leases.list()) {
    if (await isLeaseLive(lease, startedAt)) {
      liveLeases.push(lease.id);
      for (const d of lease.digests) marked.add(d);
    } else {
      deadLeases.push(lease.id);
    }
  }

  // 3. Images, recursively.
  const entries = await new LocalImageIndex(store.root).list({ strict: true });
  const walked = new Set<string>();
  const walk = async (digest: string, mediaType: string | undefined, label: string, depth: number): Promise<void> => {
    marked.add(digest);
    if (walked.has(digest)) return;
    walked.add(digest);
    if (depth > 8) throw err(ErrorCode.InvalidArgument, `${label}: indexes nested more than 8 deep`, { digest });
    let bytes: Buffer;
    try {
      bytes = await store.get(digest, { maxSize: Math.min(MAX_MANIFEST_SIZE, store.maxBlobSize) });
    } catch (e) {
      if (isMagikrunError(e, ErrorCode.NotFound)) return; // an index's other platforms are not pulled
      if (isMagikrunError(e, ErrorCode.DigestMismatch)) {
        throw err(ErrorCode.DigestMismatch, `gc stopped, nothing was removed: manifest ${digest} of ${label} is corrupt; run "magikrun rmi" on that image (or delete ${store.pathFor(digest)}), then gc again`, { digest }, e);
      }
      throw e;
    }
    const doc = parseManifestDocument(bytes, mediaType, `manifest ${digest} of ${label}`);
    if (doc.kind === 'index') {
      for (const m of doc.index.manifests) {
        if (INDEX_MEDIA_TYPES.has(m.mediaType) || MANIFEST_MEDIA_TYPES.has(m.mediaType)) await walk(m.digest, m.mediaType, label, depth + 1);
        else marked.add(m.digest);
      }
    } else {
      const m = doc.manifest;
      marked.add(m.config.digest);
      for (const l of m.layers) marked.add(l.digest);
      if (m.subject) marked.add(m.subject.digest);
    }
  };
  for (const e of entries) {
    if (e.indexDigest !== undefined) await walk(e.indexDigest, undefined, `image ${e.reference}`, 0);
    await walk(e.digest, e.mediaType, `image ${e.reference}`, 0);
  }

  // 4. Sweep.
  const removed: BlobInfo[] = [];
  let kept = 0;
  for (const b of blobs) {
    if (marked.has(b.digest) || (await modifiedSince(b.path, startedAt))) {
      kept++;
      continue;
    }
    if (!dryRun && !(await store.delete(b.digest))) continue;
    removed.push(b);
  }
  let ingestRemoved = 0;
  let tmpRemoved = 0;
  if (!dryRun) {
    for (const id of deadLeases) await store.leases.delete(id);
    ingestRemoved = await store.pruneIngest(options.ingestOlderThanMs !== undefined ? { olderThanMs: options.ingestOlderThanMs } : {});
    tmpRemoved = await pruneTmp(path.join(store.root, 'tmp'), startedAt - (options.ingestOlderThanMs ?? STALE_INGEST_AGE));
  }
  // 5. Snapshots: keep the layer chains of every local image (and those under container snapshots).
  let snapshots: SnapshotGcReport | undefined;
  const snapshotDir = path.join(store.root, 'snapshots');
  if (options.snapshots !== false && (await lstat(path.join(snapshotDir, METADATA_FILE)).then(() => true, () => false))) {
    snapshots = await collectSnapshots(snapshotDir, { keep: await imageChainIds(store), dryRun });
  }
  return { dryRun, removed, freedBytes: removed.reduce((n, b) => n + b.size, 0), kept, liveLeases, deadLeases, ingestRemoved, tmpRemoved, ...(snapshots ? { snapshots } : {}) };
}

/** Remove `import-*` directories under `dir` last modified before `cutoff` (ms since the epoch). */
async function pruneTmp(dir: string, cutoff: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of names) {
    if (!name.startsWith('import-')) continue;
    const p = path.join(dir, name);
    const st = await lstat(p).catch(() => undefined);
    if (st?.isDirectory() && st.mtimeMs <= cutoff) {
      await rm(p, { recursive: true, force: true });
      n++;
    }
  }
  return n;
}

async function modifiedSince(file: string, t: number): Promise<boolean> {
  try {
    const st = await lstat(file);
    return st.mtimeMs >= t;
  } catch {
    return false;
  }
}
