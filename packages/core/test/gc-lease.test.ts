/**
 * gc against work in flight: a pull's lease keeps its blobs while gc runs in the middle of it, and a
 * lease held by another process protects until that process dies.
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gc, type GcReport } from '../src/gc/gc.js';
import { pullImage } from '../src/image/pull.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { sha256Digest } from '../src/storage/digest.js';
import { processStartTime } from '../src/storage/process-lock.js';
import { testImages } from './support/images.js';
import { tempStore } from './support/store.js';

const images = testImages();
let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
});
afterEach(async () => {
  await cleanup();
});

describe('gc and leases', () => {
  it('a gc that runs while a pull is between its blobs and its index entry removes none of them', async () => {
    const tag = images.tags.linux!;
    let during: Promise<GcReport> | undefined;
    let leased: string[] = [];
    const img = await pullImage(`oci:${images.layout}:linux`, store, {
      onProgress: (p) => {
        if (p.kind === 'layer' && p.done && during === undefined) {
          during = (async () => {
            const leases = await store.leases.list();
            leased = leases.flatMap((l) => l.digests);
            return gc(store);
          })();
        }
      },
    });
    const report = await during!;
    expect(leased).toEqual(expect.arrayContaining([tag.digest, tag.config!, ...tag.layers]));
    expect(report.liveLeases).toHaveLength(1);
    expect(report.removed).toEqual([]);
    for (const d of [img.digest, tag.config!, ...tag.layers]) expect(await store.has(d)).toBe(true);
    expect(await store.leases.list()).toEqual([]);
    expect((await gc(store)).removed).toEqual([]);
  });

  it.runIf(process.platform === 'linux')('a lease held by another process protects until that process is gone', async () => {
    const bytes = Buffer.from('held by another process');
    const digest = sha256Digest(bytes);
    const put = await store.put(digest, bytes);
    const { utimes } = await import('node:fs/promises');
    const old = new Date(Date.now() - 60_000);
    await utimes(put.path, old, old);
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    try {
      const startTime = processStartTime(child.pid!);
      expect(startTime).toBeTruthy();
      await mkdir(path.join(root, 'leases'), { recursive: true });
      await writeFile(
        path.join(root, 'leases', 'other.json'),
        JSON.stringify({ id: 'other', createdAt: Date.now(), holder: { pid: child.pid, startTime }, digests: [digest] }),
      );
      const kept = await gc(store);
      expect(kept.liveLeases).toEqual(['other']);
      expect(await store.has(digest)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const swept = await gc(store);
    expect(swept.deadLeases).toEqual(['other']);
    expect(swept.removed.map((b) => b.digest)).toEqual([digest]);
    expect(await store.leases.list()).toEqual([]);
  });
});
