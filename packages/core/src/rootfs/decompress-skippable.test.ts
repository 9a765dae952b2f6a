/**
 * zstd layers that begin with a skippable frame (RFC 8878 §3.1.2: a little-endian magic 0x184D2A50–
 * 0x184D2A5F, a 4-byte little-endian payload size, the payload). `zstd -d` and containerd accept them,
 * so magikrun must too, through both of its decoders; a layer made of skippable frames alone, or one
 * whose skippable frame claims more bytes than the blob holds, is a typed error. Data frames are made by
 * the real `zstd` tool; only the skippable frames are built by hand (the tool cannot write them).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { failure } from '../../test/support/outcome.js';
import { compressWith, storeBlob, tarOf } from '../../test/support/layers.js';
import { MediaType } from '../image/media-types.js';
import { BlobStore } from '../storage/blob-store.js';
import { sha256Digest } from '../storage/digest.js';
import { applyLayer } from './apply-layer.js';
import { compressionOf } from './decompress.js';

const MAGICS = Array.from({ length: 16 }, (_, i) => 0x184d2a50 + i);

/** A skippable frame: magic, payload size (both little-endian), payload. `size` may lie about the payload. */
function skippable(magic: number, payload: Buffer, size = payload.length): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(magic, 0);
  h.writeUInt32LE(size, 4);
  return Buffer.concat([h, payload]);
}

/** What the real `zstd -d` makes of a blob. */
function zstdTool(blob: Buffer): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('zstd', ['-d', '-c', '-q'], { input: blob, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

let parent: string;
let store: BlobStore;
let root: string;
let tarBytes: Buffer;
let diffId: string;
let frame: Buffer;

beforeAll(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'magikrun-skippable-'));
  store = await BlobStore.open({ root: path.join(parent, 'store') });
  tarBytes = await tarOf(Array.from({ length: 8 }, (_, i) => ({ name: `d/f${i}`, content: `${i} `.repeat(3000) })));
  diffId = sha256Digest(tarBytes);
  frame = compressWith('zstd', tarBytes, ['--check']);
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});
beforeEach(async () => {
  root = await mkdtemp(path.join(parent, 'root-'));
});

async function run(blob: Buffer, mediaType: string = MediaType.OciLayerTarZstd, id = diffId) {
  const l = await storeBlob(store, blob, mediaType, id);
  return applyLayer({ store, layer: l.descriptor, diffId: l.diffId, root });
}

describe('compression sniffing: a leading skippable frame is zstd', () => {
  it('every one of the 16 skippable magic values, for both zstd media types', () => {
    for (const magic of MAGICS) {
      const head = skippable(magic, Buffer.from('meta'));
      for (const mt of [MediaType.OciLayerTarZstd, MediaType.OciLayerNondistributableTarZstd]) {
        expect(compressionOf(mt, head, 'sha256:l'), `magic 0x${magic.toString(16)}`).toBe('zstd');
      }
    }
  });

  it('a skippable frame under a gzip media type is a mismatch that names zstd; values just outside the range are not zstd', () => {
    let message = '';
    try {
      compressionOf(MediaType.OciLayerTarGzip, skippable(0x184d2a53, Buffer.alloc(4)), 'sha256:l');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/is zstd-compressed, but its media type .* says gzip/);
    for (const magic of [0x184d2a4f, 0x184d2a60]) {
      expect(() => compressionOf(MediaType.OciLayerTarZstd, skippable(magic, Buffer.alloc(4)), 'sha256:l')).toThrow(/is not compressed/);
    }
  });

  it('an uncompressed tar whose first name starts with the same four bytes ("P*M\\x18") still unpacks as a plain tar layer', async () => {
    const name = `${Buffer.from([0x50, 0x2a, 0x4d, 0x18]).toString('latin1')}name`;
    const t = await tarOf([{ name, content: 'plain' }]);
    expect(t.readUInt32LE(0)).toBe(0x184d2a50);
    const s = await run(t, MediaType.OciLayerTar, sha256Digest(t));
    expect(s.compression).toBe('none');
    expect(await readFile(path.join(root, name), 'utf8')).toBe('plain');
  });
});

// Both decoders, forced as in decompress.test.ts: zstd-napi (must load here) and the zstd tool.
describe.each([
  ['zstd-napi', 'native'],
  ['the zstd tool', 'cli'],
] as const)('a leading skippable frame (%s)', (_label, forced) => {
  beforeAll(() => {
    process.env.MAGIKRUN_ZSTD_DECODER = forced;
  });
  afterAll(() => {
    delete process.env.MAGIKRUN_ZSTD_DECODER;
  });

  it('a tar+zstd layer that starts with a skippable frame unpacks, for each of the 16 magic values (as zstd -d decodes it)', async () => {
    for (const magic of MAGICS) {
      const blob = Buffer.concat([skippable(magic, Buffer.from(`metadata ${magic}`)), frame]);
      const tool = zstdTool(blob);
      expect(tool.status, tool.stderr).toBe(0);
      expect(tool.stdout.equals(tarBytes)).toBe(true);
      root = await mkdtemp(path.join(parent, 'root-'));
      const s = await run(blob);
      expect(s.compression).toBe('zstd');
      expect(s.uncompressedBytes).toBe(tarBytes.length);
      expect(await readFile(path.join(root, 'd/f7'), 'utf8')).toBe('7 '.repeat(3000));
    }
  });

  it('several leading skippable frames, an empty one, and skippable frames between and after data frames', async () => {
    const half = Math.floor(tarBytes.length / 2);
    const a = compressWith('zstd', tarBytes.subarray(0, half));
    const b = compressWith('zstd', tarBytes.subarray(half));
    const blob = Buffer.concat([
      skippable(0x184d2a50, Buffer.alloc(0)),
      skippable(0x184d2a5f, Buffer.alloc(70_000, 0xab)),
      a,
      skippable(0x184d2a57, Buffer.from('between')),
      b,
      skippable(0x184d2a51, Buffer.from('after')),
    ]);
    expect(zstdTool(blob).stdout.equals(tarBytes)).toBe(true);
    expect((await run(blob)).uncompressedBytes).toBe(tarBytes.length);
  });

  it('a layer that is only skippable frames is INVALID_ARGUMENT, even when the diff_id is that of an empty stream', async () => {
    for (const blob of [
      skippable(0x184d2a50, Buffer.from('nothing else')),
      skippable(0x184d2a5a, Buffer.alloc(0)),
      Buffer.concat([skippable(0x184d2a50, Buffer.from('one')), skippable(0x184d2a51, Buffer.from('two'))]),
    ]) {
      // The zstd tool itself decodes this to nothing and exits 0: only magikrun's check stops an empty layer.
      expect(zstdTool(blob)).toMatchObject({ status: 0, stdout: Buffer.alloc(0) });
      for (const id of [diffId, sha256Digest(Buffer.alloc(0))]) {
        const f = await failure(run(blob, MediaType.OciLayerTarZstd, id));
        expect(f.code).toBe('INVALID_ARGUMENT');
        expect(f.message).toMatch(/holds no zstd data frame, only skippable frames/);
      }
    }
  });

  it('a skippable frame whose size runs past the data is INVALID_ARGUMENT (truncated), not a hang or an empty layer', async () => {
    const cases: [string, Buffer][] = [
      ['size past the end, nothing after', skippable(0x184d2a50, Buffer.from('short'), 100)],
      ['size 2^32-1', skippable(0x184d2a5e, Buffer.from('short'), 0xffffffff)],
      ['size past the end of a data frame it swallows', Buffer.concat([skippable(0x184d2a50, Buffer.alloc(0), frame.length + 10), frame])],
      ['header cut inside the size field', skippable(0x184d2a50, Buffer.alloc(0)).subarray(0, 6)],
    ];
    for (const [what, blob] of cases) {
      expect(zstdTool(blob).status, what).not.toBe(0);
      for (const id of [diffId, sha256Digest(Buffer.alloc(0))]) {
        const f = await failure(run(blob, MediaType.OciLayerTarZstd, id));
        expect(f.code, what).toBe('INVALID_ARGUMENT');
        expect(f.message, what).toMatch(/is truncated: its zstd stream ends inside a (skippable )?frame/);
      }
    }
  });
});
