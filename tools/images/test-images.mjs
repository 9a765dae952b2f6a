/**
 * The test image set, built once per test run and pushed to a local docker-registry.
 *
 *   import { buildTestImages, pushTestImages } from '../../tools/images/test-images.mjs'
 *   const images = buildTestImages(workDir)            // OCI layout at images.layout, tags below
 *   const refs = pushTestImages(images, '127.0.0.1:PORT')
 *
 * Tags in the layout (what builds them):
 *   latest        hello.c → clang-16 → umoci: tar+gzip layer with /hello.wasm, os wasip1 / arch wasm
 *   linux         umoci: linux/<host arch> image whose entrypoint /bin/hello.sh is a shell script
 *   busybox       umoci: Debian's busybox-static, users root/app(1000)/nobody, a device node, Cmd sh
 *   multi         index over latest + linux (assembled by make-index.mjs; no installed tool makes one)
 *   wasm          single layer application/wasm = the hello module (hand-written, Debian has no oras)
 *   wasm-content  same with application/vnd.wasm.content.layer.v1+wasm
 *   component     application/wasm layer holding a WASI preview 2 component header (refused by magikrun)
 *   tamper        application/wasm layer with a unique module (tests corrupt it in registry storage)
 *   tamper-manifest  like tamper, unique manifest (tests corrupt the manifest in registry storage)
 *   two-layers    two application/wasm layers (for MAX_LAYERS)
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileHello } from './build-wasm-layer-layout.mjs';
import { findTag, initLayout, MT, readBlob, sha256, tagDescriptor, writeBlob, writeWasmLayerImage } from './layout.mjs';
import { makeIndex } from './make-index.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Tools the test images need, with the Debian packages that provide them. */
export const REQUIRED_TOOLS = {
  busybox: 'busybox-static',
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  umoci: 'umoci',
  'clang-16': 'clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32',
  htpasswd: 'apache2-utils',
  openssl: 'openssl',
};

/** Throw one error naming every missing tool and the apt-get line that installs it. */
export function requireTools(tools = ['docker-registry', 'skopeo', 'umoci', 'clang-16']) {
  const missing = tools.filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => REQUIRED_TOOLS[t] ?? t))].join(' ');
    throw new Error(`the registry tests need ${missing.join(', ')}, which are not installed: apt-get install ${pkgs}`);
  }
}

/** A minimal WASI preview 2 component: the magic and component-model version 0x0d, layer 1. */
export const COMPONENT_HEADER = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]);

/** Append a custom section (id 0) named `name` to a module, to make its bytes unique but still valid. */
export function withCustomSection(module, name) {
  const n = Buffer.from(name, 'utf8');
  const payload = Buffer.concat([Buffer.from([n.length]), n]);
  return Buffer.concat([module, Buffer.from([0x00, payload.length]), payload]);
}

function manifestOf(layout, tag) {
  const d = findTag(layout, tag);
  return { descriptor: d, manifest: JSON.parse(readBlob(layout, d.digest).toString('utf8')) };
}

/**
 * Build every test image into one OCI layout `<workDir>/layout`.
 * @returns {{ layout: string, helloModule: Buffer, helloModuleDigest: string, tags: Record<string, { digest: string, layers: string[] }> }}
 */
export function buildTestImages(workDir) {
  requireTools(['umoci', 'clang-16', 'busybox']);
  const layout = join(workDir, 'layout');
  const run = (script, args) => execFileSync(join(here, script), args, { stdio: ['ignore', 'ignore', 'inherit'] });
  run('build-hello-layout.sh', [layout, 'latest']);
  run('build-linux-layout.sh', [layout, 'linux']);
  run('build-busybox-layout.sh', [layout, 'busybox']);
  makeIndex(layout, 'multi', ['latest', 'linux']);
  const hello = compileHello();
  initLayout(layout);
  const base = { entrypoint: ['/hello.wasm'], cmd: ['world'], env: ['GREETING=hello from a wasm layer'] };
  writeWasmLayerImage(layout, hello, { ...base, tag: 'wasm', layerMediaType: MT.wasm });
  writeWasmLayerImage(layout, hello, { ...base, tag: 'wasm-content', layerMediaType: MT.wasmLayer });
  writeWasmLayerImage(layout, COMPONENT_HEADER, { ...base, tag: 'component', os: 'wasip2' });
  writeWasmLayerImage(layout, withCustomSection(hello, `magikrun-tamper-${process.pid}-${Date.now()}`), { ...base, tag: 'tamper' });
  writeWasmLayerImage(layout, withCustomSection(hello, `magikrun-tamper-manifest-${process.pid}-${Date.now()}`), {
    ...base,
    tag: 'tamper-manifest',
    env: ['GREETING=aaaaaaaa'],
  });
  // Two layers: the hello module and a second, distinct module.
  const second = writeBlob(layout, MT.wasm, withCustomSection(hello, 'magikrun-second-layer'));
  const first = writeBlob(layout, MT.wasm, hello);
  const cfg = writeBlob(layout, MT.ociConfig, {
    architecture: 'wasm',
    os: 'wasip1',
    config: { Entrypoint: ['/hello.wasm'] },
    rootfs: { type: 'layers', diff_ids: [first.digest, second.digest] },
  });
  const two = writeBlob(layout, MT.ociManifest, { schemaVersion: 2, mediaType: MT.ociManifest, config: cfg, layers: [first, second] });
  tagDescriptor(layout, two, 'two-layers');

  const tags = {};
  for (const tag of ['latest', 'linux', 'busybox', 'multi', 'wasm', 'wasm-content', 'component', 'tamper', 'tamper-manifest', 'two-layers']) {
    const { descriptor, manifest } = manifestOf(layout, tag);
    tags[tag] = { digest: descriptor.digest, layers: (manifest.layers ?? []).map((l) => l.digest), config: manifest.config?.digest };
  }
  return { layout, helloModule: hello, helloModuleDigest: sha256(hello), tags };
}

/** skopeo copy oci:LAYOUT:TAG docker://HOST/NAME:DEST_TAG (plain HTTP), through push.sh. */
export function push(layout, tag, host, name, flags = [], creds) {
  const args = [`oci:${layout}:${tag}`, `${host}/${name}`, ...flags];
  if (creds) args.push('--dest-creds', creds);
  execFileSync(join(here, 'push.sh'), args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return `${host}/${name}`;
}

/**
 * Like {@link push}, without blocking the event loop: use it when this process also serves something
 * skopeo talks to (a token issuer), or the two deadlock.
 */
export async function pushAsync(layout, tag, host, name, flags = [], creds) {
  const args = [`oci:${layout}:${tag}`, `${host}/${name}`, ...flags];
  if (creds) args.push('--dest-creds', creds);
  await promisify(execFile)(join(here, 'push.sh'), args, { timeout: 120_000 });
  return `${host}/${name}`;
}

/**
 * Push the test images to the registry at `host` (127.0.0.1:PORT).
 * @returns references by purpose.
 */
export function pushTestImages(images, host) {
  requireTools(['skopeo']);
  const L = images.layout;
  const keep = ['--preserve-digests'];
  return {
    hello: push(L, 'latest', host, 'hello:latest', keep),
    helloV2s2: push(L, 'latest', host, 'hello:v2s2', ['--format', 'v2s2']),
    multi: push(L, 'multi', host, 'hello:multi', ['--all', ...keep]),
    linux: push(L, 'linux', host, 'linux:latest', keep),
    busybox: push(L, 'busybox', host, 'busybox:latest', keep),
    wasm: push(L, 'wasm', host, 'wasm:app', keep),
    wasmContent: push(L, 'wasm-content', host, 'wasm:content', keep),
    component: push(L, 'component', host, 'component:latest', keep),
    tamper: push(L, 'tamper', host, 'tamper:latest', keep),
    tamperManifest: push(L, 'tamper-manifest', host, 'tamper:manifest', keep),
    twoLayers: push(L, 'two-layers', host, 'two:latest', keep),
  };
}

/** Path of a blob's bytes in docker-registry's filesystem storage. */
export function registryBlobPath(storageDir, digest) {
  const hex = digest.replace(/^sha256:/, '');
  return join(storageDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

/** Read a blob from registry storage (to check what was pushed). */
export function readRegistryBlob(storageDir, digest) {
  return readFileSync(registryBlobPath(storageDir, digest));
}
