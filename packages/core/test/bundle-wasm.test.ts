/**
 * BundleBuilder on images pulled from docker-registry (built by clang-16/umoci, pushed by skopeo).
 * The bundles are run with node:wasi as an independent WASI implementation, and our unpack is
 * compared with `umoci unpack`.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WASI } from 'node:wasi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WasmBundle } from '../src/runtime/bundle.js';
import { BundleBuilder } from '../src/bundle-builder/bundle-builder.js';
import { imageBundleKind } from '../src/bundle-builder/bundle-kind.js';
import { unpackImage } from '../src/rootfs/unpack-image.js';
import { MAX_LAYER_SIZE, MAX_ROOTFS_SIZE } from '../src/constants.js';
import { pullImage } from '../src/image/pull.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { testImages } from './support/images.js';
import { tempStore } from './support/store.js';
import { failure } from './support/outcome.js';

const images = testImages();
let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
let scratch: string;

beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
  scratch = await mkdtemp(path.join(tmpdir(), 'magikrun-bundle-test-'));
});
afterEach(async () => {
  await cleanup();
  await rm(scratch, { recursive: true, force: true });
});

/** Run a bundle with node:wasi (preview 1), stdout/stderr to files. */
async function runWithNodeWasi(bundle: WasmBundle): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = path.join(scratch, `stdout-${Math.random()}`);
  const errFile = path.join(scratch, `stderr-${Math.random()}`);
  const stdout = openSync(out, 'w');
  const stderr = openSync(errFile, 'w');
  try {
    const wasi = new WASI({
      version: 'preview1',
      args: bundle.args,
      env: Object.fromEntries(bundle.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      preopens: Object.fromEntries(bundle.preopens.map((p) => [p.guestPath, p.hostPath])),
      stdout,
      stderr,
      returnOnExit: true,
    });
    // lib ES2023 has no WebAssembly values (no DOM lib); reach the runtime's own object.
    const wa = (globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<object>; instantiate(m: object, i: object): Promise<object> } }).WebAssembly;
    const module = await wa.compile(await readFile(bundle.module));
    const instance = await wa.instantiate(module, wasi.getImportObject());
    const code = wasi.start(instance as Parameters<typeof wasi.start>[0]);
    return { code, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(errFile, 'utf8') };
  } finally {
    closeSync(stdout);
    closeSync(stderr);
  }
}

describe('wasm bundle from a tar layer holding the entrypoint module', () => {
  it('builds the bundle: module, read-only image root at /, docker run argv and env, user volume', async () => {
    const image = await pullImage(images.refs.hello, store);
    expect(imageBundleKind(image)).toBe('wasm');
    const data = path.join(scratch, 'data');
    await mkdir(data);
    await writeFile(path.join(data, 'msg.txt'), 'from a mapped directory');
    const bundle = await new BundleBuilder().image(image).storage(store).build({
      id: 'hello-1',
      args: ['x', 'y'],
      env: ['HELLO_EXIT=3', 'HELLO_FILE=/data/msg.txt'],
      volumes: [{ hostPath: data, guestPath: '/data', readonly: true }],
    });
    expect(bundle.path).toBe(path.join(root, 'bundles', 'hello-1'));
    expect((await stat(bundle.path)).mode & 0o777).toBe(0o700);
    expect(bundle.moduleDigest).toBe(images.helloModuleDigest);
    expect(bundle.args).toEqual(['/hello.wasm', 'x', 'y']);
    expect(bundle.env).toEqual(['GREETING=hello from magikrun', 'HELLO_FILE=/data/msg.txt', 'HELLO_EXIT=3']);
    expect(bundle.cwd).toBe('/');
    expect(bundle.preopens).toEqual([
      { hostPath: path.join(bundle.path, 'rootfs'), guestPath: '/', readonly: true },
      { hostPath: data, guestPath: '/data', readonly: true },
    ]);
    expect(JSON.parse(await readFile(path.join(bundle.path, 'wasi.json'), 'utf8'))).toEqual(bundle);
    expect(await readFile(path.join(bundle.path, 'rootfs/share/hello/message.txt'), 'utf8')).toContain("image's own root filesystem");
    expect(bundle.annotations?.['io.magikrun.image.digest']).toBe(image.digest);
    // Nothing left over beside it.
    expect(await readdir(path.join(root, 'bundles'))).toEqual(['hello-1']);

    const run = await runWithNodeWasi(bundle);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain('argv[0]=/hello.wasm\nargv[1]=x\nargv[2]=y\n');
    expect(run.stdout).toContain('GREETING=hello from magikrun');
    expect(run.stdout).toContain('file /data/msg.txt: from a mapped directory');
    expect(run.stderr).toBe('hello-wasi: this line goes to stderr\n');
  });

  it('the module reads its own files from the image root (default Cmd and Env)', async () => {
    const image = await pullImage(`oci:${images.layout}:latest`, store);
    const bundle = await new BundleBuilder().image(image).storage(store).build();
    expect(bundle.args).toEqual(['/hello.wasm', 'world']);
    const run = await runWithNodeWasi(bundle);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("file /share/hello/message.txt: this file was read from the image's own root filesystem");
  });

  it('--entrypoint replaces Entrypoint and clears Cmd; a missing entrypoint is NOT_FOUND and leaves nothing', async () => {
    const image = await pullImage(images.refs.hello, store);
    const b = await new BundleBuilder().image(image).storage(store).build({ entrypoint: '/hello.wasm' });
    expect(b.args).toEqual(['/hello.wasm']);
    const r = await failure(new BundleBuilder().image(image).storage(store).build({ id: 'missing', entrypoint: '/nope.wasm' }));
    expect(r.code).toBe('NOT_FOUND');
    expect(r.message).toContain('/nope.wasm');
    expect((await readdir(path.join(root, 'bundles'))).filter((n) => n !== b.path.split('/').pop())).toEqual([]);
  });

  it('a module over MAX_WASM_MODULE_SIZE is LIMIT_EXCEEDED and leaves nothing', async () => {
    const image = await pullImage(images.refs.hello, store);
    const r = await failure(new BundleBuilder({ limits: { maxWasmModuleSize: 1000 } }).image(image).storage(store).build({ id: 'big' }));
    expect(r.code).toBe('LIMIT_EXCEEDED');
    expect(await readdir(path.join(root, 'bundles'))).toEqual([]);
  });

  it('an id that is taken is ALREADY_EXISTS; a bad id is INVALID_ARGUMENT', async () => {
    const image = await pullImage(images.refs.hello, store);
    await new BundleBuilder().image(image).storage(store).build({ id: 'same' });
    expect((await failure(new BundleBuilder().image(image).storage(store).build({ id: 'same' }))).code).toBe('ALREADY_EXISTS');
    expect((await failure(new BundleBuilder().image(image).storage(store).build({ id: '../escape' }))).code).toBe('INVALID_ARGUMENT');
    expect(await readdir(path.join(root, 'bundles'))).toEqual(['same']);
  });
});

describe('wasm bundle from a layer that is the module', () => {
  it.each([
    ['application/wasm', () => images.refs.wasm],
    ['application/vnd.wasm.content.layer.v1+wasm', () => images.refs.wasmContent],
  ])('%s', async (_mt, ref) => {
    const image = await pullImage(ref(), store);
    expect(imageBundleKind(image)).toBe('wasm');
    const bundle = await new BundleBuilder().image(image).storage(store).build({ args: ['a'] });
    expect(bundle.moduleDigest).toBe(images.helloModuleDigest);
    expect(bundle.args).toEqual(['/hello.wasm', 'a']);
    expect(bundle.preopens).toEqual([]);
    const run = await runWithNodeWasi(bundle);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('GREETING=hello from a wasm layer');
    expect(run.stdout).toContain('argv[1]=a');
  });

  it('a user volume at / is allowed here (no image root to keep)', async () => {
    const image = await pullImage(images.refs.wasm, store);
    const bundle = await new BundleBuilder().image(image).storage(store).build({ volumes: [{ hostPath: scratch, guestPath: '/' }] });
    expect(bundle.preopens).toEqual([{ hostPath: scratch, guestPath: '/', readonly: false }]);
  });

  it('a module over MAX_WASM_MODULE_SIZE is LIMIT_EXCEEDED', async () => {
    const image = await pullImage(images.refs.wasm, store);
    expect((await failure(new BundleBuilder({ limits: { maxWasmModuleSize: 1000 } }).image(image).storage(store).build())).code).toBe('LIMIT_EXCEEDED');
  });
});

describe('refusals', () => {
  it('a WASI preview 2 component is UNSUPPORTED and leaves nothing', async () => {
    const image = await pullImage(images.refs.component, store);
    const r = await failure(new BundleBuilder().image(image).storage(store).build());
    expect(r.code).toBe('UNSUPPORTED');
    expect(r.message).toMatch(/component \(WASI preview 2\)/);
    expect(await readdir(path.join(root, 'bundles'))).toEqual([]);
  });

  it('an image whose layer is not wasm is INVALID_ARGUMENT "image has no WebAssembly module"', async () => {
    const image = await pullImage(images.refs.linux, store);
    expect(imageBundleKind(image)).toBe('oci');
    const r = await failure(new BundleBuilder().image(image).storage(store).build());
    expect(r.code).toBe('INVALID_ARGUMENT');
    expect(r.message).toContain('image has no WebAssembly module: the entrypoint /bin/hello.sh');
    expect(await readdir(path.join(root, 'bundles'))).toEqual([]);
  });

  it('an unknown bundle kind is INVALID_ARGUMENT', async () => {
    const image = await pullImage(images.refs.linux, store);
    expect((await failure(new BundleBuilder().image(image).storage(store).build({ kind: 'vm' as 'oci' }))).code).toBe('INVALID_ARGUMENT');
  });
});

describe('our unpack vs umoci unpack', () => {
  async function tree(dir: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const e of await readdir(dir, { recursive: true })) {
      const p = path.join(dir, e);
      const st = await lstat(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out[e] = `link ${await readlink(p)}`;
      else if (st.isDirectory()) out[e] = `dir`;
      else out[e] = `file ${mode} ${(await readFile(p)).toString('base64')}`;
    }
    return out;
  }

  it('gives the same tree for the linux test image', async () => {
    const image = await pullImage(`oci:${images.layout}:linux`, store);
    const ours = path.join(scratch, 'ours');
    await unpackImage(store, image.manifest.layers, image.config.diffIds, ours, { maxLayerSize: MAX_LAYER_SIZE, maxRootfsSize: MAX_ROOTFS_SIZE });
    const theirs = path.join(scratch, 'umoci');
    execFileSync('umoci', ['unpack', ...(process.getuid?.() === 0 ? [] : ['--rootless']), '--image', `${images.layout}:linux`, theirs], { stdio: 'ignore' });
    const a = await tree(ours);
    const b = await tree(path.join(theirs, 'rootfs'));
    expect(Object.keys(a).length).toBeGreaterThan(2);
    expect(a).toEqual(b);
  });
});
