/**
 * The blob download of a pull: config and layers fetched in parallel (a bounded pool), each into the
 * BlobStore through its resumable, per-digest-locked writer (`BlobStore.writeResumable`): an
 * interrupted download resumes with `Range: bytes=N-`, a short body, a reset or a stall is retried
 * with backoff, bytes are counted against the descriptor's size, and a blob becomes visible only
 * after it hashed to its digest. Blobs already in the store are skipped. Per-blob and overall progress.
 *
 * @module image/fetch-blobs
 */
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { OpenAt } from '../storage/resumable-ingest.js';
import type { ImageFetcher } from './fetcher.js';
import { networkError } from './http-errors.js';
import type { Descriptor } from './manifest.js';
import type { PullProgress } from './types.js';

/** Default number of blobs downloaded at once: 3, as containerd. */
export const DEFAULT_PULL_CONCURRENCY = 3;
/** Most blobs downloaded at once. */
export const MAX_PULL_CONCURRENCY = 16;
/** Attempts after the first for one blob (resets, short bodies, stalls, 5xx). */
const BLOB_RETRIES = 5;
/** A body silent this long is dropped and resumed, in ms (a backstop behind the HTTP idle timeout). */
const BLOB_IDLE_TIMEOUT_MS = 60_000;

/** One blob to fetch. */
export interface BlobJob {
  kind: 'config' | 'layer';
  descriptor: Descriptor;
  /** Most bytes accepted. */
  maxSize: number;
}

/**
 * The `overall` progress of one pull over its config and layers: bytes received (a cached or resumed
 * blob counts whole / from its prefix) against their total.
 */
export class OverallProgress {
  readonly total: number;
  #completed = 0;
  #received = new Map<string, number>();
  #allCached = true;

  constructor(
    private readonly imageDigest: string,
    blobs: readonly Descriptor[],
    private readonly emit: (p: PullProgress) => void,
  ) {
    this.total = [...new Map(blobs.map((d) => [d.digest, d.size])).values()].reduce((n, s) => n + s, 0);
  }

  /** `digest` has `bytes` so far. */
  update(digest: string, bytes: number, cached = false): void {
    if (!cached) this.#allCached = false;
    this.#completed += bytes - (this.#received.get(digest) ?? 0);
    this.#received.set(digest, bytes);
    this.#send(false);
  }

  /** The last event: every blob is stored. */
  finish(): void {
    this.#send(true);
  }

  #send(done: boolean): void {
    this.emit({ kind: 'overall', digest: this.imageDigest, completed: this.#completed, total: this.total, cached: done && this.#allCached, done });
  }
}

/** Options of {@link fetchBlobs}. */
export interface FetchBlobsOptions {
  /** Blobs at once. @default DEFAULT_PULL_CONCURRENCY */
  concurrency?: number;
  signal: AbortSignal;
  progress: (p: PullProgress) => void;
  /** Receives the byte counts of every blob, for the `overall` events. */
  overall: OverallProgress;
  /** Idle (stalled transfer) timeout of one body, in ms. @default 60 000 */
  idleTimeoutMs?: number;
  /** First backoff between attempts of one blob, in ms. @default 200 */
  backoffMs?: number;
}

/** Check `concurrency` (1..16). @throws MagikrunError `INVALID_ARGUMENT` */
export function checkConcurrency(concurrency: number | undefined): number {
  if (concurrency === undefined) return DEFAULT_PULL_CONCURRENCY;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > MAX_PULL_CONCURRENCY) {
    throw err(ErrorCode.InvalidArgument, `concurrency must be an integer from 1 to ${MAX_PULL_CONCURRENCY}, got ${String(concurrency)}`, { concurrency });
  }
  return concurrency;
}

/** A failure of opening a blob that another attempt may fix: 5xx, 408, 429, a network error, a timeout. */
export function isRetryableBlobError(e: unknown): boolean {
  if (!isMagikrunError(e)) return false;
  if (e.code === ErrorCode.Timeout) return true;
  if (e.code !== ErrorCode.Registry) return false;
  const status = e.details['status'];
  if (typeof status === 'number') return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
  // No status: a network-level failure (reset, refused, …) from networkError.
  return true;
}

/**
 * Fetch every job into `store` (deduplicated by digest), `concurrency` at a time. The first failure
 * stops the others (their partial data stays in `ingest/` for a resume) and is thrown once all have
 * settled, so nothing is still writing when this rejects.
 *
 * @throws MagikrunError `DIGEST_MISMATCH`, `LIMIT_EXCEEDED`, `INVALID_ARGUMENT` (cut short on every
 *   attempt, or stored with another size), `NOT_FOUND`, `UNAUTHORIZED`, `REGISTRY`, `TIMEOUT`, `ABORTED`.
 */
export async function fetchBlobs(fetcher: ImageFetcher, store: BlobStore, jobs: readonly BlobJob[], options: FetchBlobsOptions): Promise<void> {
  const unique = [...new Map(jobs.map((j) => [j.descriptor.digest, j])).values()];
  const concurrency = checkConcurrency(options.concurrency);
  const stop = new AbortController();
  const signal = AbortSignal.any([options.signal, stop.signal]);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < unique.length) {
      const job = unique[next++]!;
      try {
        const cached = await fetchBlob(fetcher, store, job, signal, options, (bytes) => {
          options.progress({ kind: job.kind, digest: job.descriptor.digest, completed: bytes, total: job.descriptor.size, cached: false, done: false });
          options.overall.update(job.descriptor.digest, bytes);
        });
        options.progress({ kind: job.kind, digest: job.descriptor.digest, completed: job.descriptor.size, total: job.descriptor.size, cached, done: true });
        options.overall.update(job.descriptor.digest, job.descriptor.size, cached);
      } catch (e) {
        if (!failure) {
          // The first failure is the cause; the others are the aborts it triggers.
          failure = { error: e };
          stop.abort(e);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, unique.length) }, worker));
  if (failure) {
    if (options.signal.aborted && !isMagikrunError(failure.error, ErrorCode.Aborted)) throw options.signal.reason;
    throw failure.error;
  }
}

/** One blob: skipped when stored intact (its size must match), else downloaded resumably. @returns true when it was cached. */
async function fetchBlob(
  fetcher: ImageFetcher,
  store: BlobStore,
  job: BlobJob,
  signal: AbortSignal,
  options: FetchBlobsOptions,
  onBytes: (bytes: number) => void,
): Promise<boolean> {
  const d = job.descriptor;
  // A stored blob is skipped only after it re-hashes to its digest; a corrupt one is deleted and fetched again.
  if ((await store.verify(d.digest, { repair: true })) === 'ok') {
    const info = await store.stat(d.digest);
    if (info.size !== d.size) {
      throw err(ErrorCode.InvalidArgument, `${job.kind} ${d.digest} is stored with ${info.size} bytes, but the manifest says ${d.size}; the manifest is wrong`, { digest: d.digest });
    }
    return true;
  }
  const openAt: OpenAt = fetcher.blobAt
    ? (offset, s) => fetcher.blobAt!(d, offset, s ?? signal)
    : async (_offset, s) => ({ body: await fetcher.blob(d, s ?? signal), start: 0 });
  try {
    await store.writeResumable(d.digest, openAt, {
      size: d.size,
      maxSize: Math.min(job.maxSize, store.maxBlobSize),
      signal,
      onProgress: onBytes,
      retries: BLOB_RETRIES,
      idleTimeoutMs: options.idleTimeoutMs ?? BLOB_IDLE_TIMEOUT_MS,
      ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
      retryable: isRetryableBlobError,
    });
    return false;
  } catch (e) {
    if (isMagikrunError(e)) throw e;
    if (signal.aborted) throw signal.reason;
    // A body's own error (reset, closed) after the last attempt.
    throw networkError(e, fetcher.label, `${job.kind} ${d.digest}`);
  }
}
