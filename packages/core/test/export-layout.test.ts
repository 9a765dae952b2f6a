/**
 * exportImage writes OCI layouts that skopeo and umoci (tools we did not write) read back.
 */
import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportImage } from '../src/image/export-layout.js';
import { pullImage } from '../src/image/pull.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { expectCode } from '../src/testing/expect-error.js';
import { testImages } from './support/images.js';
import { tempStore } from './support/store.js';

const images = testImages();
const linux = images.tags.linux!;
let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
let out: string;

beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
  out = path.join(path.dirname(root), 'export');
});
afterEach(async () => {
  await cleanup();
});

const inspect = (ref: string) => JSON.parse(execFileSync('skopeo', ['inspect', '--raw', ref], { encoding: 'utf8' })) as { layers: { digest: string }[] };
const inspectDigest = (ref: string) => (JSON.parse(execFileSync('skopeo', ['inspect', ref], { encoding: 'utf8' })) as { Digest: string }).Digest;

describe('exportImage', () => {
  it('writes an OCI layout that skopeo inspects and umoci unpacks, and adds tags to an existing layout', async () => {
    const src = `oci:${images.layout}:linux`;
    await pullImage(src, store);
    const res = await exportImage(src, store, `oci:${out}:v1`);
    expect(res).toMatchObject({ destination: `oci:${out}:v1`, digest: linux.digest, written: 3 });
    expect(inspectDigest(`oci:${out}:v1`)).toBe(linux.digest);
    expect(inspect(`oci:${out}:v1`).layers.map((l) => l.digest)).toEqual(linux.layers);

    const bundle = path.join(path.dirname(root), 'bundle');
    execFileSync('umoci', ['unpack', ...(process.geteuid?.() === 0 ? [] : ['--rootless']), '--image', `${out}:v1`, bundle], { stdio: 'ignore' });
    expect(await readFile(path.join(bundle, 'rootfs', 'etc', 'image-variant'), 'utf8')).toBe('linux\n');

    // a second tag in the same layout: blobs are not rewritten, both tags resolve
    const again = await exportImage(src, store, `oci:${out}:v2`);
    expect(again.written).toBe(0);
    expect(inspectDigest(`oci:${out}:v1`)).toBe(linux.digest);
    expect(inspectDigest(`oci:${out}:v2`)).toBe(linux.digest);
    // round trip: import what we wrote
    const back = await pullImage(`oci:${out}:v2`, store);
    expect(back.digest).toBe(linux.digest);
  });

  it('refuses an image that is not stored, a non-layout directory, and never exports a corrupt blob', async () => {
    await expectCode(exportImage('example.com/none:v1', store, `oci:${out}:v1`), 'NOT_FOUND');
    const other = path.join(path.dirname(root), 'other');
    await mkdir(other);
    await writeFile(path.join(other, 'file.txt'), 'mine');
    const src = `oci:${images.layout}:linux`;
    await pullImage(src, store);
    await expectCode(exportImage(src, store, `oci:${other}:v1`), 'INVALID_ARGUMENT');

    const layer = store.pathFor(linux.layers[0]!);
    await chmod(layer, 0o600);
    const bytes = await readFile(layer);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(layer, bytes);
    await expectCode(exportImage(src, store, `oci:${out}:v1`), 'DIGEST_MISMATCH');
    const blobs = await readdir(path.join(out, 'blobs', 'sha256'));
    expect(blobs).not.toContain(linux.layers[0]!.slice(7));
    expect(blobs.filter((b) => b.startsWith('.tmp'))).toEqual([]);
    expect(await readdir(out)).not.toContain('index.json');
  });
});
