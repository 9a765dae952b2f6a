import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors.js';
import { expectCode } from '../testing/expect-error.js';
import { BlobStore } from './blob-store.js';
import { sha256Digest } from './digest.js';
import type { OpenAt, RangeSource } from './resumable-ingest.js';

let dir: string;
let store: BlobStore;
const data = randomBytes(300_000);
const digest = sha256Digest(data);
const hex = digest.slice(7);
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-resume-'));
  store = await BlobStore.open({ root: path.join(dir, 'root') });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* chunks(bytes: Buffer, cut = bytes.length, stallAfter = false): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < Math.min(cut, bytes.length); o += 16_384) yield bytes.subarray(o, Math.min(o + 16_384, cut));
  if (stallAfter) await new Promise(() => {});
}

/** A source that answers each call from a script of behaviours and records the offsets asked for. */
function scripted(steps: ((offset: number) => RangeSource)[]): { openAt: OpenAt; offsets: number[] } {
  const offsets: number[] = [];
  let i = 0;
  return {
    offsets,
    openAt: async (offset) => {
      offsets.push(offset);
      const step = steps[Math.min(i++, steps.length - 1)]!;
      return step(offset);
    },
  };
}
const honest = (offset: number): RangeSource => ({ body: chunks(data.subarray(offset)), start: offset });
const ingestEntries = () => readdir(store.ingestDir);

describe('BlobStore.writeResumable', () => {
  it('downloads, commits and leaves nothing in ingest/', async () => {
    const { openAt, offsets } = scripted([honest]);
    const seen: number[] = [];
    const r = await store.writeResumable(digest, openAt, { size: data.length, onProgress: (n) => seen.push(n) });
    expect(r).toMatchObject({ digest, size: data.length, created: true, resumedFrom: 0 });
    expect(offsets).toEqual([0]);
    expect(seen.at(-1)).toBe(data.length);
    expect((await store.get(digest)).equals(data)).toBe(true);
    expect(await ingestEntries()).toEqual([]);
  });

  it('resumes from partial data left by an earlier writer (Range from its length)', async () => {
    await mkdir(path.join(store.ingestDir, hex));
    await writeFile(path.join(store.ingestDir, hex, 'data'), data.subarray(0, 100_000));
    const { openAt, offsets } = scripted([honest]);
    const r = await store.writeResumable(digest, openAt, { size: data.length });
    expect(r).toMatchObject({ created: true, resumedFrom: 100_000 });
    expect(offsets).toEqual([100_000]);
    expect((await store.get(digest)).equals(data)).toBe(true);
  });

  it('starts over when the server ignores the range (answers from 0)', async () => {
    await mkdir(path.join(store.ingestDir, hex));
    await writeFile(path.join(store.ingestDir, hex, 'data'), data.subarray(0, 100_000));
    const { openAt, offsets } = scripted([() => ({ body: chunks(data), start: 0 })]);
    await store.writeResumable(digest, openAt, { size: data.length });
    expect(offsets).toEqual([100_000]);
    expect((await store.get(digest)).equals(data)).toBe(true);
  });

  it('drops the partial data when the server answers another range, then downloads from 0', async () => {
    await mkdir(path.join(store.ingestDir, hex));
    await writeFile(path.join(store.ingestDir, hex, 'data'), data.subarray(0, 100_000));
    const { openAt, offsets } = scripted([(o) => ({ body: chunks(data.subarray(o + 10)), start: o + 10 }), honest]);
    await store.writeResumable(digest, openAt, { size: data.length, backoffMs: 1 });
    expect(offsets).toEqual([100_000, 0]);
    expect((await store.get(digest)).equals(data)).toBe(true);
  });

  it('retries short bodies and resets, resuming where each stopped', async () => {
    const reset = (o: number): RangeSource => ({
      body: (async function* () {
        yield* chunks(data.subarray(o), 50_000);
        throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
      })(),
      start: o,
    });
    const short = (o: number): RangeSource => ({ body: chunks(data.subarray(o), 70_000), start: o });
    const { openAt, offsets } = scripted([short, reset, honest]);
    await store.writeResumable(digest, openAt, { size: data.length, backoffMs: 1 });
    expect(offsets).toEqual([0, 70_000, 120_000]);
    expect((await store.get(digest)).equals(data)).toBe(true);
  });

  it('a stalled body is dropped after idleTimeoutMs and resumed', async () => {
    const { openAt, offsets } = scripted([(o) => ({ body: chunks(data.subarray(o), 32_768, true), start: o }), honest]);
    await store.writeResumable(digest, openAt, { size: data.length, backoffMs: 1, idleTimeoutMs: 100 });
    expect(offsets).toEqual([0, 32_768]);
    expect(await store.has(digest)).toBe(true);
  });

  it('gives up after `retries` short bodies with a typed error and keeps the partial for later', async () => {
    const { openAt, offsets } = scripted([() => ({ body: chunks(Buffer.alloc(0)), start: 0 })]);
    await expectCode(store.writeResumable(digest, openAt, { size: data.length, backoffMs: 1, retries: 2 }), ErrorCode.InvalidArgument);
    expect(offsets).toEqual([0, 0, 0]);
    expect(await store.has(digest)).toBe(false);
  });

  it('a wrong digest is DIGEST_MISMATCH and nothing stays, in blobs/ or ingest/', async () => {
    const bad = Buffer.from(data);
    bad[5] = bad[5]! ^ 1;
    const { openAt } = scripted([(o) => ({ body: chunks(bad.subarray(o)), start: o })]);
    await expectCode(store.writeResumable(digest, openAt, { size: data.length }), ErrorCode.DigestMismatch);
    expect(await store.has(digest)).toBe(false);
    expect(await ingestEntries()).toEqual([]);
  });

  it('a corrupt kept prefix is thrown away and the blob downloaded once more from 0', async () => {
    await mkdir(path.join(store.ingestDir, hex));
    const prefix = Buffer.from(data.subarray(0, 100_000));
    prefix[0] = prefix[0]! ^ 1;
    await writeFile(path.join(store.ingestDir, hex, 'data'), prefix);
    const { openAt, offsets } = scripted([honest]);
    await store.writeResumable(digest, openAt, { size: data.length });
    expect(offsets).toEqual([100_000, 0]);
    expect((await store.get(digest)).equals(data)).toBe(true);
  });

  it('more bytes than the descriptor says is LIMIT_EXCEEDED and the partial is discarded', async () => {
    const { openAt } = scripted([(o) => ({ body: chunks(Buffer.concat([data, Buffer.from('x')]).subarray(o)), start: o })]);
    await expectCode(store.writeResumable(digest, openAt, { size: data.length }), ErrorCode.LimitExceeded);
    expect(await ingestEntries()).toEqual([]);
  });

  it('an abort is ABORTED, keeps the partial data invisible in ingest/ and the next call resumes', async () => {
    const ac = new AbortController();
    const { openAt } = scripted([(o) => ({ body: chunks(data.subarray(o), 64_000, true), start: o })]);
    const p = store.writeResumable(digest, openAt, { size: data.length, signal: ac.signal, onProgress: (n) => n >= 64_000 && ac.abort() });
    await expectCode(p, ErrorCode.Aborted);
    expect(await store.has(digest)).toBe(false);
    expect((await readFile(path.join(store.ingestDir, hex, 'data'))).length).toBe(64_000);
    const again = scripted([honest]);
    expect((await store.writeResumable(digest, again.openAt, { size: data.length })).resumedFrom).toBe(64_000);
    expect(again.offsets).toEqual([64_000]);
  });

  it('two writers of one digest in one process: one downloads, the other waits and finds it committed', async () => {
    const a = scripted([honest]);
    const b = scripted([honest]);
    const [ra, rb] = await Promise.all([
      store.writeResumable(digest, a.openAt, { size: data.length }),
      store.writeResumable(digest, b.openAt, { size: data.length }),
    ]);
    expect([ra.created, rb.created].sort()).toEqual([false, true]);
    expect(a.offsets.length + b.offsets.length).toBe(1);
    expect(await ingestEntries()).toEqual([]);
  });

  it('with waitForLock false, a blob another live writer holds is LOCKED, naming the writer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const holding = store.writeResumable(digest, async (o) => {
      await gate;
      return honest(o);
    }, { size: data.length });
    const waits: number[] = [];
    // Wait until the first writer holds the lock (its lock file exists), then try without waiting.
    while (!(await readdir(path.join(store.ingestDir, hex)).catch((): string[] => [])).includes('lock')) await new Promise((r) => setTimeout(r, 5));
    const e = await expectCode(store.writeResumable(digest, scripted([honest]).openAt, { size: data.length, waitForLock: false }), ErrorCode.Locked);
    expect(e.message).toContain(`process ${process.pid}`);
    const waiter = store.writeResumable(digest, scripted([honest]).openAt, { size: data.length, onLockWait: (h) => waits.push(h.pid) });
    while (waits.length === 0) await new Promise((r) => setTimeout(r, 5));
    release();
    expect((await holding).created).toBe(true);
    expect((await waiter).created).toBe(false);
    expect(waits).toEqual([process.pid]);
  });

  it('pruneIngest removes a dead writer\'s directory but not a live one', async () => {
    await mkdir(path.join(store.ingestDir, hex));
    await writeFile(path.join(store.ingestDir, hex, 'data'), data.subarray(0, 10));
    await writeFile(path.join(store.ingestDir, hex, 'lock'), JSON.stringify({ pid: process.pid, startTime: '', acquiredAt: Date.now(), hostname: (await import('node:os')).hostname() }));
    expect(await store.pruneIngest({ olderThanMs: 0 })).toBe(0);
    await rm(path.join(store.ingestDir, hex, 'lock'));
    expect(await store.pruneIngest({ olderThanMs: 0 })).toBe(1);
    expect(await ingestEntries()).toEqual([]);
  });

  describe('writes batched across network chunks (several MiB in 16 KiB chunks)', () => {
    const big = randomBytes(3 * 1024 * 1024 + 12_345);
    const bigDigest = sha256Digest(big);

    it('copies each chunk when it arrives: a source that reuses one buffer still stores the right bytes', async () => {
      const reusing = (o: number): RangeSource => ({
        body: (async function* () {
          const buf = Buffer.alloc(16_384);
          for (let p = o; p < big.length; p += buf.length) {
            const n = big.copy(buf, 0, p, Math.min(p + buf.length, big.length));
            yield buf.subarray(0, n);
            buf.fill(0xee);
          }
        })(),
        start: o,
      });
      await store.writeResumable(bigDigest, scripted([reusing]).openAt, { size: big.length });
      expect((await store.get(bigDigest)).equals(big)).toBe(true);
    });

    it('a body cut in the middle of a batch is resumed from the byte after the last one received', async () => {
      const cut = 1024 * 1024 + 700_000;
      const { openAt, offsets } = scripted([
        (o) => ({ body: chunks(big.subarray(o), cut), start: o }),
        (o) => ({ body: chunks(big.subarray(o)), start: o }),
      ]);
      await store.writeResumable(bigDigest, openAt, { size: big.length, backoffMs: 1 });
      expect(offsets).toEqual([0, cut]);
      expect((await store.get(bigDigest)).equals(big)).toBe(true);
    });

    it('an abort in the middle of a batch keeps a partial file that is a prefix of the blob', async () => {
      const ac = new AbortController();
      const { openAt } = scripted([(o) => ({ body: chunks(big.subarray(o)), start: o })]);
      const p = store.writeResumable(bigDigest, openAt, { size: big.length, signal: ac.signal, onProgress: (n) => n >= 1_500_000 && ac.abort() });
      await expectCode(p, ErrorCode.Aborted);
      const kept = await readFile(path.join(store.ingestDir, bigDigest.slice(7), 'data'));
      expect(kept.length).toBeGreaterThanOrEqual(1_500_000);
      expect(kept.equals(big.subarray(0, kept.length))).toBe(true);
      const again = scripted([(o) => ({ body: chunks(big.subarray(o)), start: o })]);
      const r = await store.writeResumable(bigDigest, again.openAt, { size: big.length });
      expect(r.resumedFrom).toBe(kept.length);
      expect(again.offsets).toEqual([kept.length]);
      expect((await store.get(bigDigest)).equals(big)).toBe(true);
    });
  });
});
