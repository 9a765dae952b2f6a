/**
 * vitest globalSetup of @magikrun/core: builds the test images with clang-16, umoci and skopeo
 * (tools/images), starts Debian's docker-registry on 127.0.0.1 (tools/registry), pushes the images,
 * and provides the addresses to the tests through `inject('images')`.
 *
 * Missing tools fail the run with the apt-get line that installs them; nothing is skipped.
 */
import type { TestProject } from 'vitest/node';
// @ts-expect-error -- plain ESM tooling without type declarations
import { setupTestRegistry } from '../../../tools/images/test-registry.mjs';
import type { TestImages } from './support/images.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { images, stop } = (await setupTestRegistry('magikrun-core-test-images-')) as { images: TestImages; stop: () => Promise<void> };
  project.provide('images', images);
  return stop;
}
