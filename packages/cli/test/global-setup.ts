/**
 * vitest globalSetup of the CLI tests: the test images (clang-16, umoci) pushed by skopeo to Debian's
 * docker-registry on 127.0.0.1, provided as `inject('images')`. Missing tools fail the run.
 */
import type { TestProject } from 'vitest/node';
// @ts-expect-error -- plain ESM tooling without type declarations
import { setupTestRegistry } from '../../../tools/images/test-registry.mjs';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { images, stop } = (await setupTestRegistry('magikrun-cli-test-')) as { images: CliTestImages; stop: () => Promise<void> };
  project.provide('images', images);
  return stop;
}

export interface CliTestImages {
  registry: { host: string; storageDir: string };
  layout: string;
  helloModuleDigest: string;
  refs: { hello: string; helloV2s2: string; multi: string; linux: string; busybox: string; wasm: string; wasmContent: string; component: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    images: CliTestImages;
  }
}
