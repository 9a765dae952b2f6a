/**
 * `BlobStore`: a content-addressed store of verified blobs (manifests, configs, layers, modules).
 *
 * Layout: `<root>/blobs/sha256/<2 hex>/<64 hex>` for committed blobs, `<root>/ingest/` for writes in
 * progress. A blob becomes visible only after its bytes hashed to its digest (see {@link ingest}).
 * Safe across processes: unique temp names, and an atomic link into place that exactly one writer wins.
 *
 * @module storage/blob-store
 */
import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { lstat, open, readdir, rm, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { pipeline, Transform, type Readable } from 'node:stream';
import { checkLimit, MAX_LAYER_SIZE } from '../constants.js';
import { err, ErrorCode } from '../errors.js';
import { parseDigest, type ParsedDigest } from './digest.js';
import { ingest, releaseSource } from './ingest.js';
import { readLockHolder, isHolderAlive } from './process-lock.js';
import { writeResumable, type OpenAt, type ResumableResult, type ResumableWriteOptions } from './resumable-ingest.js';
import { LeaseManager } from './leases.js';
import { ensureStoreDir, prepareStoreRoot, resolveStoreRoot } from './root.js';
import type { BlobInfo, BlobSource, ContentStore, GetOptions, PutOptions, PutResult } from './types.js';

/** Options of {@link BlobStore}. */
export interface BlobStoreOptions {
  /**
   * Store root (created 0700 if missing; refused if another user owns it or it is group/world-writable).
   * @default `$MAGIKRUN_ROOT`, else `~/.magikrun`
   */
  root?: string;
  /**
   * Largest blob accepted or read whole, in bytes. A call's `maxSize` may lower it, never raise it.
   * @default MAX_LAYER_SIZE (512 MiB): no legitimate compressed layer, config or manifest is larger.
   */
  maxBlobSize?: number;
  /** Allow `maxBlobSize` above its default. @default false */
  allowAboveDefault?: boolean;
}

/** Options of {@link BlobStore.createReadStream}. */
export interface ReadStreamOptions {
  /** Hash the bytes as they are read and end the stream with a `DIGEST_MISMATCH` error if they do not match. @default true */
  verify?: boolean;
}

/** Default age after which {@link BlobStore.pruneIngest} removes an abandoned temp file, in ms: 24 h. */
export const STALE_INGEST_AGE = 24 * 60 * 60 * 1000;

const HEX2 = /^[a-f0-9]{2}$/;
const HEX64 = /^[a-f0-9]{64}$/;
const O_NOFOLLOW = fsc.O_NOFOLLOW ?? 0;

function notFound(digest: string, root: string): Error {
  return err(ErrorCode.NotFound, `blob ${digest} is not in the store at ${root}; pull or put it first`, { digest, root });
}

/**
 * The content-addressed blob store.
 *
 * The constructor only resolves the root; the root is checked (and created) once, on first use, and
 * every method awaits that check. Digests are validated before they touch a path: anything but
 * `sha256:` + 64 lowercase hex is `INVALID_ARGUMENT` (a well-formed sha512 is `UNSUPPORTED`).
 *
 * @example
 * const store = new BlobStore();                     // ~/.magikrun or $MAGIKRUN_ROOT
 * const { digest } = await store.put(sha256Digest(bytes), bytes);
 * const again = await store.get(digest);            // verified on read
 */
export class BlobStore implements ContentStore {
  /** Absolute path of the store root. */
  readonly root: string;
  /** Largest blob accepted or read whole, in bytes. */
  readonly maxBlobSize: number;
  /** Leases that keep blobs from garbage collection (`<root>/leases/`). */
  readonly leases: LeaseManager;
  #ready: Promise<void> | undefined;

  /** @throws MagikrunError `INVALID_ARGUMENT` for a bad root path or `maxBlobSize`. */
  constructor(options: BlobStoreOptions = {}) {
    this.root = resolveStoreRoot(options.root);
    this.leases = new LeaseManager(this.root, () => this.ready());
    this.maxBlobSize = options.maxBlobSize === undefined
      ? MAX_LAYER_SIZE
      : checkLimit('maxBlobSize', options.maxBlobSize, MAX_LAYER_SIZE, options.allowAboveDefault === true);
  }

  /** Construct and check the root at once. @throws MagikrunError `INVALID_ARGUMENT` for an unsafe root. */
  static async open(options: BlobStoreOptions = {}): Promise<BlobStore> {
    const store = new BlobStore(options);
    await store.ready();
    return store;
  }

  /** `<root>/blobs/sha256` */
  get blobsDir(): string {
    return path.join(this.root, 'blobs', 'sha256');
  }

  /** `<root>/ingest`: writes in progress, never visible as blobs. */
  get ingestDir(): string {
    return path.join(this.root, 'ingest');
  }

  /**
   * Check (and create) the root and its directories. Runs once; a failure is not cached, so a fixed
   * root works on the next call.
   *
   * @throws MagikrunError `INVALID_ARGUMENT` for a root owned by another user, group/world-writable, or not a directory.
   */
  ready(): Promise<void> {
    this.#ready ??= (async () => {
      await prepareStoreRoot(this.root);
      await ensureStoreDir(path.join(this.root, 'blobs'));
      await ensureStoreDir(this.blobsDir);
      await ensureStoreDir(this.ingestDir);
    })().catch((e: unknown) => {
      this.#ready = undefined;
      throw e;
    });
    return this.#ready;
  }

  /** Absolute path a blob has (or would have). Pure: touches nothing. @throws MagikrunError `INVALID_ARGUMENT`, `UNSUPPORTED` */
  pathFor(digest: string): string {
    return this.#path(parseDigest(digest));
  }

  #path(d: ParsedDigest): string {
    return path.join(this.blobsDir, d.hex.slice(0, 2), d.hex);
  }

  /** True when the blob is stored. @throws MagikrunError `INVALID_ARGUMENT`, `UNSUPPORTED` */
  async has(digest: string): Promise<boolean> {
    const d = parseDigest(digest);
    await this.ready();
    return (await this.#lstat(d)) !== undefined;
  }

  async #lstat(d: ParsedDigest): Promise<BlobInfo | undefined> {
    const p = this.#path(d);
    try {
      const st = await lstat(p);
      if (!st.isFile()) {
        throw err(ErrorCode.Internal, `${p} in the blob store is not a regular file; delete it so the blob can be fetched again`, { digest: d.digest, path: p });
      }
      return { digest: d.digest, size: st.size, path: p };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** The stored blob's size and path. @throws MagikrunError `NOT_FOUND`, `INVALID_ARGUMENT`, `UNSUPPORTED` */
  async stat(digest: string): Promise<BlobInfo> {
    const d = parseDigest(digest);
    await this.ready();
    const info = await this.#lstat(d);
    if (!info) throw notFound(d.digest, this.root);
    return info;
  }

  async #openRead(d: ParsedDigest): Promise<FileHandle> {
    try {
      return await open(this.#path(d), fsc.O_RDONLY | O_NOFOLLOW);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw notFound(d.digest, this.root);
      if (code === 'ELOOP') throw err(ErrorCode.Internal, `${this.#path(d)} in the blob store is a symlink; delete it`, { digest: d.digest });
      throw e;
    }
  }

  /**
   * The whole blob. Re-verified on every read: the bytes are in memory anyway, so one sha256 pass
   * (about 1 GB/s) guards against a blob altered on disk. A corrupt blob is left in place (delete it
   * and fetch it again).
   *
   * @param options.maxSize refuse a larger blob before reading it, in bytes. @default maxBlobSize
   * @throws MagikrunError `NOT_FOUND`, `LIMIT_EXCEEDED` (`details.value` = size), `DIGEST_MISMATCH`,
   *   `INVALID_ARGUMENT`, `UNSUPPORTED`
   */
  async get(digest: string, options: GetOptions = {}): Promise<Buffer> {
    const d = parseDigest(digest);
    const maxSize = this.#maxSize(options.maxSize);
    await this.ready();
    const handle = await this.#openRead(d);
    try {
      const { size } = await handle.stat();
      if (size > maxSize) {
        throw err(ErrorCode.LimitExceeded, `blob ${d.digest} is ${size} bytes, over the limit of ${maxSize}; stream it with createReadStream or raise maxSize`, {
          digest: d.digest, limit: 'maxSize', max: maxSize, value: size,
        });
      }
      const data = await handle.readFile();
      const actual = `sha256:${createHash('sha256').update(data).digest('hex')}`;
      if (actual !== d.digest) {
        throw err(ErrorCode.DigestMismatch, `stored blob ${d.digest} is corrupt (it hashes to ${actual}); pull the image again (it replaces corrupt blobs) or delete ${this.#path(d)}`, {
          expected: d.digest, actual, path: this.#path(d),
        });
      }
      return data;
    } finally {
      await handle.close();
    }
  }

  /**
   * A stream of the blob. By default the bytes are hashed as they pass and the stream ends with a
   * `DIGEST_MISMATCH` error instead of `end` if they do not match (consumers must treat what they
   * read as unverified until the stream ends cleanly).
   *
   * @throws MagikrunError `NOT_FOUND` (as a rejection, before any stream exists), `INVALID_ARGUMENT`, `UNSUPPORTED`
   */
  async createReadStream(digest: string, options: ReadStreamOptions = {}): Promise<Readable> {
    const d = parseDigest(digest);
    await this.ready();
    const handle = await this.#openRead(d);
    const source = handle.createReadStream({ autoClose: true });
    if (options.verify === false) return source;
    const hash = createHash('sha256');
    const verifier = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
      flush: (cb) => {
        const actual = `sha256:${hash.digest('hex')}`;
        cb(actual === d.digest ? null : err(ErrorCode.DigestMismatch, `stored blob ${d.digest} is corrupt (it hashes to ${actual}); pull the image again (it replaces corrupt blobs) or delete ${this.#path(d)}`, {
          expected: d.digest, actual, path: this.#path(d),
        }));
      },
    });
    return pipeline(source, verifier, () => {});
  }

  /**
   * Store bytes under their digest. See {@link putStream}; `size` is the buffer's length.
   * @throws MagikrunError as {@link putStream}
   */
  async put(digest: string, data: Uint8Array, options: Omit<PutOptions, 'size'> = {}): Promise<PutResult> {
    if (!(data instanceof Uint8Array)) {
      throw err(ErrorCode.InvalidArgument, `put needs bytes (a Buffer or Uint8Array), got ${typeof data}`, { digest });
    }
    return this.putStream(digest, [data], { ...options, size: data.byteLength });
  }

  /**
   * Stream bytes into the store, hashing and counting on the fly; commit only if they hash to
   * `expectedDigest` (OCI descriptor verification, image-spec descriptor.md).
   *
   * Already stored → resolves `{ created: false }` at once **without reading the source** (a pull
   * need not download it again); a Node `Readable` source is destroyed and a web `ReadableStream`
   * cancelled so that a network body is released. The stored size must then equal `options.size`.
   * Errors thrown by the source itself are rethrown unchanged. On any failure nothing is left in
   * `blobs/` and the temp file is removed.
   *
   * @param expectedDigest `sha256:<64 hex>`
   * @param source bytes: `Readable`, `ReadableStream`, async generator, or array of `Uint8Array`
   * @param options.size exact byte count expected; more is `LIMIT_EXCEEDED`, fewer `INVALID_ARGUMENT`
   * @param options.maxSize most bytes accepted, at most the store's `maxBlobSize` @default maxBlobSize
   * @throws MagikrunError `INVALID_ARGUMENT` (digest, options, short source, size differs from a stored
   *   blob's), `UNSUPPORTED`, `LIMIT_EXCEEDED`, `DIGEST_MISMATCH`, `ABORTED`
   */
  async putStream(expectedDigest: string, source: BlobSource, options: PutOptions = {}): Promise<PutResult> {
    let d: ParsedDigest;
    let maxSize: number;
    const size = options.size;
    try {
      d = parseDigest(expectedDigest);
      maxSize = this.#maxSize(options.maxSize);
      if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
        throw err(ErrorCode.InvalidArgument, `size must be a non-negative integer number of bytes, got ${String(size)}`, { digest: d.digest, size });
      }
      if (size !== undefined && size > maxSize) {
        throw err(ErrorCode.LimitExceeded, `blob ${d.digest} announces ${size} bytes, over the limit of ${maxSize}; raise maxSize if it is legitimate`, {
          digest: d.digest, limit: 'maxSize', max: maxSize, value: size,
        });
      }
      if (options.signal?.aborted) {
        throw err(ErrorCode.Aborted, 'the blob write was aborted before it began; nothing was stored', { digest: d.digest }, options.signal.reason);
      }
      await this.ready();
    } catch (e) {
      releaseSource(source);
      throw e;
    }

    const existing = await this.#lstat(d);
    if (existing) {
      releaseSource(source);
      this.#checkExisting(existing, size, maxSize);
      return { ...existing, created: false };
    }
    const p = this.#path(d);
    const result = await ingest(source, {
      expected: d,
      ingestDir: this.ingestDir,
      algorithmDir: this.blobsDir,
      blobDir: path.dirname(p),
      blobPath: p,
      maxSize,
      ...(size === undefined ? {} : { size }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (!result.created) {
      const winner = await this.stat(d.digest);
      this.#checkExisting(winner, size, maxSize);
      return { ...winner, created: false };
    }
    return { digest: d.digest, size: result.size, path: p, created: true };
  }

  /**
   * Download a blob through `openAt` (e.g. an HTTP GET with `Range: bytes=N-`), resumably and under
   * a per-digest lock across processes: see {@link writeResumable}. In-progress data lives in
   * `<root>/ingest/<hex>/data`; a writer that dies leaves it there and the next call resumes from it.
   * Two processes fetching the same digest at once: one downloads, the other waits for its lock and
   * then finds the blob committed (`created: false`).
   *
   * @param options.size the descriptor's size in bytes (required: resuming needs it)
   * @param options.maxSize @default maxBlobSize
   * @throws MagikrunError `DIGEST_MISMATCH`, `LIMIT_EXCEEDED`, `ABORTED`, `TIMEOUT` (stalled), `INVALID_ARGUMENT`
   *   (short on every attempt, or a stored blob of another size), `INVALID_ARGUMENT`/`UNSUPPORTED` (digest);
   *   `openAt`'s own errors unchanged.
   */
  async writeResumable(
    digest: string,
    openAt: OpenAt,
    options: Omit<ResumableWriteOptions, 'maxSize'> & { maxSize?: number },
  ): Promise<PutResult & { resumedFrom: number }> {
    const d = parseDigest(digest);
    const maxSize = this.#maxSize(options.maxSize);
    if (!Number.isSafeInteger(options.size) || options.size < 0) {
      throw err(ErrorCode.InvalidArgument, `size must be a non-negative integer number of bytes, got ${String(options.size)}`, { digest: d.digest });
    }
    await this.ready();
    const p = this.#path(d);
    const r: ResumableResult = await writeResumable(
      { expected: d, ingestDir: this.ingestDir, algorithmDir: this.blobsDir, blobDir: path.dirname(p), blobPath: p },
      openAt,
      { ...options, maxSize },
    );
    if (!r.created) {
      const info = await this.stat(d.digest);
      this.#checkExisting(info, options.size, maxSize);
      return { ...info, created: false, resumedFrom: r.resumedFrom };
    }
    return { digest: d.digest, size: r.size, path: p, created: true, resumedFrom: r.resumedFrom };
  }

  #checkExisting(info: BlobInfo, size: number | undefined, maxSize: number): void {
    if (size !== undefined && info.size !== size) {
      throw err(ErrorCode.InvalidArgument, `blob ${info.digest} is stored with ${info.size} bytes, but ${size} were announced; the descriptor is wrong`, {
        digest: info.digest, size, stored: info.size,
      });
    }
    if (info.size > maxSize) {
      throw err(ErrorCode.LimitExceeded, `stored blob ${info.digest} is ${info.size} bytes, over the limit of ${maxSize}`, {
        digest: info.digest, limit: 'maxSize', max: maxSize, value: info.size,
      });
    }
  }

  #maxSize(maxSize: number | undefined): number {
    if (maxSize === undefined) return this.maxBlobSize;
    if (!Number.isSafeInteger(maxSize) || maxSize < 0) {
      throw err(ErrorCode.InvalidArgument, `maxSize must be a non-negative integer number of bytes, got ${String(maxSize)}`, { maxSize });
    }
    if (maxSize > this.maxBlobSize) {
      throw err(ErrorCode.InvalidArgument, `maxSize ${maxSize} is above the store's maxBlobSize ${this.maxBlobSize}; construct the store with a larger maxBlobSize (and allowAboveDefault) to raise it`, {
        maxSize, maxBlobSize: this.maxBlobSize,
      });
    }
    return maxSize;
  }

  /**
   * Re-hash a stored blob (streaming, so any size) and say whether it is intact. With `repair`, a
   * corrupt blob is deleted so that the next pull fetches it again — `pullImage` does this for every
   * blob it would otherwise skip as already present.
   *
   * @returns `'ok'`, `'missing'`, or `'corrupt'` (deleted when `repair`).
   * @throws MagikrunError `INVALID_ARGUMENT`, `UNSUPPORTED`, `INTERNAL` (not a regular file)
   */
  async verify(digest: string, options: { repair?: boolean } = {}): Promise<'ok' | 'missing' | 'corrupt'> {
    const d = parseDigest(digest);
    await this.ready();
    let handle: FileHandle;
    try {
      handle = await this.#openRead(d);
    } catch (e) {
      if ((e as { code?: unknown }).code === ErrorCode.NotFound) return 'missing';
      throw e;
    }
    const hash = createHash('sha256');
    try {
      for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    } finally {
      await handle.close();
    }
    if (`sha256:${hash.digest('hex')}` === d.digest) return 'ok';
    if (options.repair) await this.delete(d.digest);
    return 'corrupt';
  }

  /**
   * Remove a blob. Readers that have it open keep reading it (POSIX unlink semantics).
   * @returns false when it was not stored.
   * @throws MagikrunError `INVALID_ARGUMENT`, `UNSUPPORTED`
   */
  async delete(digest: string): Promise<boolean> {
    const d = parseDigest(digest);
    await this.ready();
    try {
      await unlink(this.#path(d));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  /**
   * Every stored blob, sorted by digest, as an async iterable (read lazily, one directory at a time).
   * Entries that do not fit the layout (other names, misplaced files, non-files) are skipped.
   */
  async *list(): AsyncIterable<BlobInfo> {
    await this.ready();
    const prefixes = (await readdir(this.blobsDir)).filter((n) => HEX2.test(n)).sort();
    for (const prefix of prefixes) {
      let names: string[];
      try {
        names = (await readdir(path.join(this.blobsDir, prefix))).filter((n) => HEX64.test(n) && n.startsWith(prefix)).sort();
      } catch {
        continue;
      }
      for (const hex of names) {
        const p = path.join(this.blobsDir, prefix, hex);
        try {
          const st = await lstat(p);
          if (st.isFile()) yield { digest: `sha256:${hex}`, size: st.size, path: p };
        } catch {
          // deleted while listing
        }
      }
    }
  }

  /**
   * Remove what crashed writers left in `ingest/`: temp files of {@link putStream} and per-digest
   * directories of {@link writeResumable} whose lock holder is gone (or absent). Entries younger than
   * `olderThanMs` are kept, so a recently interrupted download can still resume; a directory whose
   * lock holder is alive is always kept.
   *
   * @param options.olderThanMs @default STALE_INGEST_AGE (24 h)
   * @returns how many entries were removed.
   */
  async pruneIngest(options: { olderThanMs?: number } = {}): Promise<number> {
    await this.ready();
    const cutoff = Date.now() - (options.olderThanMs ?? STALE_INGEST_AGE);
    let removed = 0;
    for (const name of await readdir(this.ingestDir)) {
      const p = path.join(this.ingestDir, name);
      try {
        const st = await lstat(p);
        if (st.isDirectory()) {
          const holder = await readLockHolder(path.join(p, 'lock'));
          if (holder && isHolderAlive(holder)) continue;
          const data = await lstat(path.join(p, 'data')).catch(() => undefined);
          if ((data?.mtimeMs ?? st.mtimeMs) > cutoff) continue;
          await rm(p, { recursive: true, force: true });
          removed++;
        } else if (st.mtimeMs <= cutoff) {
          await unlink(p);
          removed++;
        }
      } catch {
        // gone already
      }
    }
    return removed;
  }
}
