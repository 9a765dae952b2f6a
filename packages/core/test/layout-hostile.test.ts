/**
 * Hostile OCI image layouts (`oci:DIR[:TAG]`): symlinks to /dev/zero, FIFOs, directories and
 * wrong-sized files where blobs, `index.json` or `oci-layout` should be. Each must fail promptly with a
 * typed error and leave nothing unverified in the store and no index entry. Plus `oci:DIR@sha256:HEX`.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REF_NAME_ANNOTATION } from '../src/image/layout-fetcher.js';
import { LocalImageIndex } from '../src/image/local-index.js';
import { MediaType } from '../src/image/media-types.js';
import { pullImage } from '../src/image/pull.js';
import { parseLayoutReference } from '../src/image/source.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { expectCode } from '../src/testing/expect-error.js';
import { filesUnder, tempStore } from './support/store.js';
import { writeTar } from './support/tar.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Layout {
  dir: string;
  manifest: { digest: string; size: number };
  config: { digest: string; size: number };
  layer: { digest: string; size: number };
  blob(digest: string): string;
}

/** A one-layer OCI layout written by hand (tagged `v1`), as umoci or skopeo would write it. */
async function makeLayout(parent: string): Promise<Layout> {
  const dir = path.join(parent, 'layout');
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const tarFile = path.join(parent, 'layer.tar');
  await writeTar(tarFile, [{ name: 'hello.txt', data: 'hello\n' }]);
  const tarBytes = await readFile(tarFile);
  const layer = gzipSync(tarBytes);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha(tarBytes)] } }));
  const d = (mediaType: string, b: Buffer) => ({ mediaType, digest: sha(b), size: b.length });
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: d(MediaType.OciConfig, config), layers: [d(MediaType.OciLayerTarGzip, layer)] }),
  );
  for (const b of [layer, config, manifest]) await writeFile(path.join(blobs, sha(b).slice(7)), b);
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const entry = { ...d(MediaType.OciManifest, manifest), annotations: { [REF_NAME_ANNOTATION]: 'v1' } };
  await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [entry] }));
  return {
    dir,
    manifest: { digest: sha(manifest), size: manifest.length },
    config: { digest: sha(config), size: config.length },
    layer: { digest: sha(layer), size: layer.length },
    blob: (digest) => path.join(blobs, digest.slice(7)),
  };
}

let parent: string;
let layout: Layout;
let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'magikrun-layout-hostile-'));
  layout = await makeLayout(parent);
  ({ store, root, cleanup } = await tempStore());
});
afterEach(async () => {
  await cleanup();
  await rm(parent, { recursive: true, force: true });
});

/**
 * Nothing unverified stayed: no index entry, every stored blob hashes to its name, and no ingest data
 * at all (a source refused before its first byte leaves nothing to resume).
 */
async function expectNothingLeft(): Promise<void> {
  expect((await filesUnder(root, 'ingest')).filter((f) => f.endsWith('data'))).toEqual([]);
  expect(await new LocalImageIndex(root).list()).toEqual([]);
  for (const f of await filesUnder(root, 'blobs')) {
    const bytes = await readFile(path.join(root, 'blobs', f));
    expect(sha(bytes)).toBe(`sha256:${path.basename(f)}`);
  }
}

const pull = (ref = `oci:${layout.dir}:v1`, limits?: { maxManifestSize: number }) => pullImage(ref, store, limits ? { limits } : {});

async function replace(file: string, by: 'dev-zero' | 'fifo' | 'directory'): Promise<void> {
  await rm(file, { force: true });
  if (by === 'dev-zero') await symlink('/dev/zero', file);
  else if (by === 'fifo') execFileSync('mkfifo', [file]);
  else await mkdir(file);
}

describe('an OCI layout with hostile files', () => {
  it('pulls the intact layout (the fixture is sound)', async () => {
    const image = await pull();
    expect(image.digest).toBe(layout.manifest.digest);
    expect(await store.has(layout.layer.digest)).toBe(true);
  });

  for (const which of ['layer', 'config', 'manifest'] as const) {
    it(`refuses a ${which} blob that is a symlink to /dev/zero`, async () => {
      await replace(layout.blob(layout[which].digest), 'dev-zero');
      const e = await expectCode(pull(), 'INVALID_ARGUMENT');
      expect(e.message).toMatch(/symbolic link/);
      expect(e.message).toContain(layout.blob(layout[which].digest));
      await expectNothingLeft();
    });

    it(`refuses a ${which} blob that is a FIFO without blocking`, async () => {
      await replace(layout.blob(layout[which].digest), 'fifo');
      const e = await expectCode(pull(), 'INVALID_ARGUMENT');
      expect(e.message).toMatch(/FIFO/);
      await expectNothingLeft();
    });

    it(`refuses a ${which} blob that is a directory, naming the path`, async () => {
      await replace(layout.blob(layout[which].digest), 'directory');
      const e = await expectCode(pull(), 'INVALID_ARGUMENT');
      expect(e.message).toMatch(/directory, not a regular file/);
      expect(e.details['path']).toBe(layout.blob(layout[which].digest));
      await expectNothingLeft();
    });

    it(`refuses a ${which} blob with more bytes than its descriptor says`, async () => {
      await appendFile(layout.blob(layout[which].digest), 'x'.repeat(1000));
      const e = await expectCode(pull(), 'DIGEST_MISMATCH');
      expect(e.message).toMatch(/descriptor says/);
      await expectNothingLeft();
    });

    it(`refuses a ${which} blob with fewer bytes than its descriptor says`, async () => {
      await truncate(layout.blob(layout[which].digest), layout[which].size - 1);
      const e = await expectCode(pull(), 'DIGEST_MISMATCH');
      expect(e.message).toMatch(/descriptor says/);
      await expectNothingLeft();
    });
  }

  it('refuses a symlinked blob even when it points at a regular file inside the layout', async () => {
    const file = layout.blob(layout.layer.digest);
    const moved = path.join(layout.dir, 'moved');
    await writeFile(moved, await readFile(file));
    await rm(file);
    await symlink(moved, file);
    await expectCode(pull(), 'INVALID_ARGUMENT');
    await expectNothingLeft();
  });

  it('refuses blobs/sha256 that is a symlink to a directory outside the layout', async () => {
    const outside = path.join(parent, 'elsewhere');
    const blobs = path.join(layout.dir, 'blobs', 'sha256');
    execFileSync('mv', [blobs, outside]);
    await symlink(outside, blobs);
    const e = await expectCode(pull(), 'INVALID_ARGUMENT');
    expect(e.message).toMatch(/not a directory/);
    await expectNothingLeft();
  });

  for (const name of ['index.json', 'oci-layout']) {
    for (const by of ['dev-zero', 'fifo', 'directory'] as const) {
      it(`refuses ${name} that is ${by === 'dev-zero' ? 'a symlink to /dev/zero' : `a ${by}`}`, async () => {
        await replace(path.join(layout.dir, name), by);
        const e = await expectCode(pull(), 'INVALID_ARGUMENT');
        expect(e.message).toContain(name);
        await expectNothingLeft();
      });
    }
  }

  it('refuses an index.json above the manifest limit before parsing it', async () => {
    await writeFile(path.join(layout.dir, 'index.json'), ' '.repeat(70_000));
    const e = await expectCode(pull(undefined, { maxManifestSize: 65_536 }), 'LIMIT_EXCEEDED');
    expect(e.message).toMatch(/index\.json/);
    await expectNothingLeft();
  });

  it('refuses an oci-layout file above 4 KiB', async () => {
    await writeFile(path.join(layout.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0', pad: 'x'.repeat(5000) }));
    const e = await expectCode(pull(), 'LIMIT_EXCEEDED');
    expect(e.message).toMatch(/oci-layout/);
    await expectNothingLeft();
  });
});

describe('oci:DIR@sha256:HEX', () => {
  it('parses the digest form (and skopeo-slot form DIR:@DIGEST) to one canonical key', () => {
    const d = `sha256:${'a'.repeat(64)}`;
    expect(parseLayoutReference(`oci:/tmp/img@${d}`)).toMatchObject({ dir: '/tmp/img', tag: undefined, digest: d, canonical: `oci:/tmp/img@${d}` });
    expect(parseLayoutReference(`oci:/tmp/img:@${d}`)).toMatchObject({ dir: '/tmp/img', digest: d, canonical: `oci:/tmp/img@${d}` });
    expect(parseLayoutReference('oci:/tmp/a@b:c')).toMatchObject({ dir: '/tmp/a@b', tag: 'c' });
    expect(() => parseLayoutReference(`oci:/tmp/img:v1@${d}`)).toThrow(/both a tag and a digest/);
    expect(() => parseLayoutReference('oci:/tmp/img@sha256:abc')).toThrow(/malformed digest/);
  });

  it('pulls the manifest selected by digest', async () => {
    const ref = `oci:${layout.dir}@${layout.manifest.digest}`;
    const image = await pull(ref);
    expect(image.digest).toBe(layout.manifest.digest);
    expect(image.reference).toBe(ref);
    expect((await new LocalImageIndex(root).list()).map((e) => e.reference)).toEqual([ref]);
  });

  it('reports NOT_FOUND for a digest the layout does not hold, storing nothing', async () => {
    const e = await expectCode(pull(`oci:${layout.dir}@sha256:${'0'.repeat(64)}`), 'NOT_FOUND');
    expect(e.message).toMatch(/no manifest sha256:0+/);
    await expectNothingLeft();
  });

  it('refuses a blob that is not a manifest named by digest (verified, then rejected as a document)', async () => {
    await expectCode(pull(`oci:${layout.dir}@${layout.layer.digest}`), 'INVALID_ARGUMENT');
    await expectNothingLeft();
  });
});
