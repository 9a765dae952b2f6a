/**
 * Layer decompression by media type: gzip (Node's zlib; multi-member streams decode completely),
 * zstd (libzstd through zstd-napi, streaming, with a bounded window; multi-frame streams decode
 * completely, content checksums are verified, a stream that ends inside a frame is an error) and
 * uncompressed tar. The media type decides and the first bytes must agree with it.
 *
 * A zstd layer may start with skippable frames (RFC 8878 §3.1.2: magic 0x184D2A50–0x184D2A5F, a 4-byte
 * size, a payload), as `zstd -d` and containerd accept: the sniffing reads them as zstd, and
 * {@link zstdFramesChecked} refuses a stream that ends inside one or that holds nothing else (which
 * the decoders would turn into an empty layer).
 *
 * zstd-napi is a native module built by its install script (a prebuilt binary, or node-gyp). Where that
 * script did not run (pnpm blocks install scripts unless allowed) or could not build, zstd layers are
 * decoded by the `zstd` tool instead ({@link zstdCliDecode}), with the same limits and errors.
 * `MAGIKRUN_ZSTD_DECODER=native|cli` forces one decoder (tests use it to cover both).
 *
 * Output is produced in bounded chunks and pulled by the consumer (backpressure), so a small
 * highly-compressed blob cannot fill memory before the size limits downstream see its bytes.
 *
 * @module rootfs/decompress
 */
import { createRequire } from 'node:module';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { err, ErrorCode, isMagikrunError } from '../errors.js';
import { MediaType } from '../image/media-types.js';
import { ByteReader } from './byte-reader.js';
import { zstdCliDecode } from './zstd-cli.js';

/** How a layer blob is compressed. */
export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_TYPES = new Set<string>([
  MediaType.OciLayerTarGzip,
  MediaType.OciLayerNondistributableTarGzip,
  MediaType.DockerLayerTarGzip,
  MediaType.DockerLayerForeignTarGzip,
]);
const ZSTD_TYPES = new Set<string>([MediaType.OciLayerTarZstd, MediaType.OciLayerNondistributableTarZstd]);
const PLAIN_TYPES = new Set<string>([MediaType.OciLayerTar, MediaType.OciLayerNondistributableTar]);

const ZSTD_MAGIC = 0xfd2fb528;
/** RFC 8878 §3.1.2: a skippable frame's magic is 0x184D2A5? (16 values), little-endian. */
const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;
const ZSTD_SKIPPABLE_MASK = 0xfffffff0;
/** Bytes of a skippable frame's header: magic and payload size. */
const ZSTD_SKIPPABLE_HEADER = 8;

function isSkippableMagic(magic: number): boolean {
  return (magic & ZSTD_SKIPPABLE_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC;
}

function magicOf(head: Buffer): Compression | 'zstd-skippable' | 'bzip2' | 'xz' {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === ZSTD_MAGIC) return 'zstd';
  if (head.length >= 4 && isSkippableMagic(head.readUInt32LE(0))) return 'zstd-skippable';
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  return 'none';
}

/**
 * The compression of a layer from its media type, checked against its first bytes. A zstd frame or a
 * zstd skippable frame (RFC 8878 §3.1.2) counts as zstd; as those four bytes (`P*M\x18`…) could also
 * begin a tar entry name, under an uncompressed-tar media type they are left to the tar reader, whose
 * header checksum decides.
 *
 * @param head the first bytes of the blob (at least 6 when the blob has them).
 * @throws MagikrunError `INVALID_ARGUMENT` (not a tar layer type, or bytes that contradict the type),
 *   `UNSUPPORTED` (bzip2/xz content, which OCI layers do not use).
 */
export function compressionOf(mediaType: string, head: Buffer, layer: string): Compression {
  const sniffed = magicOf(head);
  if (sniffed === 'bzip2' || sniffed === 'xz') {
    throw err(ErrorCode.Unsupported, `layer ${layer} is ${sniffed}-compressed, which OCI images do not use; push it with gzip or zstd layers`, { layer, mediaType });
  }
  const declared: Compression | undefined = GZIP_TYPES.has(mediaType) ? 'gzip' : ZSTD_TYPES.has(mediaType) ? 'zstd' : PLAIN_TYPES.has(mediaType) ? 'none' : undefined;
  if (declared === undefined) {
    throw err(ErrorCode.InvalidArgument, `layer ${layer} has media type ${mediaType}, which is not a tar layer`, { layer, mediaType });
  }
  const magic: Compression = sniffed === 'zstd-skippable' ? (declared === 'none' ? 'none' : 'zstd') : sniffed;
  if (declared !== magic) {
    const what = magic === 'none' ? 'not compressed' : `${magic}-compressed`;
    throw err(ErrorCode.InvalidArgument, `layer ${layer} is ${what}, but its media type ${mediaType} says ${declared === 'none' ? 'uncompressed tar' : declared}; the image is malformed`, {
      layer,
      mediaType,
    });
  }
  return declared;
}

interface ZstdBinding {
  DCtx: new () => {
    setParameter(param: number, value: number): void;
    decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
  };
  DParameter: { windowLogMax: number };
  dStreamOutSize(): number;
}

let zstdBinding: { binding: ZstdBinding } | { error: unknown } | undefined;

function tryLoadZstd(): { binding: ZstdBinding } | { error: unknown } {
  if (!zstdBinding) {
    try {
      zstdBinding = { binding: createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding };
    } catch (error) {
      zstdBinding = { error };
    }
  }
  return zstdBinding;
}

function loadZstd(layer: string): ZstdBinding {
  const z = tryLoadZstd();
  if ('binding' in z) return z.binding;
  throw err(
    ErrorCode.Unavailable,
    `layer ${layer} is zstd-compressed, but the zstd-napi native module could not be loaded (${(z.error as Error)?.message}); ` +
      'reinstall @magikrun/core with install scripts allowed (pnpm: list zstd-napi in onlyBuiltDependencies)',
    { layer, reason: 'zstd-napi binding missing' },
    z.error,
  );
}

/** Which zstd decoder a layer gets: `MAGIKRUN_ZSTD_DECODER`, else zstd-napi when it loads, else the `zstd` tool. */
export function zstdDecoder(): 'native' | 'cli' {
  const forced = process.env.MAGIKRUN_ZSTD_DECODER;
  if (forced === 'native' || forced === 'cli') return forced;
  return 'binding' in tryLoadZstd() ? 'native' : 'cli';
}

/** Split chunks to at most `max` bytes (bounds what one zlib write may expand to). */
async function* rechunk(source: AsyncIterable<Buffer>, max: number): AsyncGenerator<Buffer> {
  for await (const c of source) {
    for (let off = 0; off < c.length; off += max) yield c.subarray(off, off + max);
  }
}

/**
 * zstd frames → bytes, one `ZSTD_decompressStream` call per output buffer, pulled by the consumer.
 *
 * @throws MagikrunError `LIMIT_EXCEEDED` (a frame's window above `2^windowLogMax`), `INVALID_ARGUMENT`
 *   (corrupt data, checksum mismatch, a stream that ends inside a frame).
 */
export async function* zstdDecode(source: AsyncIterable<Buffer>, layer: string, windowLogMax: number): AsyncGenerator<Buffer> {
  const z = loadZstd(layer);
  const dctx = new z.DCtx();
  dctx.setParameter(z.DParameter.windowLogMax, windowLogMax);
  const outSize = z.dStreamOutSize();
  let inFrame = false;
  for await (const chunk of source) {
    let src: Buffer = chunk;
    for (;;) {
      const dst = Buffer.allocUnsafe(outSize);
      let ret: number;
      let produced: number;
      let consumed: number;
      try {
        [ret, produced, consumed] = dctx.decompressStream(dst, src);
      } catch (e) {
        throw zstdError(e, layer, windowLogMax);
      }
      src = src.subarray(consumed);
      inFrame = ret !== 0;
      if (produced > 0) yield dst.subarray(0, produced);
      // Done with this input once it is consumed and the decoder had no more to flush.
      if (src.length === 0 && produced < outSize) break;
    }
  }
  if (inFrame) {
    throw err(ErrorCode.InvalidArgument, `layer ${layer} is truncated: its zstd stream ends inside a frame`, { layer });
  }
}

/**
 * The zstd blob's bytes, unchanged, with its leading skippable frames (RFC 8878 §3.1.2) checked: the
 * decoders skip them, but `zstd -d` (and libzstd) decode a stream of skippable frames alone to nothing
 * and report success, so that is refused here, as is a stream that ends inside one (its declared size
 * runs past the data). What follows the first data frame's magic is left to the decoder.
 *
 * @throws MagikrunError `INVALID_ARGUMENT` (skippable frames only; truncated inside a skippable frame).
 */
export async function* zstdFramesChecked(source: AsyncIterable<Buffer>, layer: string): AsyncGenerator<Buffer> {
  const reader = new ByteReader(source);
  const truncated = () => err(ErrorCode.InvalidArgument, `layer ${layer} is truncated: its zstd stream ends inside a skippable frame`, { layer });
  try {
    let skippable = 0;
    for (;;) {
      const header = await reader.read(ZSTD_SKIPPABLE_HEADER);
      if (header.length === 0) {
        throw err(
          ErrorCode.InvalidArgument,
          `layer ${layer} holds no zstd data frame, only skippable frames (${skippable}), so no tar stream; the image is malformed`,
          { layer, skippableFrames: skippable },
        );
      }
      if (header.length < 4 || !isSkippableMagic(header.readUInt32LE(0))) {
        yield header;
        break;
      }
      if (header.length < ZSTD_SKIPPABLE_HEADER) throw truncated();
      yield header;
      skippable++;
      for (let left = header.readUInt32LE(4); left > 0; ) {
        const chunk = await reader.readSome(Math.min(left, 1 << 20));
        if (chunk.length === 0) throw truncated();
        left -= chunk.length;
        yield chunk;
      }
    }
    for (;;) {
      const chunk = await reader.readSome(1 << 20);
      if (chunk.length === 0) return;
      yield chunk;
    }
  } finally {
    await reader.close();
  }
}

function zstdError(e: unknown, layer: string, windowLogMax: number) {
  const msg = (e as Error)?.message ?? String(e);
  if (/too much memory|window/i.test(msg)) {
    return err(
      ErrorCode.LimitExceeded,
      `layer ${layer} is a zstd stream whose window needs more than 2^${windowLogMax} bytes of memory (the zstd window limit); recompress it without --long/--ultra`,
      { layer, limit: 'zstdWindowLogMax', max: windowLogMax },
      e,
    );
  }
  return err(ErrorCode.InvalidArgument, `layer ${layer} is not valid zstd: ${msg}`, { layer }, e);
}

function gzipError(e: unknown, layer: string): unknown {
  if (isMagikrunError(e)) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    const truncated = code === 'Z_BUF_ERROR';
    return err(ErrorCode.InvalidArgument, `layer ${layer} ${truncated ? 'is truncated: its gzip stream ends early' : `is not valid gzip: ${(e as Error).message}`}`, { layer }, e);
  }
  return e;
}

async function* gzipDecode(source: AsyncIterable<Buffer>, layer: string): AsyncGenerator<Buffer> {
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  const input = rechunk(source, 16 * 1024);
  const out = pipeline(input, gunzip, () => {
    // errors surface through the iteration below
  });
  try {
    for await (const c of out as AsyncIterable<Buffer>) yield c;
  } catch (e) {
    throw gzipError(e, layer);
  } finally {
    gunzip.destroy();
  }
}

/**
 * The uncompressed bytes of a layer blob.
 *
 * @param source the blob's bytes (the store verifies their digest as they are read).
 * @throws MagikrunError as {@link zstdDecode} and {@link zstdFramesChecked}; `INVALID_ARGUMENT` for corrupt or truncated gzip.
 */
export function decompress(source: AsyncIterable<Buffer>, compression: Compression, layer: string, windowLogMax: number): AsyncIterable<Buffer> {
  switch (compression) {
    case 'gzip':
      return gzipDecode(source, layer);
    case 'zstd': {
      const frames = zstdFramesChecked(source, layer);
      return zstdDecoder() === 'native' ? zstdDecode(frames, layer, windowLogMax) : zstdCliDecode(frames, layer, windowLogMax);
    }
    case 'none':
      return source;
  }
}
