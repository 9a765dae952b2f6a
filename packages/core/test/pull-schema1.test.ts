/**
 * Docker schema 1: skopeo pushes the linux test image with `--format v2s1` (signed, prettyjws) to a
 * docker-registry that accepts schema 1; pullImage refuses it as UNSUPPORTED and stores nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isMagikrunError } from '../src/errors.js';
import { pullImage } from '../src/image/pull.js';
// @ts-expect-error -- plain ESM tooling without type declarations
import { startRegistry } from '../../../tools/registry/registry.mjs';
// @ts-expect-error -- plain ESM tooling without type declarations
import { pushAsync } from '../../../tools/images/test-images.mjs';
import { testImages } from './support/images.js';
import { filesUnder, tempStore } from './support/store.js';

const images = testImages();
let registry: { host: string; stop(): Promise<void> };
let ref: string;

beforeAll(async () => {
  registry = await startRegistry({ schema1: true });
  ref = await pushAsync(images.layout, 'linux', registry.host, 'old/schema1:v1', ['--format', 'v2s1']);
});
afterAll(async () => {
  await registry?.stop();
});

it('the registry really serves schema 1, and the pull refuses it as UNSUPPORTED', async () => {
  const res = await fetch(`http://${ref.replace(/\/old\/schema1:v1$/, '')}/v2/old/schema1/manifests/v1`);
  await res.arrayBuffer();
  expect(res.headers.get('content-type')).toBe('application/vnd.docker.distribution.manifest.v1+prettyjws');
  const { store, root, cleanup } = await tempStore();
  try {
    let caught: unknown;
    try {
      await pullImage(ref, store);
    } catch (e) {
      caught = e;
    }
    expect(isMagikrunError(caught)).toBe(true);
    expect((caught as { code: string }).code).toBe('UNSUPPORTED');
    expect((caught as Error).message).toMatch(/schema 1 is deprecated/);
    expect(await filesUnder(root, 'blobs')).toEqual([]);
    expect(await filesUnder(root, 'images')).toEqual([]);
  } finally {
    await cleanup();
  }
});
