/**
 * pullImage against Debian's docker-registry on 127.0.0.1, with images built by clang-16 + umoci and
 * pushed by skopeo (test/global-setup.ts).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadImage } from '../src/image/load-image.js';
import { LocalImageIndex } from '../src/image/local-index.js';
import { MediaType } from '../src/image/media-types.js';
import { hostLinuxPlatform } from '../src/image/platform-match.js';
import { pullImage } from '../src/image/pull.js';
import type { PullProgress } from '../src/image/types.js';
import type { BlobStore } from '../src/storage/blob-store.js';
// @ts-expect-error -- plain ESM tooling without type declarations
import { registryBlobPath } from '../../../tools/images/test-images.mjs';
import { testImages } from './support/images.js';
import { filesUnder, tempStore } from './support/store.js';
import { failure } from './support/outcome.js';

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

describe('pull by tag and digest', () => {
  it('pulls the clang/umoci OCI image by tag and records it', async () => {
    const tag = images.tags.latest!;
    const img = await pullImage(images.refs.hello, store);
    expect(img.reference).toBe(images.refs.hello);
    expect(img.digest).toBe(tag.digest);
    expect(img.mediaType).toBe(MediaType.OciManifest);
    expect(img.platform).toEqual({ os: 'wasip1', architecture: 'wasm' });
    expect(img.config.config.Entrypoint).toEqual(['/hello.wasm']);
    expect(img.config.config.Cmd).toEqual(['world']);
    expect(img.manifest.layers.map((l) => l.digest)).toEqual(tag.layers);
    for (const d of [tag.digest, tag.config!, ...tag.layers]) expect(await store.has(d)).toBe(true);
    const entry = await new LocalImageIndex(root).get(images.refs.hello);
    expect(entry).toMatchObject({ reference: images.refs.hello, digest: tag.digest });
    const loaded = await loadImage(images.refs.hello, store);
    expect(loaded?.digest).toBe(tag.digest);
    expect(loaded?.config.config.Env).toContain('GREETING=hello from magikrun');
  });

  it('pulls by digest and verifies it', async () => {
    const digest = images.tags.latest!.digest;
    const ref = `${images.refs.hello.replace(/:latest$/, '')}@${digest}`;
    const img = await pullImage(ref, store);
    expect(img.digest).toBe(digest);
    expect(img.reference).toBe(ref);
    expect((await new LocalImageIndex(root).get(ref))?.digest).toBe(digest);
  });

  it('pulls a Docker schema 2 manifest (skopeo --format v2s2)', async () => {
    const img = await pullImage(images.refs.helloV2s2, store);
    expect(img.mediaType).toBe(MediaType.DockerManifest);
    expect(img.manifest.config.mediaType).toBe(MediaType.DockerConfig);
    expect(img.manifest.layers[0]?.mediaType).toBe(MediaType.DockerLayerTarGzip);
    expect(img.platform).toEqual({ os: 'wasip1', architecture: 'wasm' });
  });

  it('pulls images whose layer is the module (application/wasm and the wasm content layer type)', async () => {
    for (const ref of [images.refs.wasm, images.refs.wasmContent]) {
      const img = await pullImage(ref, store);
      expect(img.manifest.layers).toHaveLength(1);
      expect(img.manifest.layers[0]!.digest).toBe(images.helloModuleDigest);
      expect(await store.get(images.helloModuleDigest)).toHaveLength(img.manifest.layers[0]!.size);
    }
  });

  it('reports progress per blob and marks blobs already stored as cached', async () => {
    const events: PullProgress[] = [];
    await pullImage(images.refs.hello, store, { onProgress: (p) => events.push(p) });
    const layer = images.tags.latest!.layers[0]!;
    expect(events.some((e) => e.kind === 'layer' && e.digest === layer && e.done && !e.cached)).toBe(true);
    const again: PullProgress[] = [];
    await pullImage(images.refs.hello, store, { onProgress: (p) => again.push(p) });
    expect(again.find((e) => e.kind === 'layer')).toMatchObject({ digest: layer, cached: true, done: true });
  });
});

describe('platform selection from an index (linux + wasm)', () => {
  it('takes the host Linux image when the caller names nothing', async () => {
    const img = await pullImage(images.refs.multi, store);
    expect(img.digest).toBe(images.tags.linux!.digest);
    expect(img.indexDigest).toBe(images.tags.multi!.digest);
    expect(img.platform).toEqual({ os: 'linux', architecture: hostLinuxPlatform().architecture });
    expect(await store.has(images.tags.multi!.digest)).toBe(true);
  });

  it('takes the wasm image when the caller can only run wasm', async () => {
    const img = await pullImage(images.refs.multi, store, { acceptPlatforms: ['wasip1/wasm'] });
    expect(img.digest).toBe(images.tags.latest!.digest);
    expect(img.platform).toEqual({ os: 'wasip1', architecture: 'wasm' });
    expect((await new LocalImageIndex(root).get(images.refs.multi))?.indexDigest).toBe(images.tags.multi!.digest);
  });

  it('an explicit platform decides', async () => {
    const img = await pullImage(images.refs.multi, store, { platform: 'wasi/wasm', acceptPlatforms: ['linux/amd64'] });
    expect(img.digest).toBe(images.tags.latest!.digest);
  });

  it('an unavailable platform is NOT_FOUND listing the offered ones, and records nothing', async () => {
    const r = await failure(pullImage(images.refs.multi, store, { platform: 'linux/riscv64' }));
    expect(r.code).toBe('NOT_FOUND');
    expect(r.message).toContain('wasip1/wasm');
    expect(r.message).toContain(`linux/${hostLinuxPlatform().architecture}`);
    expect(await new LocalImageIndex(root).list()).toEqual([]);
  });

  it('a single-platform image that does not match an explicit platform is NOT_FOUND', async () => {
    const r = await failure(pullImage(images.refs.hello, store, { platform: 'linux/amd64' }));
    expect(r.code).toBe('NOT_FOUND');
    expect(r.message).toMatch(/is for platform wasip1\/wasm, not the requested linux\/amd64/);
  });
});

describe('failures leave no index entry and no unverified blob', () => {
  it('registry 404 → NOT_FOUND naming the reference', async () => {
    const ref = `${images.registry.host}/does-not-exist:nope`;
    const r = await failure(pullImage(ref, store));
    expect(r.code).toBe('NOT_FOUND');
    expect(r.message).toContain(ref);
    const r2 = await failure(pullImage(`${images.registry.host}/hello:no-such-tag`, store));
    expect(r2.code).toBe('NOT_FOUND');
    expect(r2.message).toContain('hello:no-such-tag');
    expect(await filesUnder(root, 'images')).toEqual([]);
    expect(await filesUnder(root, 'blobs')).toEqual([]);
  });

  it('a layer whose bytes were altered in the registry → DIGEST_MISMATCH, blob not stored, no entry', async () => {
    const layer = images.tags.tamper!.layers[0]!;
    const file = registryBlobPath(images.registry.storageDir, layer);
    const original = readFileSync(file);
    const altered = Buffer.from(original);
    altered.writeUInt8(altered.readUInt8(altered.length - 1) ^ 0xff, altered.length - 1);
    writeFileSync(file, altered);
    try {
      const r = await failure(pullImage(images.refs.tamper, store));
      expect(r.code).toBe('DIGEST_MISMATCH');
      expect(await store.has(layer)).toBe(false);
      expect(await filesUnder(root, 'images')).toEqual([]);
      expect(await filesUnder(root, 'ingest')).toEqual([]);
      // Only the verified config may remain; the manifest is stored only with a complete image.
      const kept = (await filesUnder(root, 'blobs')).map((f) => `sha256:${f.split('/').pop()}`);
      expect(kept).toEqual([images.tags.tamper!.config]);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('a manifest altered in the registry → DIGEST_MISMATCH by tag and by digest', async () => {
    const t = images.tags['tamper-manifest']!;
    const file = registryBlobPath(images.registry.storageDir, t.digest);
    const original = readFileSync(file);
    // Keep it valid JSON of the same size so the registry still serves it.
    const text = original.toString('utf8');
    expect(text).toContain('"size"');
    const configDigestHex = t.config!.slice(7);
    const flipped = configDigestHex.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    writeFileSync(file, text.replace(configDigestHex, flipped));
    try {
      const byTag = await failure(pullImage(images.refs.tamperManifest, store));
      expect(byTag.code).toBe('DIGEST_MISMATCH');
      const byDigest = await failure(pullImage(`${images.refs.tamperManifest.replace(/:manifest$/, '')}@${t.digest}`, store));
      expect(byDigest.code).toBe('DIGEST_MISMATCH');
      expect(await filesUnder(root, 'images')).toEqual([]);
      expect(await filesUnder(root, 'blobs')).toEqual([]);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('MAX_LAYERS, MAX_LAYER_SIZE and MAX_ROOTFS_SIZE are checked before any layer is downloaded', async () => {
    const two = images.tags['two-layers']!;
    const r = await failure(pullImage(images.refs.twoLayers, store, { limits: { maxLayers: 1 } }));
    expect(r.code).toBe('LIMIT_EXCEEDED');
    expect(r.message).toMatch(/2 layers, more than the limit of 1/);
    const r2 = await failure(pullImage(images.refs.hello, store, { limits: { maxLayerSize: 100 } }));
    expect(r2.code).toBe('LIMIT_EXCEEDED');
    const r3 = await failure(pullImage(images.refs.twoLayers, store, { limits: { maxRootfsSize: two.layers.length * 20_000 } }));
    expect(r3.code).toBe('LIMIT_EXCEEDED');
    expect(await filesUnder(root, 'blobs')).toEqual([]);
    expect(await filesUnder(root, 'images')).toEqual([]);
  });

  it('a manifest over the size cap is LIMIT_EXCEEDED', async () => {
    const r = await failure(pullImage(images.refs.hello, store, { limits: { maxManifestSize: 64 } }));
    expect(r.code).toBe('LIMIT_EXCEEDED');
  });

  it('aborting through the signal → ABORTED and no index entry', async () => {
    const ac = new AbortController();
    const r = await failure(
      pullImage(images.refs.hello, store, {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.kind === 'config') ac.abort();
        },
      }),
    );
    expect(r.code).toBe('ABORTED');
    expect(await filesUnder(root, 'images')).toEqual([]);
    expect(await store.has(images.tags.latest!.layers[0]!)).toBe(false);
  });

  describe('a registry that never answers', () => {
    let server: Server;
    const sockets: Socket[] = [];
    beforeEach(async () => {
      server = createServer((s) => sockets.push(s));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterEach(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    it('hits the pull deadline → TIMEOUT', async () => {
      const port = (server.address() as { port: number }).port;
      const r = await failure(pullImage(`127.0.0.1:${port}/x:y`, store, { timeoutMs: 300 }));
      expect(r.code).toBe('TIMEOUT');
      expect(r.message).toContain('300 ms');
    });
  });

  it('an unreachable registry is a REGISTRY error naming it', async () => {
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    const port = (srv.address() as { port: number }).port;
    await new Promise((resolve) => srv.close(resolve));
    const r = await failure(pullImage(`127.0.0.1:${port}/x:y`, store));
    expect(r.code).toBe('REGISTRY');
    expect(r.message).toContain(`127.0.0.1:${port}`);
  });
});

describe('OCI image layout import (oci:DIR:TAG)', () => {
  it('imports the umoci layout and records it under its oci: key', async () => {
    const img = await pullImage(`oci:${images.layout}:latest`, store);
    expect(img.reference).toBe(`oci:${images.layout}:latest`);
    expect(img.digest).toBe(images.tags.latest!.digest);
    const again = await loadImage(`oci:${images.layout}:latest`, store);
    expect(again?.digest).toBe(img.digest);
  });

  it('applies the platform rule to an index in the layout', async () => {
    const img = await pullImage(`oci:${images.layout}:multi`, store, { acceptPlatforms: ['wasip1/wasm'] });
    expect(img.digest).toBe(images.tags.latest!.digest);
  });

  it('an unknown tag is NOT_FOUND listing the tags; a layout with several images needs a tag', async () => {
    const r = await failure(pullImage(`oci:${images.layout}:nope`, store));
    expect(r.code).toBe('NOT_FOUND');
    expect(r.message).toContain('latest');
    const r2 = await failure(pullImage(`oci:${images.layout}`, store));
    expect(r2.code).toBe('INVALID_ARGUMENT');
    const r3 = await failure(pullImage(`oci:${images.layout}/nonexistent:latest`, store));
    expect(r3.code).toBe('NOT_FOUND');
    expect(await filesUnder(root, 'images')).toEqual([]);
  });

  it('the bytes imported are the bytes skopeo pushed', async () => {
    const img = await pullImage(`oci:${images.layout}:wasm`, store);
    const mod = await store.get(img.manifest.layers[0]!.digest);
    expect(`sha256:${createHash('sha256').update(mod).digest('hex')}`).toBe(images.helloModuleDigest);
  });
});
