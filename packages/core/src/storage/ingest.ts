/**
 * The write path of the blob store, as containerd's content store commits: bytes go to a fresh file
 * under `<root>/ingest/` (O_EXCL, 0600), are hashed and counted as they arrive, the file is fsynced,
 * size and digest are checked, and only then is the file linked into `blobs/` and the directory fsynced.
 * Any failure removes the temp file; nothing unverified is ever visible as a blob.
 *
 * @module storage/ingest
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from './durable-file.js';
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import type { ParsedDigest } from './digest.js';
import { ensureStoreDir } from './root.js';
import type { BlobSource } from './types.js';

/** Where and how one verified write goes. */
export interface IngestPlan {
  expected: ParsedDigest;
  /** `<root>/ingest` */
  ingestDir: string;
  /** `<root>/blobs/sha256` */
  algorithmDir: string;
  /** `<root>/blobs/sha256/<2 hex>` */
  blobDir: string;
  /** `<root>/blobs/sha256/<2 hex>/<64 hex>` */
  blobPath: string;
  /** Exact byte count expected, if announced. */
  size?: number;
  /** Most bytes accepted. */
  maxSize: number;
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
}

/** Mode of a committed blob: read-only for its owner (the root is 0700). */
const BLOB_MODE = 0o400;
const isWindows = process.platform === 'win32';

function abortedError(signal: AbortSignal): Error {
  return err(ErrorCode.Aborted, 'the blob write was aborted; nothing was stored', {}, signal.reason);
}

/** Wraps an error thrown by the caller's source, so that it is rethrown unchanged rather than as INTERNAL. */
class SourceFailure {
  constructor(readonly error: unknown) {}
}

/** Iterate a source, racing each step against the abort signal so a stalled source cannot hold an abort. */
async function* abortable(source: BlobSource, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  const it: AsyncIterator<Uint8Array> | Iterator<Uint8Array> =
    Symbol.asyncIterator in source ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]() : (source as Iterable<Uint8Array>)[Symbol.iterator]();
  let onAbort: (() => void) | undefined;
  const aborted = signal
    ? new Promise<never>((_, reject) => {
        onAbort = () => reject(abortedError(signal));
        signal.addEventListener('abort', onAbort, { once: true });
      })
    : undefined;
  aborted?.catch(() => {});
  let done = false;
  try {
    for (;;) {
      if (signal?.aborted) throw abortedError(signal);
      let r: IteratorResult<Uint8Array>;
      try {
        const step = Promise.resolve(it.next());
        r = aborted ? await Promise.race([step, aborted]) : await step;
      } catch (e) {
        if (isMagikrunError(e, ErrorCode.Aborted)) throw e;
        throw new SourceFailure(e);
      }
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    // Release the source (destroys a Readable, cancels a web stream); never wait on a stalled one.
    if (!done) void Promise.resolve().then(() => it.return?.()).catch(() => {});
  }
}

/** Release a source that will not be read (a put that found the blob already stored). */
export function releaseSource(source: BlobSource): void {
  const s = source as { destroy?: () => void; cancel?: () => Promise<void>; locked?: boolean };
  try {
    if (typeof s.destroy === 'function') s.destroy();
    else if (typeof s.cancel === 'function' && s.locked !== true) void s.cancel().catch(() => {});
  } catch {
    // the caller's source; nothing more to do
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}


/**
 * The commit step of every write path (containerd's): fsync the verified data file, make it read-only,
 * close it, then give it the blob's name with `link` — which fails with EEXIST when another writer won,
 * so exactly one writer sees `created` — or, on a filesystem without hard links, an atomic `rename`;
 * then fsync the directories whose entries changed. The data file keeps its own name (the caller
 * removes it).
 *
 * @returns whether this writer created the blob (false: another writer committed it first).
 */
export async function commitBlob(handle: FileHandle, dataPath: string, plan: Pick<IngestPlan, 'algorithmDir' | 'blobDir' | 'blobPath'>): Promise<boolean> {
  try {
    await handle.sync();
    if (!isWindows) await handle.chmod(BLOB_MODE);
  } finally {
    await handle.close();
  }
  if (await ensureStoreDir(plan.blobDir)) await fsyncDir(plan.algorithmDir);
  let created = true;
  try {
    await link(dataPath, plan.blobPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') created = false;
    else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS' || code === 'EMLINK') await rename(dataPath, plan.blobPath);
    else throw e;
  }
  if (created) await fsyncDir(plan.blobDir);
  return created;
}

/**
 * Stream `source` into the store under `plan.expected`.
 *
 * @returns the byte count, and `created: false` when another writer committed the same blob first.
 * @throws MagikrunError `LIMIT_EXCEEDED` (more bytes than `size` or `maxSize`), `INVALID_ARGUMENT`
 *   (fewer bytes than `size`, a chunk that is not bytes), `DIGEST_MISMATCH`, `ABORTED`.
 */
export async function ingest(source: BlobSource, plan: IngestPlan): Promise<{ size: number; created: boolean }> {
  const tmp = path.join(plan.ingestDir, `${plan.expected.hex}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
  const limit = Math.min(plan.size ?? Number.POSITIVE_INFINITY, plan.maxSize);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmp, 'wx', 0o600);
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of abortable(source, plan.signal)) {
      if (!(chunk instanceof Uint8Array)) {
        throw err(ErrorCode.InvalidArgument, `a blob source yielded ${typeof chunk}, not bytes; give a binary stream (no setEncoding)`, { digest: plan.expected.digest });
      }
      bytes += chunk.byteLength;
      if (bytes > limit) {
        const bySize = plan.size !== undefined && bytes > plan.size;
        throw err(
          ErrorCode.LimitExceeded,
          bySize
            ? `blob ${plan.expected.digest} is longer than its announced size of ${plan.size} bytes; the source is wrong or was tampered with`
            : `blob ${plan.expected.digest} exceeds the limit of ${plan.maxSize} bytes; raise maxSize if this blob is legitimately larger`,
          { digest: plan.expected.digest, limit: bySize ? 'size' : 'maxSize', max: bySize ? plan.size : plan.maxSize, value: bytes },
        );
      }
      hash.update(chunk);
      await writeAll(handle, chunk);
      plan.onProgress?.(bytes);
    }
    if (plan.signal?.aborted) throw abortedError(plan.signal);
    if (plan.size !== undefined && bytes !== plan.size) {
      throw err(ErrorCode.InvalidArgument, `blob ${plan.expected.digest} ended after ${bytes} of its announced ${plan.size} bytes; the download was cut short`, {
        digest: plan.expected.digest, size: plan.size, received: bytes,
      });
    }
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== plan.expected.digest) {
      throw err(ErrorCode.DigestMismatch, `content hashes to ${actual}, not the expected ${plan.expected.digest}; it was not stored`, {
        expected: plan.expected.digest, actual, size: bytes,
      });
    }
    const h = handle;
    handle = undefined;
    const created = await commitBlob(h, tmp, plan);
    return { size: bytes, created };
  } catch (e) {
    if (e instanceof SourceFailure) throw e.error;
    if (isMagikrunError(e)) throw e;
    if (plan.signal?.aborted) throw abortedError(plan.signal);
    throw err(ErrorCode.Internal, `writing blob ${plan.expected.digest} failed: ${(e as Error).message}`, { digest: plan.expected.digest }, e);
  } finally {
    await handle?.close().catch(() => {});
    // After a link the temp is a second name of the blob; after a failure it is unverified. Either way it goes.
    await unlink(tmp).catch(() => {});
  }
}
