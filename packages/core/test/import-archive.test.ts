/**
 * Importing `oci-archive:` and `docker-archive:` tar files written by skopeo (from the umoci-built test
 * layout), and refusing hostile archives built by hand.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadImage } from '../src/image/load-image.js';
import { LocalImageIndex } from '../src/image/local-index.js';
import { MediaType } from '../src/image/media-types.js';
import { pullImage } from '../src/image/pull.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { expectCode } from '../src/testing/expect-error.js';
import { testImages } from './support/images.js';
import { tempStore } from './support/store.js';
import { writeTar } from './support/tar.js';

const images = testImages();
const linux = images.tags.linux!;
let work: string;
let ociArchive: string;
let dockerArchive: string;
let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;

const skopeo = (...args: string[]) => execFileSync('skopeo', ['copy', '-q', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });

beforeAll(() => {
  work = execFileSync('mktemp', ['-d', path.join(tmpdir(), 'magikrun-archive-XXXXXX')], { encoding: 'utf8' }).trim();
  ociArchive = path.join(work, 'linux.oci.tar');
  dockerArchive = path.join(work, 'linux.docker.tar');
  skopeo(`oci:${images.layout}:linux`, `oci-archive:${ociArchive}:linux`);
  skopeo(`oci:${images.layout}:linux`, `docker-archive:${dockerArchive}:example.com/linux:v1`);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
});
afterEach(async () => {
  await cleanup();
});

async function leftovers(): Promise<{ leases: string[]; tmp: string[]; ingest: string[] }> {
  const ls = (d: string) => readdir(path.join(root, d)).catch(() => [] as string[]);
  return { leases: await ls('leases'), tmp: await ls('tmp'), ingest: await ls('ingest') };
}

describe('oci-archive', () => {
  it('imports the image skopeo archived, by tag and as the only image, all digests as in the layout', async () => {
    const img = await pullImage(`oci-archive:${ociArchive}:linux`, store);
    expect(img.reference).toBe(`oci-archive:${ociArchive}:linux`);
    expect(img.digest).toBe(linux.digest);
    expect(img.manifest.layers.map((l) => l.digest)).toEqual(linux.layers);
    for (const d of [linux.digest, linux.config!, ...linux.layers]) expect(await store.has(d)).toBe(true);
    expect((await loadImage(`oci-archive:${ociArchive}:linux`, store))?.digest).toBe(linux.digest);
    const only = await pullImage(`oci-archive:${ociArchive}`, store);
    expect(only.digest).toBe(linux.digest);
    expect(await leftovers()).toEqual({ leases: [], tmp: [], ingest: [] });
  });

  it('names the tags when the wanted one is missing', async () => {
    const e = await expectCode(pullImage(`oci-archive:${ociArchive}:nope`, store), 'NOT_FOUND');
    expect(e.message).toContain('linux');
    expect(await new LocalImageIndex(root).list()).toEqual([]);
    expect((await leftovers()).tmp).toEqual([]);
  });
});

describe('docker-archive', () => {
  it('converts a skopeo docker-archive into an OCI image: diff_ids verified, uncompressed layers typed as tar', async () => {
    const ref = `docker-archive:${dockerArchive}:example.com/linux:v1`;
    const img = await pullImage(ref, store);
    expect(img.reference).toBe(`docker-archive:${dockerArchive}:example.com/linux:v1`);
    expect(img.mediaType).toBe(MediaType.OciManifest);
    expect(img.manifest.config.digest).toBe(linux.config);
    expect(img.manifest.layers).toHaveLength(1);
    const layer = img.manifest.layers[0]!;
    expect(layer.mediaType).toBe(MediaType.OciLayerTar);
    // the layer is the uncompressed tar of the layout's gzip layer: its digest is the diff_id
    expect(layer.digest).toBe(img.config.diffIds[0]);
    const gz = await readFile(path.join(images.layout, 'blobs', 'sha256', linux.layers[0]!.slice(7)));
    expect(layer.digest).toBe(`sha256:${createHash('sha256').update(gunzipSync(gz)).digest('hex')}`);
    expect(await store.has(img.digest)).toBe(true);
    expect((await loadImage(ref, store))?.digest).toBe(img.digest);
    // familiar and canonical spellings of the ref, and no ref at all (one image), all resolve
    expect((await pullImage(`docker-archive:${dockerArchive}:example.com/linux:v1`, store)).digest).toBe(img.digest);
    expect((await pullImage(`docker-archive:${dockerArchive}`, store)).digest).toBe(img.digest);
    expect(await leftovers()).toEqual({ leases: [], tmp: [], ingest: [] });
  });

  it('imports a gzip-compressed docker archive (docker save | gzip)', async () => {
    const gz = path.join(work, 'linux.docker.tar.gz');
    writeFileSync(gz, gzipSync(await readFile(dockerArchive)));
    const img = await pullImage(`docker-archive:${gz}`, store);
    expect(img.manifest.config.digest).toBe(linux.config);
  });

  it('refuses an unknown ref with the tags it has', async () => {
    const e = await expectCode(pullImage(`docker-archive:${dockerArchive}:example.com/other:v1`, store), 'NOT_FOUND');
    expect(e.message).toContain('example.com/linux:v1');
  });

  it('refuses a layer whose content does not match the config diff_id, storing nothing', async () => {
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${'a'.repeat(64)}`] } });
    const bad = path.join(work, 'bad-diffid.tar');
    await writeTar(bad, [
      { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: ['x:1'], Layers: ['l.tar'] }]) },
      { name: 'c.json', data: config },
      { name: 'l.tar', data: Buffer.alloc(1024) },
    ]);
    await expectCode(pullImage(`docker-archive:${bad}`, store), 'DIGEST_MISMATCH');
    const blobs: string[] = [];
    for await (const b of store.list()) blobs.push(b.digest);
    expect(blobs).toEqual([]);
    expect(await new LocalImageIndex(root).list()).toEqual([]);
    expect(await leftovers()).toEqual({ leases: [], tmp: [], ingest: [] });
  });
});

describe('hostile archives', () => {
  const cases: [string, Parameters<typeof writeTar>[1], string][] = [
    ['a ".." member', [{ name: '../escape', data: 'x' }], 'PATH_ESCAPE'],
    ['an absolute member', [{ name: '/etc/x', data: 'x' }], 'PATH_ESCAPE'],
    ['a symlink out of the archive', [{ name: 'l', type: 'symlink', linkname: '../../etc/passwd' }], 'PATH_ESCAPE'],
    ['an absolute symlink', [{ name: 'l', type: 'symlink', linkname: '/etc/passwd' }], 'PATH_ESCAPE'],
    ['two members with one name', [{ name: 'a/b', data: '1' }, { name: './a/b', data: '2' }], 'INVALID_ARGUMENT'],
    ['a FIFO', [{ name: 'p', type: 'fifo' }], 'INVALID_ARGUMENT'],
  ];
  for (const [what, members, code] of cases) {
    it(`refuses ${what} (${code}) and leaves nothing`, async () => {
      const file = path.join(work, `hostile-${what.replace(/\W+/g, '-')}.tar`);
      await writeTar(file, [{ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }, ...members]);
      for (const t of ['oci-archive', 'docker-archive']) {
        await expectCode(pullImage(`${t}:${file}`, store), code as 'PATH_ESCAPE');
        expect(await leftovers()).toEqual({ leases: [], tmp: [], ingest: [] });
      }
    });
  }

  it('enforces the layer size limit on members, and reports a missing file or a non-tar', async () => {
    await expectCode(pullImage(`oci-archive:${ociArchive}:linux`, store, { limits: { maxLayerSize: 100 } }), 'LIMIT_EXCEEDED');
    await expectCode(pullImage(`oci-archive:${path.join(work, 'missing.tar')}`, store), 'NOT_FOUND');
    const junk = path.join(work, 'junk.tar');
    writeFileSync(junk, 'this is not a tar archive at all'.repeat(40));
    await expectCode(pullImage(`docker-archive:${junk}`, store), 'INVALID_ARGUMENT');
    expect((await leftovers()).tmp).toEqual([]);
  });
});
