/**
 * Images whose Entrypoint or Cmd is `[""]` (what `umoci config --config.entrypoint ''` and
 * `--config.cmd ''` write), for every bundle kind that takes a command. As docker's daemon does
 * (mergeAndVerifyConfig: "Reset the Entrypoint if it is [\"\"]"), an Entrypoint of `[""]` counts as
 * none, so the Cmd alone runs; a command whose program name is empty, or no command at all, is
 * refused with INVALID_ARGUMENT naming the image, before anything is unpacked or left behind.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Bundle } from '../src/runtime/bundle.js';
import { BundleBuilder, type BuildOptions } from '../src/bundle-builder/bundle-builder.js';
import { removeBundle } from '../src/bundle-builder/remove-bundle.js';
import { DEFAULT_ARGV0 } from '../src/bundle-builder/wasm-bundle.js';
import { pullImage } from '../src/image/pull.js';
import { Platform } from '../src/platform/platform.js';
import { canRun } from '../src/platform/require.js';
import { Capability } from '../src/platform/types.js';
import { Snapshotter } from '../src/snapshots/snapshotter.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { testImages } from './support/images.js';
import { failure } from './support/outcome.js';
import { tempStore } from './support/store.js';

const images = testImages();
const platform = await Platform.detect();
// A snapshot bundle mounts its snapshot while it is built (CAP_SYS_ADMIN).
const privileged = canRun(platform, [Capability.Namespaces]) && process.getuid?.() === 0;
let layout: string;
let layoutParent: string;

/** `umoci config --image LAYOUT:from --tag tag ARGS…` */
function derive(from: string, tag: string, args: string[]): string {
  execFileSync('umoci', ['config', '--image', `${layout}:${from}`, '--tag', tag, '--no-history', ...args]);
  return `oci:${layout}:${tag}`;
}

const ref: Record<string, string> = {};

beforeAll(async () => {
  layoutParent = await mkdtemp(path.join(tmpdir(), 'magikrun-core-empty-cmd-'));
  layout = path.join(layoutParent, 'layout');
  await cp(images.layout, layout, { recursive: true });
  // busybox: Entrypoint none, Cmd ["sh"]
  ref['bbCmdEmpty'] = derive('busybox', 'bb-cmd-empty', ['--config.cmd', '']);
  ref['bbEntrypointEmpty'] = derive('busybox', 'bb-ep-empty', ['--config.entrypoint', '', '--config.cmd', 'echo', '--config.cmd', 'from-cmd']);
  ref['bbEntrypointEmptyOnly'] = derive('busybox', 'bb-ep-empty-only', ['--config.entrypoint', '', '--clear', 'config.cmd']);
  ref['bbBothEmpty'] = derive('busybox', 'bb-both-empty', ['--config.entrypoint', '', '--config.cmd', '']);
  // latest: the module is /hello.wasm in a tar layer; Entrypoint ["/hello.wasm"], Cmd ["world"]
  ref['wasmTarCmdEmpty'] = derive('latest', 'tar-cmd-empty', ['--clear', 'config.entrypoint', '--config.cmd', '']);
  ref['wasmTarEntrypointEmpty'] = derive('latest', 'tar-ep-empty', ['--config.entrypoint', '', '--config.cmd', '/hello.wasm', '--config.cmd', 'from-cmd']);
  // wasm: the layer is the module; Entrypoint ["/hello.wasm"], Cmd ["world"]
  ref['wasmLayerCmdEmpty'] = derive('wasm', 'layer-cmd-empty', ['--clear', 'config.entrypoint', '--config.cmd', '']);
  ref['wasmLayerEntrypointEmptyOnly'] = derive('wasm', 'layer-ep-empty-only', ['--config.entrypoint', '', '--clear', 'config.cmd']);
});
afterAll(() => rm(layoutParent, { recursive: true, force: true }));

let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
});
afterEach(() => cleanup());

async function builder(reference: string): Promise<BundleBuilder> {
  return new BundleBuilder().image(await pullImage(reference, store)).storage(store);
}

/** Every kind that takes a command, for a Linux image. */
const LINUX_KINDS: readonly BuildOptions[] = [{ kind: 'oci' }, ...(privileged ? [{ kind: 'oci', rootfs: 'snapshot' } as const] : []), { kind: 'microvm' }];

/** The bundle's argv (config.json's process.args for an OCI bundle); the bundle is removed. */
async function argsOf(b: Bundle): Promise<string[]> {
  const args = b.kind === 'oci' ? (JSON.parse(await readFile(path.join(b.path, 'config.json'), 'utf8')) as { process: { args: string[] } }).process.args : b.args;
  await removeBundle(b);
  return args;
}

/** Bundles and active snapshots left under the root. */
async function bundlesLeft(): Promise<string[]> {
  const bundles = await readdir(path.join(root, 'bundles')).catch(() => [] as string[]);
  const snapshots = (await (await Snapshotter.open({ store, mode: 'copy' })).list()).active.map((s) => `snapshot ${JSON.stringify(s)}`);
  return [...bundles, ...snapshots].sort();
}

describe('an empty program name from the image is refused for every bundle kind', () => {
  it('Cmd [""] (no Entrypoint): INVALID_ARGUMENT naming the image and asking for a command; nothing is left', async () => {
    for (const [reference, kinds] of [
      [ref['bbCmdEmpty']!, LINUX_KINDS],
      [ref['bbBothEmpty']!, LINUX_KINDS],
      [ref['wasmTarCmdEmpty']!, [{ kind: 'wasm' }]],
      [ref['wasmLayerCmdEmpty']!, [{ kind: 'wasm' }]],
    ] as const satisfies readonly (readonly [string, readonly BuildOptions[]])[]) {
      for (const options of kinds) {
        const f = await failure((await builder(reference)).build({ ...options }));
        const what = `${reference} ${JSON.stringify(options)}`;
        expect(f.code, what).toBe('INVALID_ARGUMENT');
        expect(f.message, what).toContain(`image ${reference}`);
        expect(f.message, what).toMatch(/empty/);
        expect(f.message, what).toMatch(/give the command to run/);
        expect(await bundlesLeft(), what).toEqual([]);
      }
    }
  });

  it('an empty first argument given by the caller (no Entrypoint) is refused the same way', async () => {
    for (const options of LINUX_KINDS) {
      const f = await failure((await builder(images.refs.busybox)).build({ ...options, args: ['', 'x'] }));
      expect(f.code).toBe('INVALID_ARGUMENT');
      expect(f.message).toMatch(/give the command to run/);
    }
    expect(await bundlesLeft()).toEqual([]);
  });
});

describe('Entrypoint [""] counts as no Entrypoint, as docker resets it', () => {
  it('the Cmd alone runs; arguments replace it', async () => {
    for (const options of LINUX_KINDS) {
      expect(await argsOf(await (await builder(ref['bbEntrypointEmpty']!)).build({ ...options })), JSON.stringify(options)).toEqual(['echo', 'from-cmd']);
      expect(await argsOf(await (await builder(ref['bbEntrypointEmpty']!)).build({ ...options, args: ['true'] })), JSON.stringify(options)).toEqual(['true']);
    }
    expect(await argsOf(await (await builder(ref['wasmTarEntrypointEmpty']!)).build({ kind: 'wasm' }))).toEqual(['/hello.wasm', 'from-cmd']);
  });

  it('with no Cmd either there is nothing to run (INVALID_ARGUMENT naming the image) unless arguments are given', async () => {
    for (const options of LINUX_KINDS) {
      const f = await failure((await builder(ref['bbEntrypointEmptyOnly']!)).build({ ...options }));
      expect(f.code).toBe('INVALID_ARGUMENT');
      expect(f.message).toContain(`image ${ref['bbEntrypointEmptyOnly']}`);
      expect(f.message).toMatch(/give the command to run/);
      expect(await bundlesLeft()).toEqual([]);
      expect(await argsOf(await (await builder(ref['bbEntrypointEmptyOnly']!)).build({ ...options, args: ['true'] }))).toEqual(['true']);
    }
  });

  it('a module layer with neither runs as before, under the default argv[0]', async () => {
    expect(await argsOf(await (await builder(ref['wasmLayerEntrypointEmptyOnly']!)).build({ kind: 'wasm' }))).toEqual([DEFAULT_ARGV0]);
  });
});
