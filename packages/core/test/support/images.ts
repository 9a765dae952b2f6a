/**
 * What the globalSetup provides: the local registry and the pushed test images.
 */
import { inject } from 'vitest';

export interface TestImages {
  registry: { host: string; storageDir: string };
  /** OCI layout holding every test image (tags as in tools/images/test-images.mjs). */
  layout: string;
  /** sha256 of the clang-built hello module. */
  helloModuleDigest: string;
  /** Per layout tag: manifest digest, layer digests, config digest. */
  tags: Record<string, { digest: string; layers: string[]; config: string | undefined }>;
  /** Pushed references (`127.0.0.1:PORT/name:tag`) by purpose. */
  refs: {
    hello: string;
    helloV2s2: string;
    multi: string;
    linux: string;
    /** Debian busybox-static built by umoci (tools/images/build-busybox-layout.sh). */
    busybox: string;
    wasm: string;
    wasmContent: string;
    component: string;
    tamper: string;
    tamperManifest: string;
    twoLayers: string;
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    images: TestImages;
  }
}

/** The images provided by test/global-setup.ts. */
export function testImages(): TestImages {
  return inject('images');
}
