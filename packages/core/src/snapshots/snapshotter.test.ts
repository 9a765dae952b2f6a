/**
 * The snapshotter with real mounts (root): the returned specification is mounted with util-linux's
 * `mount`, its merged tree must equal a plain unpack of the same layers, writes land in the
 * container's own snapshot, and removal/gc leave nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RootfsMount } from '../runtime/bundle.js';
import { unpackImage } from '../rootfs/unpack-image.js';
import { DEFAULT_LIMITS } from '../constants.js';
import { Platform } from '../platform/platform.js';
import { canRun } from '../platform/require.js';
import { Capability } from '../platform/types.js';
import { BlobStore } from '../storage/blob-store.js';
import { codeOf } from '../../test/support/outcome.js';
import { diffTrees, formatDifferences, readTree, type Tree } from '../../test/support/fs-tree.js';
import { chainIds } from './chain-id.js';
import { readMountInfo } from './mountinfo.js';
import { Snapshotter } from './snapshotter.js';
import { storeImage, THREE_LAYERS, type LayerEntry } from './test-layers.fixture.js';

const platform = await Platform.detect();
// Mounting needs CAP_SYS_ADMIN, which the namespaces capability checks.
const privileged = canRun(platform, [Capability.Namespaces]) && process.getuid?.() === 0;

let parent: string;
let store: BlobStore;
let mountPoints: string[];

beforeEach(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'magikrun-snap-'));
  store = await BlobStore.open({ root: path.join(parent, 'root') });
  mountPoints = [];
});
afterEach(async () => {
  for (const m of mountPoints.reverse()) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
  }
  await rm(parent, { recursive: true, force: true });
});

/** Mount `mounts` at a fresh directory as a runtime would, with the `mount` tool. */
async function mountAll(mounts: RootfsMount[], name = 'rootfs'): Promise<string> {
  const target = path.join(parent, name);
  await mkdir(target);
  for (const m of mounts) {
    const args = m.type === 'bind' ? ['--rbind', m.source, target] : ['-t', m.type, m.source, '-o', m.options.join(','), target];
    execFileSync('mount', args);
    mountPoints.push(target);
    if (m.type === 'bind' && m.options.includes('ro')) execFileSync('mount', ['-o', 'remount,bind,ro', target]);
  }
  return target;
}

function umount(target: string): void {
  execFileSync('umount', [target]);
  mountPoints = mountPoints.filter((m) => m !== target);
}

/**
 * Everything but mtimes, which record when an entry was written or a directory last changed during
 * unpacking (the differential test against umoci checks mtimes).
 */
function sameTree(a: Tree, b: Tree): string {
  return formatDifferences(diffTrees(a, b, (d) => d.field === 'mtime'));
}

async function plainUnpack(image: { layers: readonly import('../image/manifest.js').Descriptor[]; diffIds: readonly string[] }): Promise<string> {
  const dir = path.join(parent, `plain-${Math.random().toString(16).slice(2)}`);
  await unpackImage(store, image.layers, image.diffIds, dir, DEFAULT_LIMITS);
  return dir;
}

describe('chainIds (image-spec config.md)', () => {
  it('is the diff_id for one layer and sha256("<parent> <diff_id>") above it', () => {
    const a = `sha256:${'a'.repeat(64)}`;
    const b = `sha256:${'b'.repeat(64)}`;
    const ids = chainIds([a, b, a]);
    expect(ids[0]).toBe(a);
    expect(ids[1]).toBe(`sha256:${execFileSync('sha256sum', { input: `${a} ${b}` }).toString().slice(0, 64)}`);
    expect(ids[2]).toBe(`sha256:${execFileSync('sha256sum', { input: `${ids[1]} ${a}` }).toString().slice(0, 64)}`);
    expect(chainIds([])).toEqual([]);
  });
  it('refuses a diff_id that is not a sha256 digest', async () => {
    expect(await codeOf((async () => chainIds([`sha256:${'A'.repeat(64)}`]))())).toBe('INVALID_ARGUMENT');
    expect(await codeOf((async () => chainIds(['../../etc']))())).toBe('INVALID_ARGUMENT');
  });
});

describe('Snapshotter: input checks (no mount needed)', () => {
  it('refuses bad keys, diff_id counts, non-tar layers and more layers than MAX_LAYERS, leaving nothing', async () => {
    const s = await Snapshotter.open({ store, mode: 'copy' });
    const image = await storeImage(store, THREE_LAYERS);
    expect(await codeOf(s.prepare('../x', image))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(s.prepare('k', { layers: image.layers, diffIds: image.diffIds.slice(1) }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(s.prepare('k', { layers: image.layers.map((l) => ({ ...l, mediaType: 'application/wasm' })), diffIds: image.diffIds }))).toBe('INVALID_ARGUMENT');
    const two = await Snapshotter.open({ store, mode: 'copy', limits: { maxLayers: 2 } });
    expect(await codeOf(two.prepare('k', image))).toBe('LIMIT_EXCEEDED');
    expect((await s.list()).active).toEqual([]);
    expect((await readdir(s.dir)).filter((n) => /^\d+$|^tmp-/.test(n))).toEqual([]);
  });
  it('refuses an unknown mode', async () => {
    expect(await codeOf(Snapshotter.open({ store, mode: 'zfs' as never }))).toBe('INVALID_ARGUMENT');
  });
});

describe.runIf(privileged)('Snapshotter in overlay mode (real overlay mounts)', () => {
  let image: Awaited<ReturnType<typeof storeImage>>;
  let s: Snapshotter;
  beforeEach(async () => {
    s = await Snapshotter.open({ store, mode: 'overlay' });
    image = await storeImage(store, THREE_LAYERS);
  });

  it('prepares an overlay whose merged tree equals a plain unpack; writes go to the container snapshot; remove cleans up', async () => {
    const unpacked: number[] = [];
    const mounts = await s.prepare('c1', image, { onUnpack: (i) => unpacked.push(i.index) });
    expect(unpacked).toEqual([0, 1, 2]);
    expect(mounts).toHaveLength(1);
    const m = mounts[0]!;
    expect(m.type).toBe('overlay');
    expect(m.source).toBe('overlay');
    const lower = m.options.find((o) => o.startsWith('lowerdir='))!.slice('lowerdir='.length).split(':');
    const { committed, active } = await s.list();
    const byChain = new Map(committed.map((c) => [c.chainId, c]));
    const chain = chainIds(image.diffIds);
    // topmost first, each in <dir>/<id>/fs
    expect(lower).toEqual([...chain].reverse().map((c) => path.join(s.dir, String(byChain.get(c)!.id), 'fs')));
    expect(m.options).toContain(`upperdir=${path.join(s.dir, String(active[0]!.id), 'fs')}`);
    expect(m.options).toContain(`workdir=${path.join(s.dir, String(active[0]!.id), 'work')}`);

    const target = await mountAll(mounts);
    const plain = await plainUnpack(image);
    expect(sameTree(await readTree(plain), await readTree(target))).toBe('');
    // Spot checks of the semantics that the comparison relies on.
    expect(await readFile(path.join(target, 'etc/b'), 'utf8')).toBe('b from layer 1');
    expect((await readdir(path.join(target, 'opaque'))).sort()).toEqual(['new', 'newer']);
    expect(await lstat(path.join(target, 'etc/a')).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');

    await writeFile(path.join(target, 'etc/written'), 'by the container');
    await rm(path.join(target, 'etc/c'));
    umount(target);
    const upper = path.join(s.dir, String(active[0]!.id), 'fs');
    expect(await readFile(path.join(upper, 'etc/written'), 'utf8')).toBe('by the container');
    expect((await lstat(path.join(upper, 'etc/c'))).isCharacterDevice()).toBe(true); // an overlay whiteout
    // The committed layers are untouched by the container.
    const top = byChain.get(chain[2]!)!;
    expect(await readFile(path.join(s.dir, String(top.id), 'fs/etc/c'), 'utf8')).toBe('c from layer 2');

    expect(await s.remove('c1')).toBe(true);
    expect(await lstat(path.join(s.dir, String(active[0]!.id))).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
    expect(await s.remove('c1')).toBe(false);
    expect((await s.list()).committed).toHaveLength(3);
  });

  it('a second prepare of the same image unpacks nothing and shares the layer snapshots', async () => {
    await s.prepare('c1', image);
    const before = (await s.list()).committed;
    const unpacked: number[] = [];
    const mounts = await s.prepare('c2', image, { onUnpack: (i) => unpacked.push(i.index) });
    expect(unpacked).toEqual([]);
    expect((await s.list()).committed).toEqual(before);
    const a = await mountAll(await s.mounts('c1'), 'a');
    const b = await mountAll(mounts, 'b');
    await writeFile(path.join(a, 'only-in-a'), 'a');
    expect(await lstat(path.join(b, 'only-in-a')).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
    umount(a);
    umount(b);
  });

  it('an image sharing the bottom layers reuses their snapshots and unpacks only its own top', async () => {
    await s.prepare('c1', image);
    const other = await storeImage(store, [THREE_LAYERS[0]!, THREE_LAYERS[1]!, [{ name: 'other', content: 'other top' }]]);
    const unpacked: number[] = [];
    await s.prepare('c2', other, { onUnpack: (i) => unpacked.push(i.index) });
    expect(unpacked).toEqual([2]);
    const target = await mountAll(await s.mounts('c2'));
    expect(sameTree(await readTree(await plainUnpack(other)), await readTree(target))).toBe('');
    umount(target);
  });

  it('refuses to remove a snapshot that is still mounted, and a key that exists', async () => {
    const target = await mountAll(await s.prepare('c1', image));
    expect(await codeOf(s.remove('c1'))).toBe('INVALID_STATE');
    expect(await codeOf(s.prepare('c1', image))).toBe('ALREADY_EXISTS');
    umount(target);
    expect(await s.remove('c1')).toBe(true);
  });

  it('a layer whose diff_id does not match fails with DIGEST_MISMATCH and leaves no temp dir, mount or active snapshot', async () => {
    const bad = { layers: image.layers, diffIds: [image.diffIds[0]!, image.diffIds[1]!, image.diffIds[0]!] };
    expect(await codeOf(s.prepare('c1', bad))).toBe('DIGEST_MISMATCH');
    const names = await readdir(s.dir);
    expect(names.filter((n) => n.startsWith('tmp-') || n.startsWith('trash-'))).toEqual([]);
    expect((await s.list()).active).toEqual([]);
    // The two good lower chains stay committed for reuse; nothing of the failed one.
    expect((await s.list()).committed.map((c) => c.chainId)).toEqual(chainIds(bad.diffIds).slice(0, 2));
    expect((await readMountInfo()).filter((m) => m.mountPoint.startsWith(s.dir))).toEqual([]);
  });

  it('an aborted prepare ends in ABORTED and leaves no active snapshot, temp directory or mount; finished layers stay for reuse', async () => {
    const ac = new AbortController();
    const p = s.prepare('c1', image, { signal: ac.signal, onUnpack: (i) => i.index === 2 && ac.abort() });
    expect(await codeOf(p)).toBe('ABORTED');
    expect((await s.list()).active).toEqual([]);
    expect((await readdir(s.dir)).filter((n) => n.startsWith('tmp-'))).toEqual([]);
    expect((await readMountInfo()).filter((m) => m.mountPoint.startsWith(s.dir))).toEqual([]);
    expect((await s.list()).committed.map((c) => c.chainId)).toEqual(chainIds(image.diffIds).slice(0, 2));
  });

  it('refuses, before unpacking anything, an image whose lowerdir option would not fit in one page', async () => {
    // A root path of ~420 bytes: each lowerdir costs ~440 bytes, so 10 layers exceed 4095.
    const deep = path.join(parent, 'a'.repeat(200), 'b'.repeat(200));
    const far = await Snapshotter.open({ store, root: deep, mode: 'overlay' });
    const ten = await storeImage(store, Array.from({ length: 10 }, (_, i) => [{ name: `f${i}`, content: String(i) }]));
    const unpacked: number[] = [];
    expect(await codeOf(far.prepare('c1', ten, { onUnpack: (i) => unpacked.push(i.index) }))).toBe('LIMIT_EXCEEDED');
    expect(unpacked).toEqual([]);
    expect(await far.list()).toMatchObject({ active: [], committed: [] });
    // Fewer layers fit.
    expect((await far.prepare('c2', { layers: ten.layers.slice(0, 3), diffIds: ten.diffIds.slice(0, 3) }))[0]!.type).toBe('overlay');
  });

  it('an image without layers gets a bind mount of an empty writable directory', async () => {
    const mounts = await s.prepare('empty', { layers: [], diffIds: [] });
    expect(mounts).toEqual([{ type: 'bind', source: path.join(s.dir, String((await s.list()).active[0]!.id), 'fs'), options: ['rbind', 'rw'] }]);
    expect(await readdir(mounts[0]!.source)).toEqual([]);
  });

  it('gives each new upper layer the root attributes of the layers below (the merged root stays as the image left it)', async () => {
    const base = await storeImage(store, [[{ name: 'f', content: 'f' }]]);
    await s.prepare('base', base);
    // As if the bottom layer's "./" entry had set them:
    const bottom = path.join(s.dir, String((await s.list()).committed[0]!.id), 'fs');
    execFileSync('chown', ['7:8', bottom]);
    execFileSync('chmod', ['0750', bottom]);
    const img = await storeImage(store, [[{ name: 'f', content: 'f' }], [{ name: 'g', content: 'g' }]]);
    const target = await mountAll(await s.prepare('c1', img));
    const st = await lstat(target);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o750, 7, 8]);
    umount(target);
  });
});

describe.runIf(privileged)('Snapshotter in copy mode', () => {
  it('gives each container a private copy of one cached full rootfs', async () => {
    const s = await Snapshotter.open({ store, mode: 'copy' });
    const image = await storeImage(store, THREE_LAYERS);
    const unpacked: number[] = [];
    const m1 = await s.prepare('c1', image, { onUnpack: (i) => unpacked.push(i.index) });
    expect(m1).toEqual([{ type: 'bind', source: path.join(s.dir, String((await s.list()).active[0]!.id), 'fs'), options: ['rbind', 'rw'] }]);
    const m2 = await s.prepare('c2', image, { onUnpack: (i) => unpacked.push(i.index) });
    expect(unpacked).toEqual([0, 1, 2]); // the second container copies, it does not unpack
    expect((await s.list()).committed.map((c) => c.kind)).toEqual(['full']);
    const a = await mountAll(m1, 'a');
    expect(sameTree(await readTree(await plainUnpack(image)), await readTree(a))).toBe('');
    await writeFile(path.join(a, 'etc/b'), 'changed in c1');
    umount(a);
    expect(await readFile(path.join(m2[0]!.source, 'etc/b'), 'utf8')).toBe('b from layer 1');
    expect(await s.remove('c1')).toBe(true);
    expect(await s.remove('c2')).toBe(true);
  });

  it('refuses to remove a copy that is still bind-mounted', async () => {
    const s = await Snapshotter.open({ store, mode: 'copy' });
    const target = await mountAll(await s.prepare('c1', await storeImage(store, THREE_LAYERS)));
    expect(await codeOf(s.remove('c1'))).toBe('INVALID_STATE');
    umount(target);
    expect(await s.remove('c1')).toBe(true);
  });

  it('an aborted prepare leaves no active snapshot, temp directory or copy', async () => {
    const s = await Snapshotter.open({ store, mode: 'copy' });
    const image = await storeImage(store, THREE_LAYERS);
    const ac = new AbortController();
    const p = s.prepare('c1', image, { signal: ac.signal, onUnpack: (i) => i.index === 1 && ac.abort() });
    expect(await codeOf(p)).toBe('ABORTED');
    expect((await s.list()).active).toEqual([]);
    expect((await readdir(s.dir)).filter((n) => !/^(metadata\.json|metadata\.lock|locks)$/.test(n))).toEqual([]);
    expect((await s.prepare('c1', image)).length).toBe(1); // and the key is free again
  });
});

describe.runIf(privileged)('Snapshotter gc after a crash in the middle of a layer', () => {
  it('unmounts the scratch overlay a dead builder left and removes its directory', async () => {
    const s = await Snapshotter.open({ store, mode: 'overlay' });
    const dead = path.join(s.dir, 'tmp-999999999-1-0badc0de');
    for (const d of ['lower', 'fs', 'work', 'mnt']) await mkdir(path.join(dead, d), { recursive: true });
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dead}/lower,upperdir=${dead}/fs,workdir=${dead}/work`, `${dead}/mnt`]);
    mountPoints.push(`${dead}/mnt`);
    const r = await s.gc();
    expect(r.leftovers).toEqual(['tmp-999999999-1-0badc0de']);
    expect((await readMountInfo()).filter((m) => m.mountPoint.startsWith(s.dir))).toEqual([]);
    expect(await lstat(dead).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ENOENT');
  });
});

describe('Snapshotter gc', () => {
  let s: Snapshotter;
  let image: Awaited<ReturnType<typeof storeImage>>;
  beforeEach(async () => {
    s = await Snapshotter.open({ store, mode: 'copy' });
    image = await storeImage(store, THREE_LAYERS);
  });

  it('keeps snapshots under active ones and chains in keep; removes the rest and crash leftovers', async () => {
    await s.prepare('c1', image);
    const other = await storeImage(store, [[{ name: 'x', content: 'x' } satisfies LayerEntry]]);
    await s.prepare('c2', other);
    await s.remove('c2');
    // Leftovers: a temp dir of a dead process, a numbered dir the metadata does not know, a stale trash dir.
    await mkdir(path.join(s.dir, 'tmp-999999999-1-abcdef'));
    await mkdir(path.join(s.dir, '9999'));
    await mkdir(path.join(s.dir, 'trash-0123'));
    const dry = await s.gc({ dryRun: true });
    expect(dry.removed.map((r) => r.chainId)).toEqual([chainIds(other.diffIds)[0]]);
    expect(dry.leftovers.sort()).toEqual(['9999', 'tmp-999999999-1-abcdef', 'trash-0123']);
    expect((await s.list()).committed).toHaveLength(2);
    const real = await s.gc();
    expect(real.removed.map((r) => r.chainId)).toEqual([chainIds(other.diffIds)[0]]);
    expect((await readdir(s.dir)).filter((n) => !/^(metadata\.json|locks)$/.test(n)).length).toBe(2); // the full snapshot and c1's copy
    await s.remove('c1');
    const chain = chainIds(image.diffIds);
    expect((await s.gc({ keep: chain })).removed).toEqual([]);
    expect((await s.gc()).removed.map((r) => r.chainId)).toEqual([chain[2]]);
    expect((await readdir(s.dir)).sort()).toEqual(['locks', 'metadata.json']);
  });

  it('drops an active snapshot whose preparing process is gone', async () => {
    await s.prepare('c1', image);
    const file = path.join(s.dir, 'metadata.json');
    const md = JSON.parse(await readFile(file, 'utf8'));
    md.active.c1.state = 'preparing';
    md.active.c1.holder = { pid: 999_999_999, startTime: '1', hostname: (await import('node:os')).hostname() };
    await writeFile(file, JSON.stringify(md));
    const r = await s.gc();
    expect(r.abandoned).toEqual(['c1']);
    expect((await s.list()).active).toEqual([]);
  });

  it('refuses damaged metadata instead of starting afresh', async () => {
    await writeFile(path.join(s.dir, 'metadata.json'), '{"version":1,"committed":{"x":{}},"active":{}}');
    expect(await codeOf(s.gc())).toBe('INVALID_ARGUMENT');
    expect(await codeOf(s.prepare('c1', image))).toBe('INVALID_ARGUMENT');
  });
});
