import { mkdtemp, rm, utimes, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode } from '../testing/expect-error.js';
import { BlobStore } from '../storage/blob-store.js';
import { sha256Digest } from '../storage/digest.js';
import { gc } from './gc.js';
import { LocalImageIndex } from '../image/local-index.js';
import { MediaType } from '../image/media-types.js';

let dir: string;
let store: BlobStore;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'magikrun-gc-'));
  store = new BlobStore({ root: dir });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Store bytes and age the file, so gc's "written after gc began" guard does not apply. */
async function put(bytes: Buffer | string): Promise<{ digest: string; size: number }> {
  const b = Buffer.from(bytes);
  const r = await store.put(sha256Digest(b), b);
  const old = new Date(Date.now() - 60_000);
  await utimes(r.path, old, old);
  return { digest: r.digest, size: b.length };
}

async function image(name: string, opts: { index?: boolean } = {}) {
  const config = await put(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, n: name }));
  const layer = await put(`layer of ${name}`);
  const manifest = await put(JSON.stringify({
    schemaVersion: 2, mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, ...config },
    layers: [{ mediaType: MediaType.OciLayerTarGzip, ...layer }],
  }));
  let indexDigest: string | undefined;
  let otherPlatform: string | undefined;
  if (opts.index) {
    otherPlatform = sha256Digest(Buffer.from('not pulled'));
    const index = await put(JSON.stringify({
      schemaVersion: 2, mediaType: MediaType.OciIndex,
      manifests: [
        { mediaType: MediaType.OciManifest, ...manifest, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: MediaType.OciManifest, digest: otherPlatform, size: 10, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    }));
    indexDigest = index.digest;
  }
  await new LocalImageIndex(dir).set({
    reference: `example.com/${name}:latest`, digest: manifest.digest, mediaType: MediaType.OciManifest,
    ...(indexDigest ? { indexDigest } : {}),
    platform: { os: 'linux', architecture: 'amd64' }, size: 1, pulledAt: new Date().toISOString(),
  });
  return { config, layer, manifest, indexDigest };
}

const digests = async () => {
  const out: string[] = [];
  for await (const b of store.list()) out.push(b.digest);
  return out.sort();
};

describe('gc', () => {
  it('keeps every blob an image references (through its index) and sweeps the rest; dry run removes nothing', async () => {
    const a = await image('a', { index: true });
    const b = await image('b');
    const orphan = await put('orphan bytes');
    const before = await digests();
    expect(before).toHaveLength(8);

    const dry = await gc(store, { dryRun: true });
    expect(dry.removed.map((r) => r.digest)).toEqual([orphan.digest]);
    expect(dry.freedBytes).toBe(orphan.size);
    expect(await digests()).toEqual(before);

    const real = await gc(store);
    expect(real.dryRun).toBe(false);
    expect(real.removed.map((r) => r.digest)).toEqual([orphan.digest]);
    expect(real.kept).toBe(7);
    const kept = [a.config, a.layer, a.manifest, b.config, b.layer, b.manifest].map((x) => x.digest).concat(a.indexDigest!);
    expect(await digests()).toEqual(kept.sort());

    // rmi: the entry goes, the blobs go at the next gc.
    await new LocalImageIndex(dir).delete('example.com/b:latest');
    const after = await gc(store);
    expect(after.removed.map((r) => r.digest).sort()).toEqual([b.config, b.layer, b.manifest].map((x) => x.digest).sort());
    expect(after.freedBytes).toBe(b.config.size + b.layer.size + b.manifest.size);
  });

  it('keeps blobs of live leases, removes dead leases and then their blobs', async () => {
    const kept = await put('leased');
    const expired = await put('expired lease');
    const lease = await store.leases.create({ id: 'live' });
    await lease.add(kept.digest);
    const dead = await store.leases.create({ id: 'old', expiresInMs: 1 });
    await dead.add(expired.digest);
    await new Promise((r) => setTimeout(r, 5));

    const report = await gc(store);
    expect(report.liveLeases).toEqual(['live']);
    expect(report.deadLeases).toEqual(['old']);
    expect(report.removed.map((r) => r.digest)).toEqual([expired.digest]);
    expect((await store.leases.list()).map((l) => l.id)).toEqual(['live']);
    await lease.release();
    expect((await gc(store)).removed.map((r) => r.digest)).toEqual([kept.digest]);
  });

  it('removes directories of crashed archive imports once they are old, not a fresh one', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(dir, 'tmp', 'import-old', 'blobs'), { recursive: true });
    await mkdir(path.join(dir, 'tmp', 'import-new'), { recursive: true });
    const old = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(path.join(dir, 'tmp', 'import-old'), old, old);
    expect((await gc(store, { dryRun: true })).tmpRemoved).toBe(0);
    expect((await gc(store)).tmpRemoved).toBe(1);
    expect(await (await import('node:fs/promises')).readdir(path.join(dir, 'tmp'))).toEqual(['import-new']);
  });

  it('never sweeps a blob written after gc began', async () => {
    const b = Buffer.from('fresh');
    await store.put(sha256Digest(b), b);
    const future = new Date(Date.now() + 60_000);
    await utimes(store.pathFor(sha256Digest(b)), future, future);
    expect((await gc(store)).removed).toEqual([]);
  });

  it('stops without removing anything when a manifest is corrupt or an index entry malformed', async () => {
    const a = await image('a');
    const orphan = await put('orphan');
    const p = store.pathFor(a.manifest.digest);
    await chmod(p, 0o600);
    await writeFile(p, 'garbage');
    await expectCode(gc(store), 'DIGEST_MISMATCH');
    expect(await store.has(orphan.digest)).toBe(true);

    await rm(p);
    await writeFile(path.join(dir, 'images', `${'0'.repeat(64)}.json`), '{');
    await expectCode(gc(store), 'INVALID_ARGUMENT');
    expect(await store.has(orphan.digest)).toBe(true);
  });
});
