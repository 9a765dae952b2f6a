/**
 * Pulls through a fault-injecting proxy (test/support/fault-proxy.ts) in front of Debian's
 * docker-registry: truncated, reset and stalled bodies, 500s, wrong Content-Length, ignored and
 * misanswered Range, corrupt bytes, and blob redirects to 127.0.0.2. Every pull either succeeds with
 * verified blobs or fails with a typed error; no stored blob ever fails its digest; a failed or
 * aborted pull leaves no index entry and no unverified blob.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, isMagikrunError } from '../src/errors.js';
import { LocalImageIndex } from '../src/image/local-index.js';
import { pullImage } from '../src/image/pull.js';
import type { PullProgress } from '../src/image/types.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { expectCode } from '../src/testing/expect-error.js';
import { pushBigImage, type BigImage } from './support/big-image.js';
import { FaultProxy, type Fault } from './support/fault-proxy.js';
import { testImages } from './support/images.js';
import { filesUnder, tempStore } from './support/store.js';

const images = testImages();
let big: BigImage;
let proxy: FaultProxy;
let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
let ref: string;

beforeAll(async () => {
  big = await pushBigImage(images.registry.host, 'faults');
  proxy = await FaultProxy.start(images.registry.host);
  ref = `${proxy.host}/${big.path}`;
}, 120_000);
afterAll(async () => {
  await proxy?.close();
});
beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
  proxy.reset();
});
afterEach(async () => {
  proxy.dropConnections();
  await cleanup();
});

const layer = () => big.layers[0]!;
/** Fast retries and a short stall timeout so that faults resolve quickly. */
const quick = { idleTimeoutMs: 1_000, retry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 50 } };

/** Every stored blob hashes to its digest; returns their digests. */
async function verifiedBlobs(): Promise<string[]> {
  const out: string[] = [];
  for await (const b of store.list()) {
    const s = await store.createReadStream(b.digest);
    for await (const _ of s) void _;
    out.push(b.digest);
  }
  return out.sort();
}

async function expectComplete(): Promise<void> {
  const want = [big.manifest.digest, big.config.digest, ...big.layers.map((l) => l.digest)].sort();
  expect(await verifiedBlobs()).toEqual(want);
  expect(await filesUnder(root, 'ingest')).toEqual([]);
  expect((await new LocalImageIndex(root).get(ref))?.digest).toBe(big.manifest.digest);
}

/** After a failed pull: no index entry, nothing unverified in blobs/, the failing blob absent. */
async function expectNothingVisible(missing: string): Promise<void> {
  expect(await new LocalImageIndex(root).get(ref)).toBeUndefined();
  const stored = await verifiedBlobs();
  expect(stored).not.toContain(missing);
  expect(stored).not.toContain(big.manifest.digest);
}

describe('pull through a faulty proxy', () => {
  const recovering: [Fault, string][] = [
    ['truncate', 'a body cut short is resumed from where it stopped'],
    ['reset', 'a connection reset mid-body is resumed'],
    ['stall', 'a stalled body is dropped after the idle timeout and resumed'],
    ['length-short', 'a Content-Length shorter than the blob: the bytes are counted against the descriptor and the rest fetched'],
    ['length-long', 'a Content-Length longer than the body, then a close, is resumed'],
  ];
  for (const [fault, title] of recovering) {
    it(`${fault}: ${title}, with a Range request`, async () => {
      proxy.plan(fault, { digest: layer().digest });
      await pullImage(ref, store, quick);
      await expectComplete();
      const reqs = proxy.blobRequests(layer().digest);
      expect(reqs[0]?.fault).toBe(fault);
      // Every later request resumes (a Range from a non-zero offset); with a too-long Content-Length all
      // bytes may already have arrived before the close, and then no second request is needed.
      if (fault !== 'length-long') expect(reqs.length, JSON.stringify(reqs)).toBeGreaterThan(1);
      for (const r of reqs.slice(1)) expect(r.range, JSON.stringify(reqs)).toMatch(/^bytes=[1-9]\d*-$/);
    });
  }

  it('a server that ignores Range (200 with the whole blob) is handled by starting over', async () => {
    proxy.plan('truncate', { digest: layer().digest }).plan('ignore-range', { digest: layer().digest });
    await pullImage(ref, store, quick);
    await expectComplete();
    const reqs = proxy.blobRequests(layer().digest);
    expect(reqs.map((r) => [r.fault, r.status])).toEqual([
      ['truncate', 200],
      ['ignore-range', 200],
    ]);
    expect(reqs[1]?.range).toMatch(/^bytes=\d+-$/);
  });

  it('a 206 for another range than asked: the partial data is dropped and the blob fetched whole', async () => {
    proxy.plan('truncate', { digest: layer().digest }).plan('other-range', { digest: layer().digest });
    await pullImage(ref, store, quick);
    await expectComplete();
    const reqs = proxy.blobRequests(layer().digest);
    expect(reqs.map((r) => r.fault)).toEqual(['truncate', 'other-range', undefined]);
    expect(reqs[1]?.status).toBe(206);
    expect(reqs[2]?.range).toBeUndefined();
  });

  it('a 500 is retried', async () => {
    proxy.plan('status500', { digest: layer().digest });
    await pullImage(ref, store, quick);
    await expectComplete();
    expect(proxy.blobRequests(layer().digest).map((r) => r.status)).toEqual([500, 200]);
  });

  it('blobs redirected to a second loopback address (127.0.0.2) are fetched from there, resumes too', async () => {
    proxy.plan('truncate', { digest: layer().digest }).plan('redirect', { digest: layer().digest });
    await pullImage(ref, store, quick);
    await expectComplete();
    const alt = proxy.log.filter((r) => r.address === '127.0.0.2' && r.digest === layer().digest);
    expect(alt).toHaveLength(1);
    expect(alt[0]?.range, 'the Range went along with the redirect').toMatch(/^bytes=[1-9]\d*-$/);
    expect(alt[0]?.status).toBe(206);
  });

  it('every fault at once on every blob still ends in a complete, verified image', async () => {
    for (const f of ['truncate', 'reset', 'length-short', 'status500', 'redirect', 'length-long', 'ignore-range'] as const) proxy.plan(f);
    await pullImage(ref, store, { ...quick, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 } });
    await expectComplete();
  });

  it('corrupt bytes are DIGEST_MISMATCH; the blob and the image are not recorded, and nothing is left in ingest/', async () => {
    proxy.plan('corrupt', { digest: layer().digest });
    await expectCode(pullImage(ref, store, quick), ErrorCode.DigestMismatch);
    await expectNothingVisible(layer().digest);
    expect(await filesUnder(root, `ingest/${layer().digest.slice(7)}`)).toEqual([]);
  });

  it('500 on every attempt fails with a typed REGISTRY error and records nothing', async () => {
    proxy.plan('status500', { digest: layer().digest, times: 50 });
    const e = await expectCode(pullImage(ref, store, quick), ErrorCode.Registry);
    expect(e.message).toContain(layer().digest);
    await expectNothingVisible(layer().digest);
  });

  it('a body reset on every attempt fails with a typed error; the verified prefix stays in ingest/ and the next pull resumes it', async () => {
    proxy.plan('reset', { digest: layer().digest, times: 50, at: 256 * 1024 });
    let failed: unknown;
    try {
      await pullImage(ref, store, quick);
    } catch (e) {
      failed = e;
    }
    expect(isMagikrunError(failed), String(failed)).toBe(true);
    await expectNothingVisible(layer().digest);
    const partial = await filesUnder(root, `ingest/${layer().digest.slice(7)}`);
    expect(partial).toEqual(['data']);

    proxy.reset();
    await pullImage(ref, store, quick);
    await expectComplete();
    const reqs = proxy.blobRequests(layer().digest);
    expect(reqs).toHaveLength(1);
    expect(reqs[0]?.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('an abort during a stalled transfer is ABORTED, records nothing, and the next pull resumes with Range', async () => {
    proxy.plan('stall', { digest: layer().digest });
    const ac = new AbortController();
    const onProgress = (p: PullProgress) => {
      if (p.kind === 'layer' && p.digest === layer().digest && p.completed >= 1024 * 1024) ac.abort();
    };
    await expectCode(pullImage(ref, store, { signal: ac.signal, onProgress }), ErrorCode.Aborted);
    await expectNothingVisible(layer().digest);

    proxy.reset();
    await pullImage(ref, store, quick);
    await expectComplete();
    expect(proxy.blobRequests(layer().digest)[0]?.range).toMatch(/^bytes=[1-9]\d*-$/);
  });
});

describe('progress and parallelism', () => {
  it('reports per-blob and overall progress; overall ends at the sum of config and layers', async () => {
    const events: PullProgress[] = [];
    await pullImage(ref, store, { onProgress: (p) => events.push(p) });
    const overall = events.filter((e) => e.kind === 'overall');
    const total = big.config.size + big.layers.reduce((n, l) => n + l.size, 0);
    expect(overall.at(-1)).toMatchObject({ digest: big.manifest.digest, completed: total, total, done: true, cached: false });
    for (let i = 1; i < overall.length; i++) expect(overall[i]!.completed).toBeGreaterThanOrEqual(overall[i - 1]!.completed);
    for (const l of big.layers) expect(events.filter((e) => e.kind === 'layer' && e.digest === l.digest && e.done)).toHaveLength(1);

    // Again: everything is cached, nothing is downloaded.
    const again: PullProgress[] = [];
    proxy.reset();
    await pullImage(ref, store, { onProgress: (p) => again.push(p) });
    expect(again.filter((e) => e.kind === 'layer').every((e) => e.cached)).toBe(true);
    expect(again.at(-1)).toMatchObject({ kind: 'overall', cached: true, done: true });
    expect(proxy.log.filter((r) => r.digest !== undefined)).toEqual([]);
  });

  it('downloads layers in parallel: with concurrency 3 the three layers are in flight together', async () => {
    // Each layer's body stalls after 64 KiB; the pull can only have seen all three start if they ran at once.
    for (const l of big.layers) proxy.plan('stall', { digest: l.digest, at: 64 * 1024 });
    const started = new Set<string>();
    const ac = new AbortController();
    const onProgress = (p: PullProgress) => {
      if (p.kind === 'layer' && p.completed > 0) started.add(p.digest);
      if (started.size === 3) ac.abort();
    };
    await expectCode(pullImage(ref, store, { concurrency: 3, signal: ac.signal, onProgress }), ErrorCode.Aborted);
    expect(started.size).toBe(3);
  });

  it('refuses a concurrency outside 1..16', async () => {
    await expectCode(pullImage(ref, store, { concurrency: 0 }), ErrorCode.InvalidArgument);
  });
});
