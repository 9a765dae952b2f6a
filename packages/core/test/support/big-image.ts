/**
 * A test image with multi-MiB layers of random data, hand-written as an OCI layout (uncompressed tar
 * layers made by tar(1)) and pushed to the test registry by skopeo: what the fault, resume and
 * concurrency tests download.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-expect-error -- plain ESM tooling without type declarations
import { initLayout, tagDescriptor, writeBlob } from '../../../../tools/images/layout.mjs';
// @ts-expect-error -- plain ESM tooling without type declarations
import { pushAsync } from '../../../../tools/images/test-images.mjs';

export interface BlobDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface BigImage {
  /** `127.0.0.1:PORT/<name>:latest` in the test registry. */
  ref: string;
  /** Repository and tag, to address the image through a proxy: `<name>:latest`. */
  path: string;
  manifest: BlobDescriptor;
  config: BlobDescriptor;
  /** Largest first. */
  layers: BlobDescriptor[];
}

const TAR = 'application/vnd.oci.image.layer.v1.tar';

/** A tar holding one file of `bytes` random bytes. */
function randomTar(work: string, name: string, bytes: number): Buffer {
  const dir = path.join(work, `src-${name}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, name), randomBytes(bytes));
  const out = path.join(work, `${name}.tar`);
  execFileSync('tar', ['-cf', out, '-C', dir, name]);
  return readFileSync(out);
}

/**
 * Build and push an image named `name` whose layers hold `sizes` bytes of random data each.
 * @param registryHost `127.0.0.1:PORT`
 */
export async function pushBigImage(registryHost: string, name: string, sizes: number[] = [6 * 1024 * 1024, 2 * 1024 * 1024, 512 * 1024]): Promise<BigImage> {
  const work = mkdtempSync(path.join(tmpdir(), 'magikrun-big-image-'));
  try {
    const layout = path.join(work, 'layout');
    initLayout(layout);
    const layers: BlobDescriptor[] = sizes.map((n, i) => writeBlob(layout, TAR, randomTar(work, `layer${i}`, n)));
    const config: BlobDescriptor = writeBlob(layout, 'application/vnd.oci.image.config.v1+json', {
      architecture: 'amd64',
      os: 'linux',
      config: { Entrypoint: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    });
    const manifest: BlobDescriptor = writeBlob(layout, 'application/vnd.oci.image.manifest.v1+json', {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config,
      layers,
    });
    tagDescriptor(layout, manifest, 'latest');
    const ref = (await pushAsync(layout, 'latest', registryHost, `${name}:latest`, ['--preserve-digests'])) as string;
    return { ref, path: `${name}:latest`, manifest, config, layers };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
