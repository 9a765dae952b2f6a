/**
 * One call for a vitest globalSetup: build the test images (clang-16, umoci), start Debian's
 * docker-registry on 127.0.0.1, push them with skopeo. Missing tools fail with the apt-get line.
 *
 *   const { images, stop } = await setupTestRegistry('magikrun-cli-test-')
 *   project.provide('images', images); return stop;
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistry } from '../registry/registry.mjs';
import { buildTestImages, pushTestImages, requireTools } from './test-images.mjs';

/** @returns {Promise<{ images: object, stop: () => Promise<void> }>} */
export async function setupTestRegistry(prefix) {
  requireTools();
  const work = mkdtempSync(join(tmpdir(), prefix));
  const built = buildTestImages(work);
  const registry = await startRegistry();
  const stop = async () => {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const refs = pushTestImages(built, registry.host);
    const images = {
      registry: { host: registry.host, storageDir: registry.storageDir },
      layout: built.layout,
      helloModuleDigest: built.helloModuleDigest,
      tags: built.tags,
      refs,
    };
    return { images, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
