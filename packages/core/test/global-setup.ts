/**
 * vitest globalSetup of @magikrun/core: builds the test images with clang-16, umoci and skopeo
 * (tools/images), starts Debian's docker-registry on 127.0.0.1 (tools/registry), pushes the images,
 * and provides the addresses to the tests through `inject('images')`.
 *
 * Missing tools fail the run with the apt-get line that installs them; nothing is skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error -- plain ESM tooling without type declarations
import { startRegistry } from '../../../tools/registry/registry.mjs';
// @ts-expect-error -- plain ESM tooling without type declarations
import { buildTestImages, pushTestImages, requireTools } from '../../../tools/images/test-images.mjs';
import type { TestImages } from './support/images.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  requireTools();
  const work = mkdtempSync(join(tmpdir(), 'magikrun-core-test-images-'));
  const built = buildTestImages(work);
  const registry = await startRegistry();
  try {
    const refs = pushTestImages(built, registry.host);
    const images: TestImages = {
      registry: { host: registry.host, storageDir: registry.storageDir },
      layout: built.layout,
      helloModuleDigest: built.helloModuleDigest,
      tags: built.tags,
      refs,
    };
    project.provide('images', images);
  } catch (e) {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  return async () => {
    await registry.stop();
    rmSync(work, { recursive: true, force: true });
  };
}
