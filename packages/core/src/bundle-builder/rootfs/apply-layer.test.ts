import { lstat, mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Descriptor } from '../../image/manifest.js';
import { MediaType } from '../../image/media-types.js';
import { BlobStore } from '../../storage/blob-store.js';
import { sha256Digest } from '../../storage/digest.js';
import { resolveInRoot } from './resolve-in-root.js';
import { unpackImage } from './unpack-image.js';
import { unpackLayer } from './unpack-layer.js';
import { codeOf } from '../../../test/support/outcome.js';

type E = Partial<Header> & { name: string; content?: string };

async function tarOf(entries: E[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const { content, ...h } of entries) {
    await new Promise<void>((resolve, reject) => pack.entry({ mode: 0o644, ...h }, content ?? '', (e) => (e ? reject(e) : resolve())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

let parent: string;
let root: string;
let outside: string;
let store: BlobStore;

beforeEach(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'magikrun-unpack-'));
  root = path.join(parent, 'rootfs');
  outside = path.join(parent, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret'), 'host secret');
  store = await BlobStore.open({ root: path.join(parent, 'store') });
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

async function layerOf(bytes: Buffer, mediaType: string = MediaType.OciLayerTarGzip): Promise<Descriptor> {
  const digest = sha256Digest(bytes);
  await store.put(digest, bytes);
  return { mediaType, digest, size: bytes.length };
}

async function apply(entries: E[], opts: { gzip?: boolean; maxLayerSize?: number; diffId?: string } = {}) {
  const t = await tarOf(entries);
  const bytes = opts.gzip === false ? t : gzipSync(t);
  const d = await layerOf(bytes, opts.gzip === false ? MediaType.OciLayerTar : MediaType.OciLayerTarGzip);
  return unpackLayer(store, d, root, {
    maxLayerSize: opts.maxLayerSize ?? 1 << 20,
    budget: { remaining: 1 << 30, total: 1 << 30 },
    ...(opts.diffId ? { diffId: opts.diffId } : {}),
  });
}

const exists = (p: string) => lstat(p).then(() => true, () => false);

describe('unpackLayer: normal content', () => {
  it('writes files, directories, symlinks and hard links with their modes (gzip and plain tar)', async () => {
    const entries: E[] = [
      { name: './', type: 'directory', mode: 0o755 },
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/tool', content: 'x', mode: 0o755 },
      { name: 'etc/motd', content: 'hello' },
      { name: 'etc/link', type: 'symlink', linkname: '/etc/motd' },
      { name: 'etc/hard', type: 'link', linkname: 'etc/motd' },
      { name: '/abs/file', content: 'abs' },
    ];
    const stats = await apply(entries);
    expect(stats.entries).toBe(entries.length);
    expect(await readFile(path.join(root, 'etc/motd'), 'utf8')).toBe('hello');
    expect((await lstat(path.join(root, 'bin/tool'))).mode & 0o777).toBe(0o755);
    expect(await readlink(path.join(root, 'etc/link'))).toBe('/etc/motd');
    expect((await lstat(path.join(root, 'etc/hard'))).ino).toBe((await lstat(path.join(root, 'etc/motd'))).ino);
    expect(await readFile(path.join(root, 'abs/file'), 'utf8')).toBe('abs');
    await rm(root, { recursive: true });
    await mkdir(root);
    await apply(entries, { gzip: false });
    expect(await readFile(path.join(root, 'etc/motd'), 'utf8')).toBe('hello');
  });

  it('checks the diff_id of the uncompressed tar', async () => {
    const t = await tarOf([{ name: 'a', content: '1' }]);
    expect(await codeOf(apply([{ name: 'a', content: '1' }], { diffId: sha256Digest(t) }))).toBe('resolved');
    expect(await codeOf(apply([{ name: 'a', content: '1' }], { diffId: sha256Digest('other') }))).toBe('DIGEST_MISMATCH');
  });

  it('skips device nodes and FIFOs and reports them', async () => {
    const s = await apply([
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3 },
      { name: 'fifo', type: 'fifo' },
    ]);
    expect(s.skipped).toEqual(['dev/null', 'fifo']);
    expect(await exists(path.join(root, 'fifo'))).toBe(false);
  });
});

describe('unpackLayer: hostile entries never touch the host outside the root', () => {
  it('refuses ".." in entry names (PATH_ESCAPE)', async () => {
    expect(await codeOf(apply([{ name: '../outside/pwned', content: 'x' }]))).toBe('PATH_ESCAPE');
    expect(await codeOf(apply([{ name: 'a/../../outside/pwned', content: 'x' }]))).toBe('PATH_ESCAPE');
    expect(await exists(path.join(outside, 'pwned'))).toBe(false);
  });

  it('resolves a relative symlink that climbs out as if the root were /', async () => {
    await apply([
      { name: 'evil', type: 'symlink', linkname: '../../../../outside' },
      { name: 'evil/pwned', content: 'x' },
    ]);
    expect(await exists(path.join(outside, 'pwned'))).toBe(false);
    expect(await readFile(path.join(root, 'outside/pwned'), 'utf8')).toBe('x');
  });

  it('resolves an absolute symlink to a host path inside the root', async () => {
    await apply([
      { name: 'abs', type: 'symlink', linkname: outside },
      { name: 'abs/pwned', content: 'x' },
    ]);
    expect(await exists(path.join(outside, 'pwned'))).toBe(false);
    expect(await readFile(path.join(root, outside, 'pwned'), 'utf8')).toBe('x');
  });

  it('replaces a symlink with a file instead of writing through it', async () => {
    await apply([
      { name: 'x', type: 'symlink', linkname: path.join(outside, 'secret') },
      { name: 'x', content: 'replaced' },
    ]);
    expect(await readFile(path.join(outside, 'secret'), 'utf8')).toBe('host secret');
    expect(await readFile(path.join(root, 'x'), 'utf8')).toBe('replaced');
    expect((await lstat(path.join(root, 'x'))).isSymbolicLink()).toBe(false);
  });

  it('a symlink planted by a lower layer cannot redirect an upper layer', async () => {
    await apply([{ name: 'etc', type: 'symlink', linkname: '../outside' }]);
    await apply([{ name: 'etc/passwd', content: 'root::0:0' }]);
    expect(await exists(path.join(outside, 'passwd'))).toBe(false);
    expect(await readFile(path.join(root, 'outside/passwd'), 'utf8')).toBe('root::0:0');
  });

  it('refuses hard links that leave the root or point at nothing', async () => {
    expect(await codeOf(apply([{ name: 'h', type: 'link', linkname: '../outside/secret' }]))).toBe('PATH_ESCAPE');
    expect(await codeOf(apply([
      { name: 'd', type: 'symlink', linkname: '../outside' },
      { name: 'h', type: 'link', linkname: 'd/secret' },
    ]))).toBe('INVALID_ARGUMENT');
    expect((await lstat(path.join(outside, 'secret'))).nlink).toBe(1);
  });

  it('a symlink loop is INVALID_ARGUMENT, not a hang', async () => {
    expect(await codeOf(apply([
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: 'a' },
      { name: 'a/file', content: 'x' },
    ]))).toBe('INVALID_ARGUMENT');
  });

  it('a file where a directory is needed is INVALID_ARGUMENT', async () => {
    expect(await codeOf(apply([
      { name: 'f', content: 'file' },
      { name: 'f/child', content: 'x' },
    ]))).toBe('INVALID_ARGUMENT');
  });
});

describe('unpackLayer: whiteouts', () => {
  it('removes lower-layer files (.wh.NAME) and directory contents (.wh..wh..opq)', async () => {
    await apply([
      { name: 'a/b', content: 'b' },
      { name: 'a/c', content: 'c' },
      { name: 'd/e', content: 'e' },
      { name: 'd/f/g', content: 'g' },
    ]);
    await apply([{ name: 'a/.wh.b' }, { name: 'd/.wh..wh..opq' }, { name: 'd/new', content: 'new' }]);
    expect(await exists(path.join(root, 'a/b'))).toBe(false);
    expect(await exists(path.join(root, 'a/.wh.b'))).toBe(false);
    expect(await readFile(path.join(root, 'a/c'), 'utf8')).toBe('c');
    expect(await exists(path.join(root, 'd/e'))).toBe(false);
    expect(await exists(path.join(root, 'd/f'))).toBe(false);
    expect(await readFile(path.join(root, 'd/new'), 'utf8')).toBe('new');
  });

  it('does not remove what the same layer added', async () => {
    await apply([{ name: 'x/keep', content: 'k' }, { name: 'x/.wh..wh..opq' }, { name: 'y', content: 'y' }, { name: '.wh.y' }]);
    expect(await readFile(path.join(root, 'x/keep'), 'utf8')).toBe('k');
    expect(await readFile(path.join(root, 'y'), 'utf8')).toBe('y');
  });

  it('a whiteout through a symlink stays inside the root', async () => {
    await apply([{ name: 'l', type: 'symlink', linkname: '../outside' }]);
    await apply([{ name: 'l/.wh.secret' }]);
    expect(await readFile(path.join(outside, 'secret'), 'utf8')).toBe('host secret');
  });
});

describe('unpackLayer: limits and formats', () => {
  it('a file or layer over MAX_LAYER_SIZE is LIMIT_EXCEEDED', async () => {
    expect(await codeOf(apply([{ name: 'big', content: 'x'.repeat(5000) }], { maxLayerSize: 4096 }))).toBe('LIMIT_EXCEEDED');
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}`, content: 'y'.repeat(200) }));
    expect(await codeOf(apply(many, { maxLayerSize: 8192 }))).toBe('LIMIT_EXCEEDED');
  });

  it('the rootfs budget spans layers (MAX_ROOTFS_SIZE)', async () => {
    const ta = await tarOf([{ name: 'a', content: 'a'.repeat(3000) }]);
    const tb = await tarOf([{ name: 'b', content: 'b'.repeat(3000) }]);
    const a = await layerOf(gzipSync(ta));
    const b = await layerOf(gzipSync(tb));
    const diffIds = [sha256Digest(ta), sha256Digest(tb)];
    expect(await codeOf(unpackImage(store, [a, b], diffIds, root, { maxLayerSize: 1 << 20, maxRootfsSize: 8000 }))).toBe('LIMIT_EXCEEDED');
    await rm(root, { recursive: true });
    expect(await codeOf(unpackImage(store, [a, b], diffIds, root, { maxLayerSize: 1 << 20, maxRootfsSize: 20_000 }))).toBe('resolved');
  });

  it('refuses an image whose config lists a different number of diff_ids than layers', async () => {
    const ta = await tarOf([{ name: 'a', content: 'a' }]);
    const a = await layerOf(gzipSync(ta));
    expect(await codeOf(unpackImage(store, [a], [], root, { maxLayerSize: 1 << 20, maxRootfsSize: 1 << 20 }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(unpackImage(store, [a], [sha256Digest(ta), sha256Digest(ta)], root, { maxLayerSize: 1 << 20, maxRootfsSize: 1 << 20 }))).toBe('INVALID_ARGUMENT');
  });

  it('zstd is UNSUPPORTED; garbage is INVALID_ARGUMENT; a non-tar media type is INVALID_ARGUMENT', async () => {
    const zstd = await layerOf(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0, 0]), MediaType.OciLayerTarZstd);
    expect(await codeOf(unpackLayer(store, zstd, root, { maxLayerSize: 1 << 20, budget: { remaining: 1 << 20, total: 1 << 20 } }))).toBe('UNSUPPORTED');
    const junk = await layerOf(Buffer.from('this is not a tar archive at all, just text '.repeat(20)), MediaType.OciLayerTar);
    expect(await codeOf(unpackLayer(store, junk, root, { maxLayerSize: 1 << 20, budget: { remaining: 1 << 20, total: 1 << 20 } }))).toBe('INVALID_ARGUMENT');
    const badGzip = await layerOf(Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 7)]));
    expect(await codeOf(unpackLayer(store, badGzip, root, { maxLayerSize: 1 << 20, budget: { remaining: 1 << 20, total: 1 << 20 } }))).toBe('INVALID_ARGUMENT');
    const wasm = await layerOf(Buffer.from('\0asm\x01\0\0\0'), MediaType.Wasm);
    expect(await codeOf(unpackImage(store, [wasm], [wasm.digest], root, { maxLayerSize: 1 << 20, maxRootfsSize: 1 << 20 }))).toBe('INVALID_ARGUMENT');
  });
});

describe('resolveInRoot', () => {
  it('clamps .. and absolute symlink targets at the root', async () => {
    await apply([
      { name: 'a/b', type: 'symlink', linkname: '../../../..' },
      { name: 'c', type: 'symlink', linkname: '/a' },
    ]);
    expect(await resolveInRoot(root, 'a/b/etc', true)).toBe(path.join(root, 'etc'));
    expect(await resolveInRoot(root, '/c/b/x', true)).toBe(path.join(root, 'x'));
    expect(await resolveInRoot(root, '../../x', true)).toBe(path.join(root, 'x'));
    expect(await resolveInRoot(root, 'c', false)).toBe(path.join(root, 'c'));
    // a symlink after a missing component is still resolved
    expect(await resolveInRoot(root, 'missing/../a/b/y', true)).toBe(path.join(root, 'y'));
  });
});
