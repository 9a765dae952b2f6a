import { randomBytes } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_LAYER_SIZE } from '../constants.js';
import { expectCode, rejection } from '../testing/expect-error.js';
import { BlobStore } from './blob-store.js';
import { sha256Digest } from './digest.js';
import { resolveStoreRoot } from './root.js';

const posix = process.platform !== 'win32';
const isRoot = process.geteuid?.() === 0;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mode = async (p: string): Promise<number> => (await stat(p)).mode & 0o777;
const ingestFiles = async (store: BlobStore): Promise<string[]> => readdir(store.ingestDir);

describe('BlobStore root', () => {
  it('resolves the root from the option, then MAGIKRUN_ROOT, then ~/.magikrun', () => {
    expect(resolveStoreRoot('/a/b', { MAGIKRUN_ROOT: '/c' })).toBe('/a/b');
    expect(resolveStoreRoot(undefined, { MAGIKRUN_ROOT: '/c/d' })).toBe('/c/d');
    expect(resolveStoreRoot(undefined, { MAGIKRUN_ROOT: '' })).toBe(path.join(homedir(), '.magikrun'));
    expect(resolveStoreRoot(undefined, {})).toBe(path.join(homedir(), '.magikrun'));
    expect(resolveStoreRoot('rel', {})).toBe(path.resolve('rel'));
  });

  it('uses MAGIKRUN_ROOT when no root option is given', () => {
    const before = process.env['MAGIKRUN_ROOT'];
    process.env['MAGIKRUN_ROOT'] = path.join(dir, 'from-env');
    try {
      expect(new BlobStore().root).toBe(path.join(dir, 'from-env'));
    } finally {
      if (before === undefined) delete process.env['MAGIKRUN_ROOT'];
      else process.env['MAGIKRUN_ROOT'] = before;
    }
  });

  it('constructs without touching the disk, then creates root, blobs and ingest 0700 on first use', async () => {
    const root = path.join(dir, 'deep', 'root');
    const store = new BlobStore({ root });
    expect(await rejection(stat(root))).toBeDefined();
    expect(await store.has(sha256Digest('x'))).toBe(false);
    if (posix) {
      expect(await mode(root)).toBe(0o700);
      expect(await mode(path.join(root, 'blobs'))).toBe(0o700);
      expect(await mode(store.blobsDir)).toBe(0o700);
      expect(await mode(store.ingestDir)).toBe(0o700);
    }
  });

  it('creates the root 0700 even under a permissive umask', async () => {
    const old = process.umask(0o000);
    try {
      const store = await BlobStore.open({ root: path.join(dir, 'open-umask') });
      if (posix) expect(await mode(store.root)).toBe(0o700);
    } finally {
      process.umask(old);
    }
  });

  it.runIf(posix)('refuses a group- or world-writable root, and works once it is fixed', async () => {
    const root = path.join(dir, 'shared');
    await mkdir(root);
    await chmod(root, 0o775);
    const store = new BlobStore({ root });
    const e = await expectCode(store.has(sha256Digest('x')), 'INVALID_ARGUMENT');
    expect(e.message).toMatch(/group- or world-writable.*chmod 700/);
    await chmod(root, 0o757);
    await expectCode(store.put(sha256Digest('x'), Buffer.from('x')), 'INVALID_ARGUMENT');
    await expect(readdir(root)).resolves.toEqual([]);
    await chmod(root, 0o755);
    expect((await store.put(sha256Digest('x'), Buffer.from('x'))).created).toBe(true);
  });

  it.runIf(posix && isRoot)('refuses a root owned by another uid', async () => {
    const root = path.join(dir, 'theirs');
    await mkdir(root, { mode: 0o700 });
    await chown(root, 65534, 65534);
    const e = await expectCode(BlobStore.open({ root }), 'INVALID_ARGUMENT');
    expect(e.details).toMatchObject({ owner: 65534, uid: 0 });
    expect(e.message).toMatch(/owned by uid 65534/);
  });

  it('refuses a root that is a file', async () => {
    const root = path.join(dir, 'file');
    await writeFile(root, 'x');
    await expectCode(BlobStore.open({ root }), 'INVALID_ARGUMENT');
  });

  it.runIf(posix)('refuses a symlinked ingest directory', async () => {
    const root = path.join(dir, 'r');
    await mkdir(root, { mode: 0o700 });
    await mkdir(path.join(dir, 'elsewhere'));
    await symlink(path.join(dir, 'elsewhere'), path.join(root, 'ingest'));
    await expectCode(BlobStore.open({ root }), 'INVALID_ARGUMENT');
  });

  it('refuses a root below a file, and one under /proc, with a typed error (no endless mkdir)', async () => {
    await writeFile(path.join(dir, 'plain'), 'x');
    await expectCode(BlobStore.open({ root: path.join(dir, 'plain', 'sub') }), 'INVALID_ARGUMENT');
    if (process.platform === 'linux') await expectCode(BlobStore.open({ root: '/proc/magikrun-nope/root' }), 'INVALID_ARGUMENT');
  });

  it.runIf(posix)('refuses a group- or world-writable directory inside the root', async () => {
    const root = path.join(dir, 'r2');
    await mkdir(root, { mode: 0o700 });
    await mkdir(path.join(root, 'blobs'));
    await chmod(path.join(root, 'blobs'), 0o777);
    const e = await expectCode(BlobStore.open({ root }), 'INVALID_ARGUMENT');
    expect(e.message).toMatch(/chmod 700/);
  });

  it('checks maxBlobSize like any limit', async () => {
    expect(new BlobStore({ root: dir }).maxBlobSize).toBe(MAX_LAYER_SIZE);
    await expectCode(() => new BlobStore({ root: dir, maxBlobSize: MAX_LAYER_SIZE + 1 }), 'INVALID_ARGUMENT');
    expect(new BlobStore({ root: dir, maxBlobSize: MAX_LAYER_SIZE + 1, allowAboveDefault: true }).maxBlobSize).toBe(MAX_LAYER_SIZE + 1);
    const small = new BlobStore({ root: path.join(dir, 's'), maxBlobSize: 10 });
    await expectCode(small.put(sha256Digest('0123456789a'), Buffer.from('0123456789a')), 'LIMIT_EXCEEDED');
    await expectCode(small.put(sha256Digest('x'), Buffer.from('x'), { maxSize: 11 }), 'INVALID_ARGUMENT');
  });
});

describe('BlobStore layout and write path', () => {
  let store: BlobStore;
  beforeEach(() => {
    store = new BlobStore({ root: path.join(dir, 'root') });
  });

  it('stores at <root>/blobs/sha256/<2 hex>/<64 hex>, read-only, with nothing left in ingest', async () => {
    const data = randomBytes(1000);
    const digest = sha256Digest(data);
    const hex = digest.slice(7);
    const r = await store.put(digest, data);
    expect(r.path).toBe(path.join(store.root, 'blobs', 'sha256', hex.slice(0, 2), hex));
    expect(store.pathFor(digest)).toBe(r.path);
    expect((await lstat(r.path)).isFile()).toBe(true);
    if (posix) {
      expect(await mode(r.path)).toBe(0o400);
      expect(await mode(path.dirname(r.path))).toBe(0o700);
    }
    expect(await ingestFiles(store)).toEqual([]);
  });

  it('pathFor validates before building a path', async () => {
    await expectCode(() => store.pathFor('sha256:../../x'), 'INVALID_ARGUMENT');
  });

  it('leaves no temp file after a digest mismatch, a limit, an abort or a source error', async () => {
    const data = randomBytes(20_000);
    await expectCode(store.put(sha256Digest('other'), data), 'DIGEST_MISMATCH');
    await expectCode(store.put(sha256Digest(data), data, { maxSize: 100 }), 'LIMIT_EXCEEDED');
    const ac = new AbortController();
    const stalled = new PassThrough();
    stalled.write(data.subarray(0, 10));
    const p = store.putStream(sha256Digest(data), stalled, { signal: ac.signal, onProgress: () => ac.abort(new Error('user cancelled')) });
    const e = await expectCode(p, 'ABORTED');
    expect((e.cause as Error).message).toBe('user cancelled');
    expect(stalled.destroyed).toBe(true);
    await rejection(store.putStream(sha256Digest(data), (async function* () { yield data; throw new Error('reset'); })()));
    expect(await ingestFiles(store)).toEqual([]);
    expect(await readdir(store.blobsDir)).toEqual([]);
  });

  it('refuses string chunks', async () => {
    await expectCode(store.putStream(sha256Digest('abc'), Readable.from(['abc'])), 'INVALID_ARGUMENT');
    expect(await ingestFiles(store)).toEqual([]);
  });

  it('destroys a Readable it does not need because the blob exists', async () => {
    const data = randomBytes(100);
    await store.put(sha256Digest(data), data);
    const body = new PassThrough();
    const r = await store.putStream(sha256Digest(data), body, { size: 100 });
    expect(r.created).toBe(false);
    expect(body.destroyed).toBe(true);
  });

  it('a dedup put with a size that contradicts the stored blob is refused', async () => {
    const data = randomBytes(100);
    await store.put(sha256Digest(data), data);
    await expectCode(store.putStream(sha256Digest(data), [data], { size: 99 }), 'INVALID_ARGUMENT');
  });

  it('detects a blob altered on disk, on get and at the end of a read stream', async () => {
    const data = randomBytes(200_000);
    const digest = sha256Digest(data);
    const { path: p } = await store.put(digest, data);
    await chmod(p, 0o600);
    const tampered = Buffer.from(data);
    tampered[1000] = (tampered[1000] ?? 0) ^ 0xff;
    await writeFile(p, tampered);
    const e = await expectCode(store.get(digest), 'DIGEST_MISMATCH');
    expect(e.details['actual']).toBe(sha256Digest(tampered));
    const stream = await store.createReadStream(digest);
    const streamErr = await rejection((async () => { for await (const _ of stream) { /* drain */ } })());
    expect((streamErr as { code?: string }).code).toBe('DIGEST_MISMATCH');
    const raw = await store.createReadStream(digest, { verify: false });
    const chunks: Buffer[] = [];
    for await (const c of raw) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(tampered)).toBe(true);
  });

  it.runIf(posix)('refuses to follow a symlink planted in place of a blob', async () => {
    const data = Buffer.from('planted');
    const digest = sha256Digest(data);
    await writeFile(path.join(dir, 'outside'), data);
    await store.ready();
    const p = store.pathFor(digest);
    await mkdir(path.dirname(p), { recursive: true });
    await symlink(path.join(dir, 'outside'), p);
    await expectCode(store.get(digest), 'INTERNAL');
    await expectCode(store.has(digest), 'INTERNAL');
  });

  it('list skips what does not fit the layout', async () => {
    const data = randomBytes(10);
    const digest = sha256Digest(data);
    await store.put(digest, data);
    await writeFile(path.join(store.blobsDir, 'README'), 'x');
    await mkdir(path.join(store.blobsDir, 'zz'));
    await mkdir(path.join(store.blobsDir, '00'), { recursive: true });
    await writeFile(path.join(store.blobsDir, '00', 'ff'.repeat(32)), 'misplaced');
    const listed: string[] = [];
    for await (const b of store.list()) listed.push(b.digest);
    expect(listed).toEqual([digest]);
  });

  it('pruneIngest removes abandoned temp files and keeps recent ones', async () => {
    await store.ready();
    const old = path.join(store.ingestDir, 'old.tmp');
    const fresh = path.join(store.ingestDir, 'fresh.tmp');
    await writeFile(old, 'x');
    await writeFile(fresh, 'y');
    const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
    await utimes(old, dayAgo, dayAgo);
    expect(await store.pruneIngest()).toBe(1);
    expect(await ingestFiles(store)).toEqual(['fresh.tmp']);
  });

  it('accepts a web ReadableStream source', async () => {
    const data = randomBytes(50_000);
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(data.subarray(0, 20_000));
        c.enqueue(data.subarray(20_000));
        c.close();
      },
    });
    expect((await store.putStream(sha256Digest(data), web, { size: data.byteLength })).created).toBe(true);
  });
});
