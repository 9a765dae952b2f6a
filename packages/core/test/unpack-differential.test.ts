/**
 * Differential test: images built by umoci (not by magikrun) unpacked by magikrun and by `umoci unpack`
 * must give the same trees — names, types, modes (setuid/setgid/sticky included), uid/gid, symlink
 * targets, hard link groups, contents (sha256), device numbers, xattrs and mtimes.
 *
 * Images:
 * - busybox: Debian's busybox-static in one umoci layer (tools/images/build-busybox-layout.sh, built by
 *   the global setup), with a device node and files owned by 1000.
 * - debian: a debootstrap bookworm minbase root split by umoci into layers with deletions (`.wh.` files
 *   of lower files and trees), type changes, a recreated directory, hard links (also to lower files),
 *   symlinks, setuid/setgid files, a FIFO, devices, xattrs — and one layer made by GNU tar with opaque
 *   markers `.wh..wh..opq` (umoci never writes them: it whites out each old child instead)
 *   (tools/images/build-debian-layers.sh; the debootstrap root is cached in ~/.cache/magikrun-test).
 *
 * Each is unpacked three ways by magikrun — a plain rootfs, the overlay snapshot mounted with `mount`,
 * and the copy-mode snapshot — and compared with umoci's. Differences umoci itself makes are listed in
 * UMOCI_DIFFERENCES with the reason; any other difference fails.
 *
 * Needs root (umoci unpack keeps owners and devices only as root; overlay mounts), umoci, debootstrap
 * and getfattr (apt-get install umoci debootstrap attr).
 */
import { execFile as execFileCb, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackRootfs } from '../src/rootfs/unpack-rootfs.js';
import { pullImage } from '../src/image/pull.js';
import type { PulledImage } from '../src/image/types.js';
import { Platform } from '../src/platform/platform.js';
import { canRun } from '../src/platform/require.js';
import { Capability } from '../src/platform/types.js';
import { Snapshotter } from '../src/snapshots/snapshotter.js';
import { BlobStore } from '../src/storage/blob-store.js';
import { diffTrees, formatDifferences, readTree, type Tree, type TreeDifference } from './support/fs-tree.js';
import { testImages } from './support/images.js';

const execFile = promisify(execFileCb);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const platform = await Platform.detect();
const privileged = canRun(platform, [Capability.Namespaces]) && process.getuid?.() === 0;

/**
 * Differences umoci makes itself, each with its reason (`startedAt`: when our unpack began, in whole
 * seconds). Everything else is a mismatch. (Not seen here because the test runs as root: `umoci unpack
 * --rootless` records owners and modes it cannot apply in `user.rootlesscontainers` xattrs.)
 */
const UMOCI_DIFFERENCES: { why: string; match: (d: TreeDifference, umoci: Tree, startedAt: number) => boolean }[] = [
  {
    why:
      'umoci applies the metadata (mode, owner, mtime) of the entry that names the root ("./"); containerd ignores an entry ' +
      'that resolves to the root (archive/tar.go: "file ignored: resolved to root"), and so does magikrun: the rootfs ' +
      'directory keeps the mode and owner the unpacker gave it (0755 root:root) and the time it was made',
    match: (d, _u, startedAt) => d.path === '.' && (d.field === 'mtime' ? (d.b as number) >= startedAt : ['mode', 'uid', 'gid'].includes(d.field)),
  },
  {
    why:
      'umoci restores a directory\'s metadata after it adds or removes an entry in it even when the layer has no entry for ' +
      'that directory (tar_extract.go restoreMetadata: "we only apply state that we find in the archive"); containerd ' +
      'sets directory times only from the layer\'s own directory entries, so such a directory keeps the time of the change',
    match: (d, umoci, startedAt) => d.field === 'mtime' && umoci.get(d.path)?.type === 'dir' && (d.b as number) >= startedAt,
  },
];

function unexplained(umoci: Tree, ours: Tree, startedAt: number): TreeDifference[] {
  return diffTrees(umoci, ours, (d) => UMOCI_DIFFERENCES.some((k) => k.match(d, umoci, startedAt)));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

interface Case {
  name: string;
  image: PulledImage;
  umoci: Tree;
}

let work: string;
let store: BlobStore;
const cases: Case[] = [];
const mounted: string[] = [];
let dirToFile: PulledImage;
let dirToFileUmoci: Tree;

async function umociUnpack(layout: string, tag: string, bundle: string): Promise<Tree> {
  await execFile('umoci', ['unpack', '--image', `${layout}:${tag}`, bundle], { maxBuffer: 64 * 1024 * 1024 });
  return readTree(path.join(bundle, 'rootfs'), { xattrs: true });
}

describe.runIf(privileged)('unpack differential: magikrun vs umoci unpack on umoci-built images', () => {
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'magikrun-differential-'));
    store = await BlobStore.open({ root: path.join(work, 'root') });
    const debianLayout = path.join(work, 'debian-layout');
    execFileSync(path.join(repo, 'tools/images/build-debian-layers.sh'), [debianLayout, 'debian'], { stdio: ['ignore', 'ignore', 'inherit'] });
    dirToFile = await pullImage(`oci:${debianLayout}:debian-dir-to-file`, store);
    dirToFileUmoci = await umociUnpack(debianLayout, 'debian-dir-to-file', path.join(work, 'umoci-dir-to-file'));
    const images = testImages();
    for (const [name, layout, tag] of [
      ['busybox', images.layout, 'busybox'],
      ['debian', debianLayout, 'debian'],
    ] as const) {
      const image = await pullImage(`oci:${layout}:${tag}`, store);
      cases.push({ name, image, umoci: await umociUnpack(layout, tag, path.join(work, `umoci-${name}`)) });
    }
  }, 600_000);
  afterAll(async () => {
    for (const m of mounted.reverse()) {
      try {
        execFileSync('umount', [m], { stdio: 'ignore' });
      } catch {
        // already unmounted
      }
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('the debian image has the layers and changes the comparison depends on', () => {
    const c = cases.find((x) => x.name === 'debian')!;
    expect(c.image.manifest.layers.length).toBe(4);
    const t = c.umoci;
    const at = (p: string) => t.get(`opt/magikrun-test/${p}`);
    expect(at('suid-true')?.mode).toBe(0o4755);
    expect(at('sgid-true')?.mode).toBe(0o2755);
    expect(at('hardlinks/a')?.links).toEqual(['opt/magikrun-test/hardlinks/a', 'opt/magikrun-test/hardlinks/b']);
    expect(at('fifo')?.type).toBe('fifo');
    expect(at('block-device')?.rdev).toBe('7:200');
    expect(at('cap-true')?.xattrs?.['security.capability']).toBeDefined();
    expect(at('hardlink-to-lower')?.links).toContain('usr/bin/true');
    expect(t.has('usr/share/locale')).toBe(false);
    expect(at('dir-to-file')?.type).toBe('file');
    expect([...t.keys()].filter((p) => p.startsWith('opt/magikrun-test/opaque-first/'))).toEqual(['opt/magikrun-test/opaque-first/upper']);
    expect([...t.keys()].filter((p) => p.startsWith('opt/magikrun-test/opaque-after/'))).toEqual(['opt/magikrun-test/opaque-after/upper']);
    expect([...t.keys()].filter((p) => p.startsWith('opt/magikrun-test/recreate/'))).toEqual(['opt/magikrun-test/recreate/new']);
    expect(t.size).toBeGreaterThan(5000);
  });

  it("a directory replaced by a file in one layer (umoci also writes d/.wh.inner under the new file d) unpacks to umoci's tree", async () => {
    // The stray whiteout has nothing to hide: umoci ignores it, and so does magikrun (containerd's
    // os.RemoveAll("d/inner") fails on it with ENOTDIR instead).
    expect(dirToFileUmoci.get('d')?.type).toBe('file');
    const dest = path.join(work, 'plain-dir-to-file');
    const startedAt = nowSeconds();
    await unpackRootfs({ store, layers: dirToFile.manifest.layers, diffIds: dirToFile.config.diffIds, dest });
    const diffs = unexplained(dirToFileUmoci, await readTree(dest, { xattrs: true }), startedAt);
    expect(diffs, formatDifferences(diffs)).toEqual([]);
  });

  for (const name of ['busybox', 'debian']) {
    it(`${name}: a plain magikrun unpack equals umoci's`, async () => {
      const c = cases.find((x) => x.name === name)!;
      const dest = path.join(work, `plain-${name}`);
      const startedAt = nowSeconds();
      await unpackRootfs({ store, layers: c.image.manifest.layers, diffIds: c.image.config.diffIds, dest });
      const diffs = unexplained(c.umoci, await readTree(dest, { xattrs: true }), startedAt);
      expect(diffs, formatDifferences(diffs)).toEqual([]);
    }, 300_000);

    it(`${name}: the overlay snapshot, mounted, equals umoci's unpack`, async () => {
      const c = cases.find((x) => x.name === name)!;
      const s = await Snapshotter.open({ store, mode: 'overlay' });
      const startedAt = nowSeconds();
      const mounts = await s.prepare(`diff-${name}`, { layers: c.image.manifest.layers, diffIds: c.image.config.diffIds });
      const target = path.join(work, `overlay-${name}`);
      await mkdir(target);
      execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', mounts[0]!.options.join(','), target]);
      mounted.push(target);
      try {
        const diffs = unexplained(c.umoci, await readTree(target, { xattrs: true }), startedAt);
        expect(diffs, formatDifferences(diffs)).toEqual([]);
      } finally {
        execFileSync('umount', [target]);
        mounted.pop();
      }
      await s.remove(`diff-${name}`);
    }, 300_000);

    it(`${name}: the copy-mode snapshot equals umoci's unpack`, async () => {
      const c = cases.find((x) => x.name === name)!;
      const s = await Snapshotter.open({ store, root: path.join(work, 'copy-root'), mode: 'copy' });
      const startedAt = nowSeconds();
      const mounts = await s.prepare(`diff-${name}`, { layers: c.image.manifest.layers, diffIds: c.image.config.diffIds });
      const diffs = unexplained(c.umoci, await readTree(mounts[0]!.source, { xattrs: true }), startedAt);
      expect(diffs, formatDifferences(diffs)).toEqual([]);
      await s.remove(`diff-${name}`);
    }, 300_000);
  }
});
