/**
 * Decompression of layers made by the real `gzip` and `zstd` tools: multi-member and multi-frame
 * streams, truncation, corruption, checksums, the zstd window limit, the compression-ratio guard and
 * media-type checks.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failure } from '../../test/support/outcome.js';
import { compressWith, rawHeader, storeBlob, tarOf } from '../../test/support/layers.js';
import { MediaType } from '../image/media-types.js';
import { BlobStore } from '../storage/blob-store.js';
import { sha256Digest } from '../storage/digest.js';
import { applyLayer } from './apply-layer.js';
import { zstdDecoder } from './decompress.js';

let parent: string;
let store: BlobStore;
let root: string;
let tarBytes: Buffer;
let diffId: string;

beforeAll(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'magikrun-decompress-'));
  store = await BlobStore.open({ root: path.join(parent, 'store') });
  // Enough content for several zstd blocks and gzip deflate blocks.
  const files = Array.from({ length: 40 }, (_, i) => ({ name: `dir${i % 4}/file${i}`, content: `${i} `.repeat(2000 + i * 50) }));
  tarBytes = await tarOf(files);
  diffId = sha256Digest(tarBytes);
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});
beforeEach(async () => {
  root = await mkdtemp(path.join(parent, 'root-'));
});

async function run(blob: Buffer, mediaType: string, id = diffId, limits = {}) {
  const l = await storeBlob(store, blob, mediaType, id);
  return applyLayer({ store, layer: l.descriptor, diffId: l.diffId, root, limits });
}
const half = () => Math.floor(tarBytes.length / 2);

describe('gzip', () => {
  it('decodes a multi-member stream completely (gzip a; gzip b; cat)', async () => {
    const blob = Buffer.concat([compressWith('gzip', tarBytes.subarray(0, half())), compressWith('gzip', tarBytes.subarray(half()))]);
    const s = await run(blob, MediaType.OciLayerTarGzip);
    expect(s.uncompressedBytes).toBe(tarBytes.length);
    expect(await readFile(path.join(root, 'dir3/file39'), 'utf8')).toBe('39 '.repeat(2000 + 39 * 50));
  });

  it('a truncated stream is INVALID_ARGUMENT (never a short rootfs), at any cut', async () => {
    const blob = compressWith('gzip', tarBytes);
    for (const cut of [10, Math.floor(blob.length / 2), blob.length - 4]) {
      const f = await failure(run(blob.subarray(0, cut), MediaType.OciLayerTarGzip));
      expect(f.code, `cut at ${cut}`).toBe('INVALID_ARGUMENT');
      expect(f.message).toMatch(/truncated|not valid gzip|tar/);
    }
  });

  it('a corrupted body or CRC is INVALID_ARGUMENT', async () => {
    const blob = compressWith('gzip', tarBytes);
    const body = Buffer.from(blob);
    body[Math.floor(body.length / 2)]! ^= 0xff;
    expect((await failure(run(body, MediaType.OciLayerTarGzip))).code).toMatch(/INVALID_ARGUMENT|DIGEST_MISMATCH/);
    const crc = Buffer.from(blob);
    crc[crc.length - 6]! ^= 0x01; // CRC32 of the trailer
    expect((await failure(run(crc, MediaType.OciLayerTarGzip))).code).toBe('INVALID_ARGUMENT');
  });
});

// zstd runs through both decoders, forced: zstd-napi (a dependency of core, so its native module must
// load here — a missing build fails these tests instead of silently testing the fallback) and the
// zstd tool that stands in where an install skipped native builds. Both must behave the same.
describe.each([
  ['zstd-napi', 'native'],
  ['the zstd tool', 'cli'],
] as const)('zstd (%s)', (_label, forced) => {
  beforeAll(() => {
    if (forced) process.env.MAGIKRUN_ZSTD_DECODER = forced;
  });
  afterAll(() => {
    delete process.env.MAGIKRUN_ZSTD_DECODER;
  });

  it('decodes a multi-frame stream completely (zstd a; zstd b; cat), and one with a skippable frame', async () => {
    const a = compressWith('zstd', tarBytes.subarray(0, half()));
    const b = compressWith('zstd', tarBytes.subarray(half()));
    const s = await run(Buffer.concat([a, b]), MediaType.OciLayerTarZstd);
    expect(s.uncompressedBytes).toBe(tarBytes.length);
    expect(await readFile(path.join(root, 'dir3/file39'), 'utf8')).toBe('39 '.repeat(2000 + 39 * 50));
    const skippable = Buffer.alloc(8 + 5);
    skippable.writeUInt32LE(0x184d2a50, 0);
    skippable.writeUInt32LE(5, 4);
    root = await mkdtemp(path.join(parent, 'root-'));
    expect((await run(Buffer.concat([a, skippable, b]), MediaType.OciLayerTarZstd)).uncompressedBytes).toBe(tarBytes.length);
  });

  it('a stream cut inside a frame is INVALID_ARGUMENT, also when cut between two frames', async () => {
    const a = compressWith('zstd', tarBytes.subarray(0, half()));
    const b = compressWith('zstd', tarBytes.subarray(half()));
    const whole = Buffer.concat([a, b]);
    for (const cut of [5, Math.floor(a.length / 2), a.length + 10, whole.length - 1]) {
      const f = await failure(run(whole.subarray(0, cut), MediaType.OciLayerTarZstd));
      expect(f.code, `cut at ${cut}`).toBe('INVALID_ARGUMENT');
    }
    // Cut exactly at the frame boundary: every frame is complete, the tar is not (or the diff_id says so).
    const f = await failure(run(a, MediaType.OciLayerTarZstd));
    expect(['INVALID_ARGUMENT', 'DIGEST_MISMATCH']).toContain(f.code);
  });

  it('a corrupted block or content checksum is INVALID_ARGUMENT', async () => {
    const blob = compressWith('zstd', tarBytes, ['--check']);
    const body = Buffer.from(blob);
    body[Math.floor(body.length / 2)]! ^= 0xff;
    expect((await failure(run(body, MediaType.OciLayerTarZstd))).code).toMatch(/INVALID_ARGUMENT|DIGEST_MISMATCH/);
    const sum = Buffer.from(blob);
    sum[sum.length - 1]! ^= 0x01; // the frame's content checksum (last 4 bytes)
    const f = await failure(run(sum, MediaType.OciLayerTarZstd));
    expect(f.code).toBe('INVALID_ARGUMENT');
    expect(f.message).toMatch(/checksum/i);
    const junk = Buffer.concat([blob, Buffer.from('trailing garbage')]);
    expect((await failure(run(junk, MediaType.OciLayerTarZstd))).code).toBe('INVALID_ARGUMENT');
  });

  it('a frame asking for a window above 2^27 bytes is LIMIT_EXCEEDED; a raised zstdWindowLogMax admits it', async () => {
    const blob = compressWith('zstd', tarBytes, ['--long=30']);
    const f = await failure(run(blob, MediaType.OciLayerTarZstd));
    expect(f.code).toBe('LIMIT_EXCEEDED');
    expect(f.message).toMatch(/window/);
    expect((await run(blob, MediaType.OciLayerTarZstd, diffId, { zstdWindowLogMax: 30, allowAboveDefault: true })).uncompressedBytes).toBe(tarBytes.length);
  });
});

describe('zstd decoder choice', () => {
  it('MAGIKRUN_ZSTD_DECODER forces a decoder; otherwise zstd-napi when its native module loads, else the zstd tool', () => {
    process.env.MAGIKRUN_ZSTD_DECODER = 'cli';
    expect(zstdDecoder()).toBe('cli');
    delete process.env.MAGIKRUN_ZSTD_DECODER;
    let native = true;
    try {
      createRequire(import.meta.url)('zstd-napi/binding');
    } catch {
      native = false;
    }
    expect(zstdDecoder()).toBe(native ? 'native' : 'cli');
  });
});

describe('bombs and media types', () => {
  // A tar holding one 100 MiB file of zeros, compressed by the real tools: ~100 KiB of gzip, ~3 KiB of zstd.
  async function bomb(tool: 'gzip' | 'zstd'): Promise<{ blob: Buffer; id: string }> {
    const dir = path.join(parent, `bomb-${tool}`);
    await mkdir(dir, { recursive: true });
    const size = 100 * 1024 * 1024;
    await writeFile(path.join(dir, 'header'), rawHeader({ name: 'zeros', size }));
    const out = path.join(dir, 'blob');
    execFileSync('sh', ['-c', `(cat header; head -c ${size} /dev/zero; head -c 1024 /dev/zero) | ${tool} -c > blob`], { cwd: dir });
    const id = execFileSync('sh', ['-c', `(cat header; head -c ${size} /dev/zero; head -c 1024 /dev/zero) | sha256sum`], { cwd: dir }).toString().split(' ')[0]!;
    return { blob: await readFile(out), id: `sha256:${id}` };
  }

  it.each(['gzip', 'zstd'] as const)('a %s bomb stops at the compression-ratio guard (LIMIT_EXCEEDED)', async (tool) => {
    if (tool === 'zstd') process.env.MAGIKRUN_ZSTD_DECODER = 'cli';
    try {
      await bombCase(tool);
      if (tool === 'zstd') {
        delete process.env.MAGIKRUN_ZSTD_DECODER;
        await bombCase(tool);
      }
    } finally {
      delete process.env.MAGIKRUN_ZSTD_DECODER;
    }
  });

  async function bombCase(tool: 'gzip' | 'zstd'): Promise<void> {
    root = await mkdtemp(path.join(parent, 'root-'));
    const { blob, id } = await bomb(tool);
    expect(blob.length).toBeLessThan(200 * 1024);
    const f = await failure(run(blob, tool === 'gzip' ? MediaType.OciLayerTarGzip : MediaType.OciLayerTarZstd, id));
    expect(f.code).toBe('LIMIT_EXCEEDED');
    expect(f.message).toMatch(/compression-ratio/);
    // Within the layer limit and with the guard raised deliberately, the same blob unpacks.
    root = await mkdtemp(path.join(parent, 'root-'));
    const ok = await run(blob, tool === 'gzip' ? MediaType.OciLayerTarGzip : MediaType.OciLayerTarZstd, id, { maxCompressionRatio: 100_000, allowAboveDefault: true });
    expect(ok.fileBytes).toBe(100 * 1024 * 1024);
  }

  it('the media type decides, and the bytes must agree with it', async () => {
    const gz = compressWith('gzip', tarBytes);
    expect((await failure(run(gz, MediaType.OciLayerTar))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(run(tarBytes, MediaType.OciLayerTarGzip))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(run(gz, MediaType.OciLayerTarZstd))).code).toBe('INVALID_ARGUMENT');
    expect((await failure(run(gz, 'application/vnd.oci.image.layer.v1.tar+lz4'))).code).toBe('INVALID_ARGUMENT');
    const bz = Buffer.concat([Buffer.from('BZh91AY&SY'), Buffer.alloc(50)]);
    expect((await failure(run(bz, MediaType.OciLayerTar))).code).toBe('UNSUPPORTED');
    expect((await run(compressWith('gzip', tarBytes), MediaType.DockerLayerTarGzip)).compression).toBe('gzip');
  });
});
