/**
 * YoukiRuntime with core's snapshot-backed bundles (`BundleBuilder.build({ kind: 'oci', rootfs:
 * 'snapshot' })`): the runtime mounts `rootfsMounts` at create and unmounts them at delete (containerd's
 * snapshotter → shim contract); the container sees the image, runs as the user resolved from the
 * image, writes into its own snapshot only; `removeBundle` refuses while the container holds the
 * mounts and afterwards leaves no snapshot, mount or bundle.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BundleBuilder, removeBundle, Snapshotter } from '@magikrun/core';
import { expectCode } from '@magikrun/core/testing';
import { YoukiRuntime } from './runtime.js';
import { newId, runToEnd } from './test-support/run.js';
import { mountsUnder, sh, workspace, youkiHostReady, type Workspace } from './test-support/fixtures.js';

const ready = await youkiHostReady();

describe.runIf(ready)('YoukiRuntime with snapshot-backed bundles from core', () => {
  let ws: Workspace;
  let rt: YoukiRuntime;
  let root: string;

  beforeAll(async () => {
    ws = await workspace('snapshot');
    rt = new YoukiRuntime({ stateRoot: ws.stateRoot });
    root = path.join(ws.dir, 'store');
  });
  afterAll(async () => {
    if (rt) for (const s of await rt.list()) await rt.delete(s.id, { force: true });
    await ws?.cleanup();
  });

  const build = (id: string, args: string[], user?: string) =>
    new BundleBuilder({ root }).image(ws.image).storage(ws.store).build({ kind: 'oci', rootfs: 'snapshot', id, args, ...(user ? { user } : {}) });

  it('containers of one image: each sees the image and writes only into its own snapshot; the user comes from the image; removeBundle cleans up', async () => {
    const a = await build(newId('snap-a'), sh('echo a > /mine; cat /mine'));
    const b = await build(newId('snap-b'), sh('test -e /mine && echo leaked || echo clean; test -x /bin/busybox && echo image'));
    const c = await build(newId('snap-c'), sh('id -u; pwd'), 'app');
    expect(a.rootfsMounts?.length).toBeGreaterThan(0);
    const ra = await runToEnd(rt, a);
    expect(ra.status).toEqual({ code: 0, reason: 'exited' });
    expect(ra.stdout).toBe('a\n');
    expect((await runToEnd(rt, b)).stdout).toBe('clean\nimage\n');
    expect((await runToEnd(rt, c)).stdout).toBe('1000\n/home/app\n');
    for (const bundle of [a, b, c]) {
      expect(await mountsUnder(bundle.path)).toEqual([]);
      await removeBundle(bundle);
      await expect(lstat(bundle.path)).rejects.toThrow();
    }
    const keys = [a, b, c].map((x) => path.basename(x.path));
    const snapshots = await Snapshotter.open({ store: ws.store, root, mode: 'copy' });
    expect((await snapshots.list()).active.filter((s) => keys.includes(s.key))).toEqual([]);
  });

  it('removeBundle refuses (INVALID_STATE) while the created container holds the mounts; after delete it succeeds', async () => {
    const id = newId('snap-held');
    const bundle = await build(id, ['true']);
    await rt.create(id, bundle);
    expect(await mountsUnder(bundle.rootfs)).not.toEqual([]);
    await expectCode(removeBundle(bundle), 'INVALID_STATE');
    expect((await lstat(path.join(bundle.path, 'config.json'))).isFile()).toBe(true);
    await rt.delete(id, { force: true });
    expect(await mountsUnder(bundle.path)).toEqual([]);
    await removeBundle(bundle);
    const snapshots = await Snapshotter.open({ store: ws.store, root, mode: 'copy' });
    expect((await snapshots.list()).active.filter((s) => s.key === id)).toEqual([]);
  });
});
