/**
 * One layer blob → entries applied to a rootfs: read from the BlobStore (digest verified as it is
 * read), decompressed by what its first bytes say (gzip, or plain tar; zstd, bzip2 and xz are refused
 * for now), counted against MAX_LAYER_SIZE and the rootfs budget (uncompressed bytes), hashed against
 * the config's diff_id, and applied by {@link applyEntries}.
 *
 * @module bundle-builder/rootfs/unpack-layer
 */
import { createHash } from 'node:crypto';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { err, ErrorCode, isMagikrunError } from '../../errors.js';
import type { Descriptor } from '../../image/manifest.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { applyEntries, type ApplyStats } from './apply-entries.js';

/** Running uncompressed-byte budget shared by the layers of one rootfs. */
export interface RootfsBudget {
  /** Bytes still allowed. */
  remaining: number;
  /** The whole budget (MAX_ROOTFS_SIZE or the caller's), for messages. */
  readonly total: number;
}

/** Options of {@link unpackLayer}. */
export interface UnpackLayerOptions {
  /** Expected sha256 of the uncompressed tar (config `rootfs.diff_ids[i]`), if known. */
  diffId?: string;
  /** Largest uncompressed layer, in bytes. */
  maxLayerSize: number;
  budget: RootfsBudget;
}

type Compression = 'gzip' | 'none';

async function sniff(store: BlobStore, digest: string): Promise<Buffer> {
  const s = await store.createReadStream(digest, { verify: false });
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of s as AsyncIterable<Buffer>) {
    chunks.push(c);
    n += c.length;
    if (n >= 8) break;
  }
  s.destroy();
  return Buffer.concat(chunks).subarray(0, 8);
}

function compressionOf(head: Buffer, d: Descriptor): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.readUInt32LE(0) === 0xfd2fb528 && head.length >= 4) {
    throw err(ErrorCode.Unsupported, `layer ${d.digest} is zstd-compressed, which this version cannot unpack yet; push the image with gzip layers`, { layer: d.digest, mediaType: d.mediaType });
  }
  if (head.subarray(0, 3).toString('latin1') === 'BZh' || head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) {
    throw err(ErrorCode.Unsupported, `layer ${d.digest} is bzip2- or xz-compressed, which OCI images do not use; push it with gzip layers`, { layer: d.digest });
  }
  return 'none';
}

/**
 * Apply the layer `d` (stored in `store`) to `root`.
 *
 * @throws MagikrunError `LIMIT_EXCEEDED` (layer or rootfs budget, uncompressed bytes),
 *   `DIGEST_MISMATCH` (the stored blob or the diff_id does not match), `UNSUPPORTED` (zstd, bzip2, xz),
 *   `INVALID_ARGUMENT` (not gzip/tar), and what {@link applyEntries} throws.
 */
export async function unpackLayer(store: BlobStore, d: Descriptor, root: string, options: UnpackLayerOptions): Promise<ApplyStats> {
  const head = await sniff(store, d.digest);
  const compression = head.length >= 4 ? compressionOf(head, d) : 'none';
  const source: Readable = await store.createReadStream(d.digest);
  const diffHash = createHash('sha256');
  let count = 0;
  const { maxLayerSize, budget } = options;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      count += chunk.length;
      if (count > maxLayerSize) {
        cb(err(ErrorCode.LimitExceeded, `layer ${d.digest} unpacks to more than ${maxLayerSize} bytes (the layer limit)`, { layer: d.digest, limit: 'maxLayerSize', max: maxLayerSize }));
        return;
      }
      if (count > budget.remaining) {
        cb(err(ErrorCode.LimitExceeded, `the image unpacks to more than ${budget.total} bytes (the rootfs limit)`, { layer: d.digest, limit: 'maxRootfsSize', max: budget.total }));
        return;
      }
      diffHash.update(chunk);
      cb(null, chunk);
    },
  });
  const extract = tar.extract();
  // tar-stream's extractor is a streamx Writable; a Node Writable in front of it keeps Node's pipeline
  // (errors, backpressure) on Node streams only.
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (extract.write(chunk)) cb();
      else extract.once('drain', () => cb());
    },
    final(cb) {
      (extract as unknown as { end(): void }).end();
      cb();
    },
  });
  const stages = compression === 'gzip' ? [createGunzip()] : [];
  const feeding = pipeline([source, ...stages, counter, sink]).then(
    () => undefined,
    (e: unknown) => {
      extract.destroy(e instanceof Error ? e : new Error(String(e)));
      return e;
    },
  );
  let stats: ApplyStats;
  try {
    stats = await applyEntries(root, extract, { layer: d.digest, maxFileSize: maxLayerSize });
  } catch (e) {
    extract.destroy(e instanceof Error ? e : new Error(String(e)));
    source.destroy();
    const fed = await feeding;
    throw pickError([fed, e], d);
  }
  const fed = await feeding;
  if (fed) throw pickError([fed], d);
  budget.remaining -= count;
  const actualDiffId = `sha256:${diffHash.digest('hex')}`;
  if (options.diffId !== undefined && actualDiffId !== options.diffId) {
    throw err(ErrorCode.DigestMismatch, `layer ${d.digest} unpacks to content with digest ${actualDiffId}, but the image config's diff_id says ${options.diffId}`, {
      layer: d.digest,
      expected: options.diffId,
      actual: actualDiffId,
    });
  }
  return stats;
}

/**
 * The most telling error: ours (limits, digests) first, then zlib and tar failures as
 * INVALID_ARGUMENT; a "premature close" from our own teardown never wins.
 */
function pickError(errors: unknown[], d: Descriptor): unknown {
  const present = errors.filter((e) => e !== undefined && e !== null);
  const ours = present.find((e) => isMagikrunError(e));
  if (ours) return ours;
  const zlib = present.find((e) => typeof (e as NodeJS.ErrnoException)?.code === 'string' && (e as NodeJS.ErrnoException).code!.startsWith('Z_'));
  if (zlib) return err(ErrorCode.InvalidArgument, `layer ${d.digest} is not valid gzip: ${(zlib as Error).message}`, { layer: d.digest }, zlib);
  const meaningful = present.filter((e) => (e as NodeJS.ErrnoException)?.code !== 'ERR_STREAM_PREMATURE_CLOSE');
  const first = meaningful[0] ?? present[0];
  if (first instanceof Error && /tar|header|checksum|unexpected end/i.test(first.message)) {
    return err(ErrorCode.InvalidArgument, `layer ${d.digest} is not a valid tar archive: ${first.message}`, { layer: d.digest }, first);
  }
  return first;
}
