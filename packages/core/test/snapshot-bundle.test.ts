/**
 * BundleBuilder `build({ kind: 'oci', rootfs: 'snapshot' })` on the busybox test image, with real mounts
 * (root): the returned `rootfsMounts`, applied at the bundle's empty `rootfs/` with util-linux's `mount`
 * as a runtime would, assemble the image's tree; config.json's user and working directory were resolved
 * from the image while the snapshot was mounted; `removeBundle` refuses while mounted and afterwards
 * leaves neither snapshot nor mount nor bundle.
 */
import { execFileSync } from 'node:child_process';
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OciBundle, RootfsMount } from '../src/runtime/bundle.js';
import { BundleBuilder } from '../src/bundle-builder/bundle-builder.js';
import { validateOciConfig } from '../src/bundle-builder/oci-config/validate-config.js';
import { removeBundle } from '../src/bundle-builder/remove-bundle.js';
import { SNAPSHOT_ANNOTATION } from '../src/bundle-builder/snapshot-oci-bundle.js';
import type { PulledImage } from '../src/image/types.js';
import { pullImage } from '../src/image/pull.js';
import { Platform } from '../src/platform/platform.js';
import { canRun } from '../src/platform/require.js';
import { Capability } from '../src/platform/types.js';
import { readMountInfo } from '../src/snapshots/mountinfo.js';
import { Snapshotter } from '../src/snapshots/snapshotter.js';
import type { BlobStore } from '../src/storage/blob-store.js';
import { testImages } from './support/images.js';
import { isMagikrunError, type MagikrunError } from '../src/errors.js';
import { failure } from './support/outcome.js';
import { tempStore } from './support/store.js';

const images = testImages();
const platform = await Platform.detect();
// Mounting needs CAP_SYS_ADMIN, which the namespaces capability checks.
const privileged = canRun(platform, [Capability.Namespaces]) && process.getuid?.() === 0;

let store: BlobStore;
let root: string;
let cleanup: () => Promise<void>;
let image: PulledImage;
let mounted: string[];

beforeEach(async () => {
  ({ store, root, cleanup } = await tempStore());
  image = await pullImage(images.refs.busybox, store);
  mounted = [];
});
afterEach(async () => {
  for (const m of mounted.reverse()) {
    try {
      execFileSync('umount', ['-R', m], { stdio: 'ignore' });
    } catch {
      // already unmounted
    }
  }
  await cleanup();
});

const builder = () => new BundleBuilder().image(image).storage(store);

/** Apply `mounts` at `target` with `mount`, as a runtime does at create. */
function mountAll(mounts: readonly RootfsMount[], target: string): void {
  for (const m of mounts) {
    const args = m.type === 'bind' ? ['--rbind', m.source, target] : ['-t', m.type, m.source, '-o', m.options.join(','), target];
    execFileSync('mount', args);
    mounted.push(target);
  }
}

/** The MagikrunError `p` rejects with (details included). */
async function rejection(p: Promise<unknown>): Promise<MagikrunError> {
  try {
    await p;
  } catch (e) {
    if (isMagikrunError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

/** Mount points at or under `dir` (from /proc/self/mountinfo). */
async function mountsUnder(dir: string): Promise<string[]> {
  return (await readMountInfo()).map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(dir + '/'));
}

describe.runIf(privileged)('BundleBuilder kind oci, rootfs snapshot', () => {
  it('rootfsMounts assemble the image; user and cwd come from the image; removeBundle removes bundle and snapshot', async () => {
    const b: OciBundle = await builder().build({ kind: 'oci', rootfs: 'snapshot', id: 'snap', user: 'app', args: ['id'] });
    expect(b).toMatchObject({ kind: 'oci', path: path.join(root, 'bundles', 'snap'), rootfs: path.join(root, 'bundles', 'snap', 'rootfs') });
    expect(b.rootfsMounts?.length).toBeGreaterThan(0);
    expect(b.annotations?.[SNAPSHOT_ANNOTATION]).toBe('snap');
    // Unmounted after the build: the rootfs is an empty directory.
    expect(await readdir(b.rootfs)).toEqual([]);
    expect(await mountsUnder(b.path)).toEqual([]);

    const config = validateOciConfig(JSON.parse(await readFile(path.join(b.path, 'config.json'), 'utf8')));
    expect(config.process).toMatchObject({ args: ['id'], cwd: '/home/app', user: { uid: 1000, gid: 1000, additionalGids: [1000, 100] } });

    mountAll(b.rootfsMounts!, b.rootfs);
    expect((await lstat(path.join(b.rootfs, 'bin/busybox'))).isFile()).toBe(true);
    expect(await readFile(path.join(b.rootfs, 'etc/passwd'), 'utf8')).toMatch(/^app:x:1000:1000:/m);
    expect((await lstat(path.join(b.rootfs, 'home/app'))).isDirectory()).toBe(true);

    const busy = await failure(removeBundle(b));
    expect(busy.code).toBe('INVALID_STATE');
    expect((await lstat(b.path)).isDirectory()).toBe(true);

    execFileSync('umount', ['-R', b.rootfs]);
    mounted = [];
    await removeBundle(b);
    await expect(lstat(b.path)).rejects.toThrow();
    const snapshots = await Snapshotter.open({ store, mode: 'copy' });
    expect((await snapshots.list()).active).toEqual([]);
    expect(await mountsUnder(root)).toEqual([]);
    // Idempotent, also from the path alone.
    await removeBundle(b);
    await removeBundle({ path: b.path });
  });

  it('removeBundle given only the path finds the snapshot through config.json', async () => {
    const b = await builder().build({ kind: 'oci', rootfs: 'snapshot', id: 'bypath' });
    await removeBundle({ path: b.path });
    const snapshots = await Snapshotter.open({ store, mode: 'copy' });
    expect((await snapshots.list()).active).toEqual([]);
    await expect(lstat(b.path)).rejects.toThrow();
  });

  it('removeBundle of a plain copy bundle leaves a snapshot of the same key alone', async () => {
    const snapshots = await Snapshotter.open({ store });
    await snapshots.prepare('same', { layers: image.manifest.layers, diffIds: image.config.diffIds });
    const b = await builder().build({ kind: 'oci', id: 'same' });
    expect(b.annotations?.[SNAPSHOT_ANNOTATION]).toBeUndefined();
    await removeBundle(b);
    await expect(lstat(b.path)).rejects.toThrow();
    expect((await snapshots.list()).active.map((a) => a.key)).toEqual(['same']);
  });

  it('a second container of the image is its own snapshot; an id in use is ALREADY_EXISTS', async () => {
    const a = await builder().build({ kind: 'oci', rootfs: 'snapshot', id: 'one' });
    const c = await builder().build({ kind: 'oci', rootfs: 'snapshot', id: 'two' });
    expect(c.rootfsMounts).not.toEqual(a.rootfsMounts);
    expect((await failure(builder().build({ kind: 'oci', rootfs: 'snapshot', id: 'one' }))).code).toBe('ALREADY_EXISTS');
    const snapshots = await Snapshotter.open({ store, mode: 'copy' });
    expect((await snapshots.list()).active.map((s) => s.key).sort()).toEqual(['one', 'two']);
  });

  it('a missing entrypoint is NOT_FOUND (details.entrypoint), a user the image lacks NOT_FOUND; nothing is left', async () => {
    const missing = await rejection(builder().build({ kind: 'oci', rootfs: 'snapshot', id: 'nope', args: ['no-such-program'] }));
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.details).toMatchObject({ entrypoint: 'no-such-program' });
    const notExec = await rejection(builder().build({ kind: 'oci', rootfs: 'snapshot', id: 'noexec', args: ['/etc/passwd'] }));
    expect(notExec.code).toBe('INVALID_ARGUMENT');
    expect(notExec.details).toMatchObject({ entrypoint: '/etc/passwd' });
    expect((await failure(builder().build({ kind: 'oci', rootfs: 'snapshot', id: 'ghost', user: 'ghost' }))).code).toBe('NOT_FOUND');
    expect(await readdir(path.join(root, 'bundles'))).toEqual([]);
    const snapshots = await Snapshotter.open({ store, mode: 'copy' });
    expect((await snapshots.list()).active).toEqual([]);
    expect(await mountsUnder(root)).toEqual([]);
  });

  it('an unknown rootfs is INVALID_ARGUMENT', async () => {
    expect((await failure(builder().build({ kind: 'oci', rootfs: 'tmpfs' as 'copy' }))).code).toBe('INVALID_ARGUMENT');
  });
});
