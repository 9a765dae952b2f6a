/**
 * Resumable, locked writes of one blob from a source that can start at an offset (an HTTP `Range`).
 *
 * Layout: `<root>/ingest/<64 hex>/` holds `data` (the bytes received so far) and `lock` (a
 * {@link acquireProcessLock} file naming the writing process). One writer per digest across
 * processes: a second writer waits for the lock, then finds the blob committed. A writer that died
 * (SIGKILL, power loss of the process) leaves `data` behind; the next writer breaks the dead lock,
 * re-hashes the prefix and asks the source for the rest only.
 *
 * Nothing in `ingest/` is visible as a blob. The commit is containerd's: fsync the data, check size
 * and digest, link into `blobs/`, fsync the directory. A digest mismatch or an over-long source
 * discards the partial data; a network failure, a stall or an abort keeps it for the next attempt.
 *
 * @module storage/resumable-ingest
 */
import { createHash, type Hash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { lstat, mkdir, open, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import type { ParsedDigest } from './digest.js';
import { commitBlob } from './ingest.js';
import { acquireProcessLock, type ProcessLock } from './process-lock.js';
import { sleep } from './sleep.js';

/** A byte stream that starts at `start` (0 when a server ignored the requested offset). */
export interface RangeSource {
  body: AsyncIterable<Uint8Array> & { destroy?(error?: Error): void };
  /** Offset of the body's first byte in the blob. */
  start: number;
}

/** Opens the blob at `offset` (0 = from the beginning). May answer from another offset (see {@link RangeSource.start}). */
export type OpenAt = (offset: number, signal: AbortSignal | undefined) => Promise<RangeSource>;

/** Options of a resumable write. */
export interface ResumableWriteOptions {
  /** Exact size of the blob in bytes (the descriptor's). Bytes are counted against it, whatever a server announces. */
  size: number;
  /** Most bytes accepted (`LIMIT_EXCEEDED`). */
  maxSize: number;
  /** Cancel (`ABORTED`); the partial data stays for a later resume. */
  signal?: AbortSignal;
  /** Running byte count of the blob (including a resumed prefix). */
  onProgress?: (bytes: number) => void;
  /** Attempts after the first one for failures that `retryable` accepts, short bodies, resets and stalls. @default 5 */
  retries?: number;
  /** First backoff between attempts in ms, doubled each time (capped at 5 s). @default 200 */
  backoffMs?: number;
  /** A body that delivers nothing for this long is dropped and resumed, in ms. @default 30 000 */
  idleTimeoutMs?: number;
  /** Whether an error thrown by `openAt` (not by reading a body) is worth another attempt. @default () => false */
  retryable?: (e: unknown) => boolean;
  /**
   * When another live process is writing this blob: wait for it (then find the blob committed), or
   * fail at once with `LOCKED` naming that process and how long it has held the blob.
   * @default true
   */
  waitForLock?: boolean;
  /** Called when this write starts waiting for another writer of the same blob. */
  onLockWait?: (holder: { pid: number; hostname: string; acquiredAt: number }) => void;
  /** Called before each request with the offset asked for (tests, logs). */
  onAttempt?: (info: { offset: number; attempt: number }) => void;
}

/** Where the blob goes. */
export interface ResumablePlan {
  expected: ParsedDigest;
  ingestDir: string;
  algorithmDir: string;
  blobDir: string;
  blobPath: string;
}

/** Outcome of {@link writeResumable}. */
export interface ResumableResult {
  size: number;
  /** False when the blob was committed by another writer (this one downloaded nothing more). */
  created: boolean;
  /** Bytes of earlier partial data that were reused (0 = downloaded from the start). */
  resumedFrom: number;
}

const O_NOFOLLOW = fsc.O_NOFOLLOW ?? 0;

/** A failure of the transfer that another attempt may fix (reset, short body, stall, wrong range). */
class TransferFailure {
  constructor(readonly error: unknown) {}
}

function aborted(signal: AbortSignal, digest: string): Error {
  return err(ErrorCode.Aborted, `writing blob ${digest} was aborted; its partial data stays in ingest/ for a resume`, { digest }, signal.reason);
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await lstat(p)).isFile();
  } catch {
    return false;
  }
}

async function hashPrefix(h: FileHandle, n: number): Promise<Hash> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(1024 * 1024);
  for (let pos = 0; pos < n; ) {
    const { bytesRead } = await h.read(buf, 0, Math.min(buf.length, n - pos), pos);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return hash;
}

async function writeAt(h: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  for (let off = 0; off < chunk.byteLength; ) {
    const { bytesWritten } = await h.write(chunk, off, chunk.byteLength - off, position + off);
    off += bytesWritten;
  }
}

/** Bytes of one write batch: network chunks (often 16–64 KiB) are copied into buffers of this size. */
const BATCH_BYTES = 1024 * 1024;

/**
 * Sequential writes of a stream of chunks at increasing offsets, batched: each chunk is copied at once
 * (the source may reuse its buffer) into one of two {@link BATCH_BYTES} buffers; a full buffer is written
 * while the other fills, so the network and the disk overlap. At most one write is in flight, so the
 * file is always a contiguous prefix, and memory stays at two buffers per blob. Each batch is hashed
 * from the very buffer handed to the write, so the digest checked at the commit is that of the bytes
 * written, not merely of the bytes received.
 */
class BatchWriter {
  #spare: Buffer | undefined;
  #buf: Buffer | undefined;
  #used = 0;
  #inFlight: Promise<void> | undefined;
  #failed: { error: unknown } | undefined;

  /** @param position offset of the next byte in the file */
  constructor(
    private readonly handle: FileHandle,
    private position: number,
    private readonly hash: Hash,
  ) {}

  /** Take `chunk` (copied before this returns); waits only when both buffers are full. */
  async push(chunk: Uint8Array): Promise<void> {
    for (let off = 0; off < chunk.byteLength; ) {
      this.#buf ??= this.#spare ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
      if (this.#buf === this.#spare) this.#spare = undefined;
      const n = Math.min(chunk.byteLength - off, BATCH_BYTES - this.#used);
      this.#buf.set(off === 0 && n === chunk.byteLength ? chunk : chunk.subarray(off, off + n), this.#used);
      this.#used += n;
      off += n;
      if (this.#used === BATCH_BYTES) await this.#submit();
    }
  }

  /** Write everything taken so far. @throws the write's error */
  async flush(): Promise<void> {
    if (this.#used > 0) await this.#submit();
    await this.#wait();
  }

  /** Wait for the write in flight (its error is rethrown), then start writing the current buffer. */
  async #submit(): Promise<void> {
    await this.#wait();
    const buf = this.#buf!;
    const len = this.#used;
    const at = this.position;
    const bytes = buf.subarray(0, len);
    this.hash.update(bytes);
    this.#buf = undefined;
    this.#used = 0;
    this.position += len;
    this.#inFlight = writeAt(this.handle, bytes, at).then(
      () => {
        this.#spare = buf;
      },
      (e: unknown) => {
        this.#failed = { error: e };
      },
    );
  }

  async #wait(): Promise<void> {
    if (this.#inFlight) {
      await this.#inFlight;
      this.#inFlight = undefined;
    }
    if (this.#failed) throw this.#failed.error;
  }
}

async function lockIngest(dir: string, what: string, options: ResumableWriteOptions): Promise<ProcessLock> {
  const { signal } = options;
  for (let i = 0; ; i++) {
    await mkdir(dir, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    try {
      return await acquireProcessLock(path.join(dir, 'lock'), {
        wait: options.waitForLock !== false,
        what,
        ...(signal ? { signal } : {}),
        ...(options.onLockWait ? { onWait: options.onLockWait } : {}),
      });
    } catch (e) {
      // The previous writer removed the directory between our mkdir and our lock: make it again.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && i < 10) continue;
      throw e;
    }
  }
}

/**
 * Iterate `body`, failing with a {@link TransferFailure} when it errors or stays silent for `idleMs`
 * while we wait for it, and with ABORTED on `signal`. One timer and one abort listener per body (not per
 * chunk): the timer checks how long the current wait has lasted and re-arms itself.
 */
async function* guarded(body: RangeSource['body'], signal: AbortSignal | undefined, idleMs: number, digest: string): AsyncGenerator<Uint8Array> {
  const it = body[Symbol.asyncIterator]();
  let finished = false;
  /** The wait in progress: when it started and how to interrupt it. */
  let waiting: { since: number; reject: (e: unknown) => void } | undefined;
  let interrupted: { error: unknown } | undefined;
  const interrupt = (e: unknown) => {
    interrupted ??= { error: e };
    waiting?.reject(e);
  };
  let timer: NodeJS.Timeout | undefined;
  const watch = (ms: number) => {
    timer = setTimeout(() => {
      const waited = waiting ? Date.now() - waiting.since : 0;
      if (waiting && waited >= idleMs) {
        interrupt(new TransferFailure(err(ErrorCode.Timeout, `blob ${digest}: no data for ${idleMs} ms`, { digest, idleTimeoutMs: idleMs })));
      } else {
        watch(idleMs - waited);
      }
    }, ms);
  };
  const onAbort = () => interrupt(aborted(signal!, digest));
  signal?.addEventListener('abort', onAbort, { once: true });
  watch(idleMs);
  try {
    for (;;) {
      if (signal?.aborted) throw aborted(signal, digest);
      if (interrupted) throw interrupted.error;
      let r: IteratorResult<Uint8Array>;
      try {
        r = await new Promise<IteratorResult<Uint8Array>>((resolve, reject) => {
          waiting = { since: Date.now(), reject };
          it.next().then(resolve, reject);
        });
      } catch (e) {
        if (e instanceof TransferFailure || isMagikrunError(e, ErrorCode.Aborted)) throw e;
        if (signal?.aborted) throw aborted(signal, digest);
        throw new TransferFailure(e);
      } finally {
        waiting = undefined;
      }
      if (r.done) {
        finished = true;
        return;
      }
      if (!(r.value instanceof Uint8Array)) {
        throw err(ErrorCode.InvalidArgument, `a blob source yielded ${typeof r.value}, not bytes`, { digest });
      }
      yield r.value;
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    if (!finished) {
      try {
        body.destroy?.();
      } catch {
        // released already
      }
      void Promise.resolve().then(() => it.return?.()).catch(() => {});
    }
  }
}


/**
 * Download one blob into the store through `openAt`, resuming from earlier partial data.
 *
 * @throws MagikrunError `LOCKED` (another live process writes it, with `waitForLock: false`), `DIGEST_MISMATCH` (partial discarded), `LIMIT_EXCEEDED` (more bytes than
 *   `size`/`maxSize`; partial discarded), `ABORTED` (partial kept), `TIMEOUT` (stalled on every
 *   attempt; partial kept), `INVALID_ARGUMENT` (the source ended short on every attempt; partial kept);
 *   errors from `openAt` or a body's own error after the last attempt are rethrown unchanged.
 */
export async function writeResumable(plan: ResumablePlan, openAt: OpenAt, options: ResumableWriteOptions): Promise<ResumableResult> {
  const { expected } = plan;
  const digest = expected.digest;
  const { size, signal } = options;
  if (size > options.maxSize) {
    throw err(ErrorCode.LimitExceeded, `blob ${digest} announces ${size} bytes, over the limit of ${options.maxSize}`, { digest, limit: 'maxSize', max: options.maxSize, value: size });
  }
  if (await exists(plan.blobPath)) return { size, created: false, resumedFrom: 0 };
  const dir = path.join(plan.ingestDir, expected.hex);
  const dataPath = path.join(dir, 'data');
  const lock = await lockIngest(dir, `blob ${digest}`, options);
  let handle: FileHandle | undefined;
  let discard = false;
  let committed = false;
  try {
    // The previous holder may have committed it while we waited.
    if (await exists(plan.blobPath)) {
      committed = true;
      return { size, created: false, resumedFrom: 0 };
    }
    handle = await open(dataPath, fsc.O_RDWR | fsc.O_CREAT | O_NOFOLLOW, 0o600);
    let n = (await handle.stat()).size;
    if (n > size) {
      await handle.truncate(0);
      n = 0;
    }
    let hash = await hashPrefix(handle, n);
    const resumedFrom = n;
    if (n > 0) options.onProgress?.(n);
    const retries = options.retries ?? 5;
    const idleMs = options.idleTimeoutMs ?? 30_000;
    let backoff = options.backoffMs ?? 200;
    let failures = 0;
    let restartedAfterMismatch = false;
    const restart = async () => {
      await handle!.truncate(0);
      n = 0;
      hash = createHash('sha256');
    };
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw aborted(signal, digest);
      if (n === size) {
        const actual = `sha256:${hash.copy().digest('hex')}`;
        if (actual === digest) break;
        if (resumedFrom > 0 && !restartedAfterMismatch) {
          // The kept prefix may be what was wrong: download the whole blob once more.
          restartedAfterMismatch = true;
          await restart();
          continue;
        }
        discard = true;
        throw err(ErrorCode.DigestMismatch, `blob content hashes to ${actual}, not the expected ${digest}; it was not stored`, { expected: digest, actual, size });
      }
      try {
        options.onAttempt?.({ offset: n, attempt });
        let src: RangeSource;
        try {
          src = await openAt(n, signal);
        } catch (e) {
          if (signal?.aborted) throw aborted(signal, digest);
          if (options.retryable?.(e)) throw new TransferFailure(e);
          throw e;
        }
        if (src.start !== n) {
          const asked = n;
          // A server that ignored Range (200, from 0): use the body from its start. Another range: drop
          // the partial data and ask for the whole blob on the next attempt.
          await restart();
          if (src.start !== 0) {
            try {
              src.body.destroy?.();
            } catch {
              // released
            }
            throw new TransferFailure(err(ErrorCode.Registry, `blob ${digest}: asked for the bytes from ${asked}, the server answered a range from ${src.start}`, { digest }));
          }
        }
        // Every byte is counted as it arrives, and hashed and written in batches; the writer is
        // flushed (all of `n` hashed and written) before a retry, a commit, or leaving this attempt.
        const writer = new BatchWriter(handle, n, hash);
        try {
          for await (const chunk of guarded(src.body, signal, idleMs, digest)) {
            if (n + chunk.byteLength > size) {
              discard = true;
              throw err(ErrorCode.LimitExceeded, `blob ${digest} is longer than its descriptor's ${size} bytes; the source is wrong or was tampered with`, {
                digest, limit: 'size', max: size, value: n + chunk.byteLength,
              });
            }
            n += chunk.byteLength;
            await writer.push(chunk);
            options.onProgress?.(n);
          }
        } catch (e) {
          // Keep the file a prefix that matches `n` and the hash for the next attempt; a write error
          // is fatal (thrown as is, not retried).
          if (e instanceof TransferFailure) await writer.flush();
          else await writer.flush().catch(() => {});
          throw e;
        }
        await writer.flush();
        if (n < size) {
          throw new TransferFailure(err(ErrorCode.InvalidArgument, `blob ${digest} ended after ${n} of its ${size} bytes; the download was cut short`, { digest, size, received: n }));
        }
      } catch (e) {
        if (!(e instanceof TransferFailure)) throw e;
        if (signal?.aborted) throw aborted(signal, digest);
        if (++failures > retries) {
          throw e.error;
        }
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }

    // Verified: make it durable and visible.
    const h = handle;
    handle = undefined;
    const created = await commitBlob(h, dataPath, plan);
    committed = true;
    return { size, created, resumedFrom };
  } catch (e) {
    if (isMagikrunError(e) || !signal?.aborted) throw e;
    throw aborted(signal, digest);
  } finally {
    await handle?.close().catch(() => {});
    // Nothing worth resuming: an empty partial (the source was refused before its first byte) goes too.
    const empty = !committed && !discard && (await lstat(dataPath).then((st) => st.size === 0, () => false));
    if (committed || discard || empty) await unlink(dataPath).catch(() => {});
    await lock.release();
    if (committed || discard || empty) await rmdir(dir).catch(() => {});
  }
}
