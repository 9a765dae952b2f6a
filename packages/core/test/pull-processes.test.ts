/**
 * Pulls in child processes (plain Node, running the current source built by tsup) through the fault
 * proxy in front of docker-registry: a pull SIGKILLed halfway through a large layer is completed by the
 * next pull, which reuses the verified blobs and asks for the rest of the layer with a Range; two
 * processes pulling the same image at once both succeed with one copy of each blob.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LocalImageIndex } from '../src/image/local-index.js';
import { pullImage } from '../src/image/pull.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { pushBigImage, type BigImage } from './support/big-image.js';
import { buildPullModule } from './support/build-pull-module.js';
import { FaultProxy } from './support/fault-proxy.js';
import { testImages } from './support/images.js';
import { filesUnder, tempStore } from './support/store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const images = testImages();
let big: BigImage;
let proxy: FaultProxy;
let built: { url: string; remove(): Promise<void> };
let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
let ref: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  [big, built] = await Promise.all([pushBigImage(images.registry.host, 'processes', [12 * 1024 * 1024, 3 * 1024 * 1024, 256 * 1024]), buildPullModule()]);
  proxy = await FaultProxy.start(images.registry.host);
  ref = `${proxy.host}/${big.path}`;
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await built?.remove();
});
beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
  proxy.reset();
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  proxy.release();
  proxy.dropConnections();
  await cleanup();
});

interface Child {
  proc: ChildProcess;
  /** Resolves when `predicate` holds for a progress line (`layer <digest> <completed> <done>`). */
  waitFor(predicate: (digest: string, completed: number, done: boolean) => boolean): Promise<void>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; result: { ok: boolean; code?: string; message?: string } | undefined; err: string }>;
}

function pullInChild(idleTimeoutMs?: number): Child {
  const args = [path.join(here, 'support', 'pull-child.fixture.mjs'), built.url, root, ref, ...(idleTimeoutMs ? [String(idleTimeoutMs)] : [])];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  let out = '';
  let err = '';
  const waiters: { predicate: (d: string, c: number, done: boolean) => boolean; resolve: () => void }[] = [];
  const lines: [string, number, boolean][] = [];
  proc.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    const parts = out.split('\n');
    out = parts.pop()!;
    for (const l of parts) {
      const m = /^layer (\S+) (\d+) (true|false)$/.exec(l);
      if (m) lines.push([m[1]!, Number(m[2]), m[3] === 'true']);
      else out = `${l}\n${out}`;
    }
    for (const w of [...waiters]) {
      if (lines.some(([d, n, done]) => w.predicate(d, n, done))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<Awaited<Child['done']>>((resolve) =>
    proc.on('close', (code, signal) => {
      const json = out.split('\n').find((l) => l.startsWith('{'));
      resolve({ code, signal, result: json ? (JSON.parse(json) as { ok: boolean }) : undefined, err });
    }),
  );
  return {
    proc,
    done,
    waitFor: (predicate) =>
      new Promise<void>((resolve, reject) => {
        if (lines.some(([d, n, f]) => predicate(d, n, f))) return resolve();
        waiters.push({ predicate, resolve });
        void done.then((r) => reject(new Error(`the child exited (${r.code ?? r.signal}) before the expected progress: ${JSON.stringify(r.result)} ${r.err}`)));
      }),
  };
}

async function blobsInStore(): Promise<string[]> {
  const out: string[] = [];
  for await (const b of store.list()) {
    await store.get(b.digest); // verifies
    out.push(b.digest);
  }
  return out.sort();
}

const allDigests = () => [big.manifest.digest, big.config.digest, ...big.layers.map((l) => l.digest)].sort();

describe('pulls in several processes', () => {
  it('a pull SIGKILLed halfway through a large layer is completed by the next pull, which resumes it with a Range', async () => {
    const large = big.layers[0]!;
    const half = 5 * 1024 * 1024;
    // The large layer stalls after 5 MiB, so the child is certainly in the middle of it when killed.
    proxy.plan('stall', { digest: large.digest, at: half });
    const child = pullInChild();
    await child.waitFor((d, n) => d === large.digest && n >= half);
    // The small layers downloaded in parallel are committed; wait for them so the reuse is certain.
    await Promise.all(big.layers.slice(1).map((l) => child.waitFor((d, _n, done) => d === l.digest && done)));
    child.proc.kill('SIGKILL');
    const exit = await child.done;
    expect(exit.signal).toBe('SIGKILL');

    // Nothing of the large layer is visible; its verified prefix waits in ingest/, with the dead child's lock.
    expect(await store.has(large.digest)).toBe(false);
    expect(await new LocalImageIndex(root).get(ref)).toBeUndefined();
    const dir = path.join(store.ingestDir, large.digest.slice(7));
    const kept = (await stat(path.join(dir, 'data'))).size;
    expect(kept).toBe(half);
    expect(JSON.parse(await readFile(path.join(dir, 'lock'), 'utf8')).pid).toBe(child.proc.pid);

    proxy.reset();
    const img = await pullImage(ref, store);
    expect(img.digest).toBe(big.manifest.digest);
    expect(await blobsInStore()).toEqual(allDigests());
    expect(await filesUnder(root, 'ingest')).toEqual([]);
    const resumed = proxy.blobRequests(large.digest);
    expect(resumed.map((r) => r.range)).toEqual([`bytes=${kept}-`]);
    expect(resumed[0]?.status).toBe(206);
    // The small layers and the config were verified and kept by the killed pull: not fetched again.
    for (const l of big.layers.slice(1)) expect(proxy.blobRequests(l.digest)).toEqual([]);
    expect(proxy.blobRequests(big.config.digest)).toEqual([]);
  });

  it('two processes pulling the same image at once both succeed, with one download and one copy of each blob', async () => {
    const large = big.layers[0]!;
    // The first request for the large layer is held: its downloader holds the layer's lock meanwhile.
    proxy.plan('hold', { digest: large.digest });
    const a = pullInChild();
    const b = pullInChild();
    await waitUntil(() => proxy.blobRequests(large.digest).some((r) => r.fault === 'hold'));
    // Both got past the small layers (downloaded by one, waited for or found by the other).
    for (const c of [a, b]) await Promise.all(big.layers.slice(1).map((l) => c.waitFor((d, _n, done) => d === l.digest && done)));
    proxy.release();
    const [ra, rb] = await Promise.all([a.done, b.done]);
    for (const r of [ra, rb]) {
      expect(r.code, `${JSON.stringify(r.result)} ${r.err}`).toBe(0);
      expect(r.result).toEqual({ ok: true, digest: big.manifest.digest });
    }
    expect(await blobsInStore()).toEqual(allDigests());
    expect(await filesUnder(root, 'ingest')).toEqual([]);
    // The second process waited for the first one's lock instead of downloading the large layer again.
    expect(proxy.blobRequests(large.digest)).toHaveLength(1);
    expect((await new LocalImageIndex(root).get(ref))?.digest).toBe(big.manifest.digest);
  });
});

async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 20));
}
