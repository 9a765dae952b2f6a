/**
 * The image gc also collects snapshots: the layer chains of local images stay (the next container of
 * that image reuses them), those of removed images go, and container snapshots keep theirs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gc } from './gc.js';
import { LocalImageIndex } from '../image/local-index.js';
import { MediaType } from '../image/media-types.js';
import { BlobStore } from '../storage/blob-store.js';
import { sha256Digest } from '../storage/digest.js';
import { chainIds } from '../snapshots/chain-id.js';
import { imageChainIds } from '../snapshots/image-chains.js';
import { Snapshotter } from '../snapshots/snapshotter.js';
import { storeImage, THREE_LAYERS, type LayerEntry } from '../snapshots/test-layers.fixture.js';

let parent: string;
let store: BlobStore;
beforeEach(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'magikrun-snap-gc-'));
  store = await BlobStore.open({ root: path.join(parent, 'root') });
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

/** Store an image (layers, config, manifest) and record it in the local image index as `name`. */
async function recordImage(name: string, layers: LayerEntry[][]) {
  const image = await storeImage(store, layers);
  const put = async (doc: unknown) => {
    const b = Buffer.from(JSON.stringify(doc));
    await store.put(sha256Digest(b), b);
    return { digest: sha256Digest(b), size: b.length };
  };
  const config = await put({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: image.diffIds } });
  const manifest = await put({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, ...config }, layers: image.layers });
  const reference = `example.com/${name}:latest`;
  await new LocalImageIndex(store.root).set({
    reference, digest: manifest.digest, mediaType: MediaType.OciManifest,
    platform: { os: 'linux', architecture: 'amd64' }, size: 1, pulledAt: new Date().toISOString(),
  });
  return { image, reference };
}

describe('image gc and snapshots', () => {
  it('imageChainIds lists every prefix chain of every local image', async () => {
    const a = await recordImage('a', THREE_LAYERS);
    const b = await recordImage('b', [[{ name: 'b', content: 'b' }]]);
    expect([...(await imageChainIds(store))].sort()).toEqual([...chainIds(a.image.diffIds), ...chainIds(b.image.diffIds)].sort());
  });

  it("keeps the snapshots of local images and of containers, and removes a deleted image's", async () => {
    const s = await Snapshotter.open({ store, mode: 'copy' });
    const a = await recordImage('a', THREE_LAYERS);
    const b = await recordImage('b', [[{ name: 'b', content: 'b' }]]);
    const c = await recordImage('c', [[{ name: 'c', content: 'c' }]]);
    await s.prepare('ca', a.image);
    await s.remove('ca');
    await s.prepare('cb', b.image);
    await s.prepare('cc', c.image);
    await s.remove('cc');
    // b and c are deleted from the index; b still has a container snapshot.
    await new LocalImageIndex(store.root).delete(b.reference);
    await new LocalImageIndex(store.root).delete(c.reference);
    const dry = await gc(store, { dryRun: true });
    expect(dry.snapshots?.removed.map((r) => r.chainId)).toEqual(chainIds(c.image.diffIds));
    expect((await s.list()).committed).toHaveLength(3);
    const report = await gc(store);
    expect(report.snapshots?.removed.map((r) => r.chainId)).toEqual(chainIds(c.image.diffIds));
    expect((await s.list()).committed.map((x) => x.chainId).sort()).toEqual([chainIds(a.image.diffIds)[2], chainIds(b.image.diffIds)[0]].sort());
    expect((await gc(store, { snapshots: false })).snapshots).toBeUndefined();
  });

  it('does not create a snapshot directory where there is none', async () => {
    await recordImage('a', THREE_LAYERS);
    expect((await gc(store)).snapshots).toBeUndefined();
  });
});
