/**
 * `describeBlobStore`: the conformance suite for content stores, checked through the public
 * {@link ContentStore} API only.
 *
 * @module testing/describe-blob-store
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobInfo, ContentStore } from '../storage/types.js';
import { expectCode } from './expect-error.js';

/** What a store's test hands {@link describeBlobStore}: a fresh, empty store per test. */
export interface BlobStoreFixture {
  store: ContentStore;
  /** Remove what the fixture made. */
  cleanup?(): Promise<void>;
}

function digestOf(data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

async function listAll(store: ContentStore): Promise<BlobInfo[]> {
  const out: BlobInfo[] = [];
  for await (const b of store.list()) out.push(b);
  return out;
}

/** Chunks of `data`, `size` bytes each, yielded asynchronously. */
async function* chunked(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.byteLength; i += size) {
    await new Promise((r) => setImmediate(r));
    yield data.subarray(i, i + size);
  }
}

/** Malformed digests: each must be refused with INVALID_ARGUMENT before it touches a path. */
export const INVALID_DIGESTS: readonly unknown[] = Object.freeze([
  '',
  'sha256:',
  'sha256',
  `sha256:${'A'.repeat(64)}`,
  `sha256:${'a'.repeat(63)}`,
  `sha256:${'a'.repeat(65)}`,
  `sha256:${'a'.repeat(62)}/x`,
  'sha256:../../../../etc/passwd',
  `../sha256:${'a'.repeat(64)}`,
  `sha256:${'a'.repeat(64)}\n`,
  ` sha256:${'a'.repeat(64)}`,
  `SHA256:${'a'.repeat(64)}`,
  `md5:${'a'.repeat(32)}`,
  `sha256:${'a'.repeat(32)}\0${'a'.repeat(31)}`,
  undefined,
  42,
]);

/**
 * Register the content-store conformance suite.
 *
 * Checks: put/has/stat/get/createReadStream round trips, deduplication (`created: false`, source not
 * read), digest verification before visibility, digest validation (INVALID_ARGUMENT; sha512
 * UNSUPPORTED), NOT_FOUND, size and maxSize limits, abort, source errors passed through, delete,
 * list, and concurrent puts of one digest (exactly one `created: true`).
 *
 * @param name shown in the suite title
 * @param factory called before each test; returns a fresh, empty store
 */
export function describeBlobStore(name: string, factory: () => Promise<BlobStoreFixture>): void {
  describe(`ContentStore conformance: ${name}`, () => {
    let fx: BlobStoreFixture;
    let store: ContentStore;
    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
    });
    afterEach(async () => {
      await fx?.cleanup?.();
    });

    it('puts a blob and reads it back through has, stat, get, createReadStream and list', async () => {
      const data = randomBytes(100_000);
      const digest = digestOf(data);
      expect(await store.has(digest)).toBe(false);
      const put = await store.put(digest, data);
      expect(put).toMatchObject({ digest, size: data.byteLength, created: true });
      expect(typeof put.path).toBe('string');
      expect(await store.has(digest)).toBe(true);
      expect(await store.stat(digest)).toEqual({ digest, size: data.byteLength, path: put.path });
      expect((await store.get(digest)).equals(data)).toBe(true);
      expect((await collect(await store.createReadStream(digest))).equals(data)).toBe(true);
      expect(await listAll(store)).toEqual([{ digest, size: data.byteLength, path: put.path }]);
    });

    it('stores the empty blob', async () => {
      const empty = new Uint8Array(0);
      const digest = digestOf(empty);
      expect(digest).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      expect(await store.put(digest, empty)).toMatchObject({ size: 0, created: true });
      expect((await store.get(digest)).byteLength).toBe(0);
    });

    it('deduplicates: a second put reports created: false and does not read its source', async () => {
      const data = randomBytes(4096);
      const digest = digestOf(data);
      const first = await store.put(digest, data);
      let read = false;
      const source = (async function* () {
        read = true;
        yield data;
      })();
      const second = await store.putStream(digest, source, { size: data.byteLength });
      expect(second).toEqual({ ...first, created: false });
      expect(read).toBe(false);
      expect(await listAll(store)).toHaveLength(1);
    });

    it('streams from an async generator and a Node Readable, reporting progress', async () => {
      const data = randomBytes(300_000);
      const digest = digestOf(data);
      const progress: number[] = [];
      const r = await store.putStream(digest, chunked(data, 65_536), { size: data.byteLength, onProgress: (n) => progress.push(n) });
      expect(r).toMatchObject({ digest, size: data.byteLength, created: true });
      expect(progress.at(-1)).toBe(data.byteLength);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));

      const other = randomBytes(70_000);
      const r2 = await store.putStream(digestOf(other), Readable.from(chunked(other, 10_000)));
      expect(r2).toMatchObject({ size: other.byteLength, created: true });
      expect((await store.get(digestOf(other))).equals(other)).toBe(true);
    });

    it('refuses content that does not hash to the digest, and keeps nothing', async () => {
      const data = randomBytes(50_000);
      const wrong = digestOf(randomBytes(16));
      const e = await expectCode(store.put(wrong, data), 'DIGEST_MISMATCH');
      expect(e.details).toMatchObject({ expected: wrong, actual: digestOf(data) });
      expect(await store.has(wrong)).toBe(false);
      expect(await store.has(digestOf(data))).toBe(false);
      expect(await listAll(store)).toEqual([]);
      await expectCode(store.putStream(wrong, chunked(data, 4096)), 'DIGEST_MISMATCH');
      expect(await listAll(store)).toEqual([]);
    });

    it('refuses malformed digests with INVALID_ARGUMENT in every operation', async () => {
      const data = Buffer.from('x');
      for (const bad of INVALID_DIGESTS) {
        const label = JSON.stringify(bad);
        const d = bad as string;
        await expectCode(store.has(d), 'INVALID_ARGUMENT', `has(${label})`);
        await expectCode(store.stat(d), 'INVALID_ARGUMENT', `stat(${label})`);
        await expectCode(store.get(d), 'INVALID_ARGUMENT', `get(${label})`);
        await expectCode(store.createReadStream(d), 'INVALID_ARGUMENT', `createReadStream(${label})`);
        await expectCode(store.put(d, data), 'INVALID_ARGUMENT', `put(${label})`);
        await expectCode(store.putStream(d, [data]), 'INVALID_ARGUMENT', `putStream(${label})`);
        await expectCode(store.delete(d), 'INVALID_ARGUMENT', `delete(${label})`);
      }
      expect(await listAll(store)).toEqual([]);
    });

    it('refuses sha512 digests as UNSUPPORTED', async () => {
      const data = randomBytes(10);
      const sha512 = `sha512:${createHash('sha512').update(data).digest('hex')}`;
      await expectCode(store.put(sha512, data), 'UNSUPPORTED');
      await expectCode(store.has(sha512), 'UNSUPPORTED');
      await expectCode(store.get(sha512), 'UNSUPPORTED');
    });

    it('reports NOT_FOUND for absent blobs, and delete of one is false', async () => {
      const absent = digestOf(randomBytes(8));
      expect(await store.has(absent)).toBe(false);
      await expectCode(store.stat(absent), 'NOT_FOUND');
      await expectCode(store.get(absent), 'NOT_FOUND');
      await expectCode(store.createReadStream(absent), 'NOT_FOUND');
      expect(await store.delete(absent)).toBe(false);
    });

    it('enforces maxSize while streaming and on get', async () => {
      const data = randomBytes(10_000);
      const digest = digestOf(data);
      const e = await expectCode(store.putStream(digest, chunked(data, 1000), { maxSize: 5000 }), 'LIMIT_EXCEEDED');
      expect(e.details['value'] as number).toBeGreaterThan(5000);
      expect(await store.has(digest)).toBe(false);
      await expectCode(store.put(digest, data, { maxSize: 9999 }), 'LIMIT_EXCEEDED');
      expect(await store.has(digest)).toBe(false);
      await store.put(digest, data);
      await expectCode(store.get(digest, { maxSize: 9999 }), 'LIMIT_EXCEEDED');
      expect((await store.get(digest, { maxSize: 10_000 })).byteLength).toBe(10_000);
    });

    it('enforces the announced size: more is LIMIT_EXCEEDED, fewer INVALID_ARGUMENT', async () => {
      const data = randomBytes(8000);
      const digest = digestOf(data);
      await expectCode(store.putStream(digest, chunked(data, 1000), { size: 7999 }), 'LIMIT_EXCEEDED');
      await expectCode(store.putStream(digest, chunked(data, 1000), { size: 8001 }), 'INVALID_ARGUMENT');
      expect(await listAll(store)).toEqual([]);
    });

    it('aborts a stalled write through its AbortSignal and keeps nothing', async () => {
      const data = randomBytes(1000);
      const digest = digestOf(data);
      const ac = new AbortController();
      const stalled = (async function* () {
        yield data.subarray(0, 500);
        await new Promise(() => {}); // never resolves: a network that went silent
      })();
      const p = store.putStream(digest, stalled, { signal: ac.signal, onProgress: (n) => { if (n === 500) ac.abort(); } });
      await expectCode(p, 'ABORTED');
      expect(await store.has(digest)).toBe(false);
      await expectCode(store.put(digest, data, { signal: AbortSignal.abort() }), 'ABORTED');
      expect(await listAll(store)).toEqual([]);
    });

    it("passes the source's own error through unchanged and keeps nothing", async () => {
      const boom = new Error('connection reset by peer');
      const failing = (async function* () {
        yield randomBytes(100);
        throw boom;
      })();
      const e = await store.putStream(digestOf(randomBytes(100)), failing).catch((x: unknown) => x);
      expect(e).toBe(boom);
      expect(await listAll(store)).toEqual([]);
    });

    it('deletes: has is false afterwards, reads are NOT_FOUND, list omits it, a second delete is false', async () => {
      const a = randomBytes(64);
      const b = randomBytes(64);
      await store.put(digestOf(a), a);
      await store.put(digestOf(b), b);
      expect(await store.delete(digestOf(a))).toBe(true);
      expect(await store.has(digestOf(a))).toBe(false);
      await expectCode(store.get(digestOf(a)), 'NOT_FOUND');
      expect((await listAll(store)).map((x) => x.digest)).toEqual([digestOf(b)]);
      expect(await store.delete(digestOf(a))).toBe(false);
      expect((await store.put(digestOf(a), a)).created).toBe(true);
    });

    it('lists every blob once', async () => {
      const blobs = Array.from({ length: 20 }, () => randomBytes(32));
      for (const b of blobs) await store.put(digestOf(b), b);
      const listed = (await listAll(store)).map((x) => x.digest).sort();
      expect(listed).toEqual(blobs.map(digestOf).sort());
    });

    it('concurrent puts of one digest all succeed and exactly one reports created', async () => {
      const data = randomBytes(512 * 1024);
      const digest = digestOf(data);
      const results = await Promise.all(Array.from({ length: 6 }, () => store.putStream(digest, chunked(data, 32 * 1024), { size: data.byteLength })));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      for (const r of results) expect(r).toMatchObject({ digest, size: data.byteLength });
      expect((await store.get(digest)).equals(data)).toBe(true);
      expect(await listAll(store)).toHaveLength(1);
    });
  });
}
