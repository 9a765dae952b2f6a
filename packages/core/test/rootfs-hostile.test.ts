/**
 * The hostile-layer corpus: every escape and malformation we know of, as single entries, entry
 * sequences inside one layer and sequences of layers, unpacked with unpackRootfs. After each case a
 * canary directory beside the rootfs (files, a hard-linked pair, a setuid file, a symlink, a FIFO, a
 * private subdirectory) must be byte-for-byte unchanged, link counts and modes included; each case ends
 * with a typed error (and nothing left behind) or a rootfs with containerd's semantics.
 */
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { unpackRootfs } from '../src/rootfs/unpack-rootfs.js';
import type { UnpackWarning } from '../src/rootfs/warnings.js';
import { isMagikrunError } from '../src/errors.js';
import { MediaType } from '../src/image/media-types.js';
import { BlobStore } from '../src/storage/blob-store.js';
import { sha256Digest } from '../src/storage/digest.js';
import { compressWith, END, makeCanary, paxEntry, rawEntry, storeBlob, storeLayer, tarOf, treeState, type E, type StoredLayer } from './support/layers.js';

let parent: string;
let canary: string;
let store: BlobStore;
let baseline: string[];
let n = 0;
const isRoot = process.geteuid?.() === 0;

beforeAll(async () => {
  parent = await mkdtemp(path.join(tmpdir(), 'magikrun-hostile-'));
  canary = path.join(parent, 'canary');
  await makeCanary(canary);
  const fifo = spawnSync('mknod', [path.join(canary, 'fifo'), 'p']);
  expect(fifo.status).toBe(0);
  store = await BlobStore.open({ root: path.join(parent, 'store') });
  baseline = await treeState(canary);
});
afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});
afterEach(async () => {
  expect(await treeState(canary)).toEqual(baseline);
  expect(await lstat('/dev/magikrun-evil').then(() => true, () => false)).toBe(false);
});

/** A layer: tar-stream entries, or hand-made tar bytes. */
type Layer = E[] | Buffer;
/** From the rootfs, a relative path that climbs far enough to reach `parent` on the host. */
const UP = '../'.repeat(12);
const REL_CANARY = () => `${UP}${canary.slice(1)}`;

async function stored(layer: Layer): Promise<StoredLayer> {
  return storeLayer(store, Buffer.isBuffer(layer) ? layer : await tarOf(layer));
}

interface Outcome {
  code: string;
  rootfs: string;
  warnings: UnpackWarning[];
}

async function unpack(layers: Layer[], extra: Partial<Parameters<typeof unpackRootfs>[0]> = {}): Promise<Outcome> {
  const bundle = path.join(parent, 'bundles', String(++n));
  const rootfs = path.join(bundle, 'rootfs');
  const ls = await Promise.all(layers.map(stored));
  const warnings: UnpackWarning[] = [];
  try {
    await unpackRootfs({ store, layers: ls.map((l) => l.descriptor), diffIds: ls.map((l) => l.diffId), dest: rootfs, onWarning: (w) => warnings.push(w), ...extra });
    return { code: 'resolved', rootfs, warnings };
  } catch (e) {
    if (!isMagikrunError(e)) throw e;
    // nothing partial left: no rootfs, no temporary directory
    expect(await readdir(bundle)).toEqual([]);
    return { code: e.code, rootfs, warnings };
  }
}

const at = (root: string, p: string) => path.join(root, p);
const exists = (p: string) => lstat(p).then(() => true, () => false);
const text = (p: string) => readFile(p, 'utf8');

type Check = (root: string, o: Outcome) => Promise<void>;
type Case = [name: string, layers: () => Layer[], expected: string | Check];

// The canary's absolute path, as an image would name it (re-rooted inside the rootfs).
const C = () => canary;

const singleEntries: Case[] = [
  ['".." climbing out', () => [[{ name: '../canary/pwned', content: 'x' }]], 'PATH_ESCAPE'],
  ['".." in the middle', () => [[{ name: 'a/../../canary/pwned', content: 'x' }]], 'PATH_ESCAPE'],
  ['".." through a PAX path', () => [Buffer.concat([paxEntry([['path', `${UP}${C().slice(1)}/pwned`]]), rawEntry({ name: 'innocent' }, Buffer.from('x')), END])], 'PATH_ESCAPE'],
  ['an absolute name is taken from the image root', () => [[{ name: `${C()}/pwned`, content: 'x' }]], async (r) => {
    expect(await text(at(r, `${C()}/pwned`))).toBe('x');
  }],
  ['entries naming the root itself are ignored', () => [[
    { name: './', type: 'directory', mode: 0o700 },
    { name: '.', content: 'file named dot' },
    { name: '/', type: 'symlink', linkname: C() },
    { name: 'ok', content: 'ok' },
  ]], async (r) => {
    const st = await lstat(r);
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o777).toBe(0o755);
    expect(await text(at(r, 'ok'))).toBe('ok');
  }],
  ['a hard link climbing out', () => [[{ name: 'h', type: 'link', linkname: '../canary/secret' }]], 'PATH_ESCAPE'],
  ['a hard link with ".." inside its target', () => [[{ name: 'a/f', content: 'f' }, { name: 'h', type: 'link', linkname: `a/${UP}${C().slice(1)}/secret` }]], 'PATH_ESCAPE'],
  ['a hard link to an absolute host path resolves inside the root (to nothing)', () => [[{ name: 'h', type: 'link', linkname: `${C()}/secret` }]], 'INVALID_ARGUMENT'],
  ['a NUL byte in a PAX path', () => [Buffer.concat([paxEntry([['path', 'a\0b']]), rawEntry({ name: 'x' }), END])], 'INVALID_ARGUMENT'],
  ['a 2 MiB PAX header', () => [Buffer.concat([paxEntry([['comment', 'c'.repeat(2 << 20)]]), rawEntry({ name: 'x' }), END])], 'LIMIT_EXCEEDED'],
  ['a path 300 directories deep', () => [[{ name: `${'d/'.repeat(300)}f`, content: 'x' }]], 'LIMIT_EXCEEDED'],
  ['a 5000-byte name', () => [[{ name: `${'n'.repeat(200)}/`.repeat(25), type: 'directory' }]], 'LIMIT_EXCEEDED'],
  ['a component over 255 bytes', () => [[{ name: `a/${'b'.repeat(256)}`, content: 'x' }]], 'INVALID_ARGUMENT'],
  ['a uid beyond 32 bits (PAX)', () => [Buffer.concat([paxEntry([['uid', String(2 ** 33)]]), rawEntry({ name: 'f' }), END])], 'INVALID_ARGUMENT'],
  ['a gid of 2^32-1, which chown(2) reads as "leave unchanged"', () => [Buffer.concat([paxEntry([['gid', String(2 ** 32 - 1)]]), rawEntry({ name: 'f' }), END])], 'INVALID_ARGUMENT'],
  ['a symlink with an empty target', () => [Buffer.concat([rawEntry({ name: 's', typeflag: '2', linkname: '' }), END])], 'INVALID_ARGUMENT'],
  ['a GNU sparse file', () => [Buffer.concat([rawEntry({ name: 'sparse', typeflag: 'S', format: 'gnu' }), END])], 'UNSUPPORTED'],
  ['a truncated tar', () => [rawEntry({ name: 'f', size: 4096 }, Buffer.from('cut')).subarray(0, 1024)], 'INVALID_ARGUMENT'],
  ['an overlay-internal xattr is never applied', () => [Buffer.concat([paxEntry([['SCHILY.xattr.trusted.overlay.redirect', '/etc']]), rawEntry({ name: 'd/', typeflag: '5' }), END])], async (r, o) => {
    expect(spawnSync('getfattr', ['-h', '-n', 'trusted.overlay.redirect', at(r, 'd')]).status).not.toBe(0);
    expect(o.warnings.some((w) => w.code === 'xattr-skipped')).toBe(true);
  }],
  ['a device node for the host disk stays inside the rootfs (created only when privileged)', () => [[{ name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660 }]], async (r, o) => {
    if (isRoot) expect((await lstat(at(r, 'dev/sda'))).isBlockDevice()).toBe(true);
    else expect(o.warnings.some((w) => w.code === 'device-skipped')).toBe(true);
  }],
  ['a FIFO at /etc/passwd', () => [[{ name: 'etc/passwd', type: 'fifo', mode: 0o644 }]], async (r) => {
    expect((await lstat(at(r, 'etc/passwd'))).isFIFO()).toBe(true);
  }],
];

const entrySequences: Case[] = [
  ['symlink climbing out, then a write through it', () => [[{ name: 'evil', type: 'symlink', linkname: REL_CANARY() }, { name: 'evil/pwned', content: 'x' }]], async (r) => {
    expect(await text(at(r, `${C()}/pwned`))).toBe('x');
  }],
  ['absolute symlink to the host, then a write through it', () => [[{ name: 'evil', type: 'symlink', linkname: C() }, { name: 'evil/secret', content: 'overwritten?' }]], async (r) => {
    expect(await text(at(r, `${C()}/secret`))).toBe('overwritten?');
  }],
  ['symlink to a host file, then a file of the same name replaces the symlink', () => [[{ name: 's', type: 'symlink', linkname: `${C()}/secret` }, { name: 's', content: 'mine' }]], async (r) => {
    expect((await lstat(at(r, 's'))).isFile()).toBe(true);
    expect(await text(at(r, 's'))).toBe('mine');
  }],
  ['symlink to the host, then a hard link through it', () => [[{ name: 'x', type: 'symlink', linkname: C() }, { name: 'h', type: 'link', linkname: 'x/secret' }]], 'INVALID_ARGUMENT'],
  ['hard link to a symlink that points outside, then a write at the link', () => [[
    { name: 's', type: 'symlink', linkname: `${C()}/secret` },
    { name: 'h', type: 'link', linkname: 's' },
    { name: 'h2', type: 'link', linkname: 's' },
    { name: 'h2', content: 'replaced' },
  ]], async (r) => {
    expect(await readlink(at(r, 'h'))).toBe(`${C()}/secret`);
    expect((await lstat(at(r, 's'))).nlink).toBe(2);
    expect(await text(at(r, 'h2'))).toBe('replaced');
  }],
  ['directory replaced by a symlink to the host, then a file under it', () => [[
    { name: 'd/', type: 'directory' },
    { name: 'd/f', content: 'f' },
    { name: 'd', type: 'symlink', linkname: C() },
    { name: 'd/pwned', content: 'x' },
  ]], async (r) => {
    expect(await readlink(at(r, 'd'))).toBe(C());
    expect(await text(at(r, `${C()}/pwned`))).toBe('x');
  }],
  ['directories of the layer, their parent then replaced by a symlink to the host: no directory time is set through it', () => [[
    { name: 'd/', type: 'directory', mode: 0o755 },
    { name: 'd/sub/', type: 'directory', mode: 0o777, mtime: new Date(86_400_000) },
    { name: 'd/sub/x/', type: 'directory', mtime: new Date(86_400_000) },
    { name: 'd', type: 'symlink', linkname: C() },
    { name: 'e/', type: 'directory' },
    { name: 'e', content: 'e is a file now' },
  ]], async (r) => {
    expect(await readlink(at(r, 'd'))).toBe(C());
    expect(await text(at(r, 'e'))).toBe('e is a file now');
  }],
  ['whiteout through a symlink', () => [[{ name: 'l', type: 'symlink', linkname: REL_CANARY() }, { name: 'l/.wh.secret' }, { name: 'l/.wh.hl-a' }]], async (r) => {
    expect(await readlink(at(r, 'l'))).toBe(REL_CANARY());
  }],
  ['".wh." of ".."', () => [[{ name: 'a/.wh...' }]], 'INVALID_ARGUMENT'],
  ['".wh." of "."', () => [[{ name: 'a/.wh..' }]], 'INVALID_ARGUMENT'],
  ['a whiteout climbing out', () => [[{ name: '../.wh.canary' }]], 'PATH_ESCAPE'],
  ['opaque marker through a symlink', () => [[{ name: 'o', type: 'symlink', linkname: C() }, { name: 'o/.wh..wh..opq' }]], async (r) => {
    expect(await readlink(at(r, 'o'))).toBe(C());
  }],
  ['a symlink loop', () => [[{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }, { name: 'a/file', content: 'x' }]], 'INVALID_ARGUMENT'],
  // 39 symlinks, each a 1600-component detour (800 "d/" then 800 "../"): every entry below the first
  // would cost ~60 000 path steps (seconds each, from a 3 KB layer) — refused instead.
  ['a symlink chain that expands to more than MAX_RESOLVE_STEPS path components', () => [[
    { name: 'end/', type: 'directory' },
    ...Array.from({ length: 39 }, (_, i): E => ({ name: `s${i}`, type: 'symlink', linkname: `/${'d/'.repeat(800)}${'../'.repeat(800)}${i === 38 ? 'end' : `s${i + 1}`}` })),
    { name: 's0/x/f', content: 'x' },
  ]], 'LIMIT_EXCEEDED'],
  ['a FIFO replaced by a file (never opened)', () => [[{ name: 'f', type: 'fifo' }, { name: 'f', content: 'file' }]], async (r) => {
    expect(await text(at(r, 'f'))).toBe('file');
  }],
  ['a FIFO where a directory is needed', () => [[{ name: 'f', type: 'fifo' }, { name: 'f/x', content: 'x' }]], 'INVALID_ARGUMENT'],
  ['a file replaced by a directory', () => [[{ name: 'x', content: 'f' }, { name: 'x/', type: 'directory' }, { name: 'x/y', content: 'y' }]], async (r) => {
    expect(await text(at(r, 'x/y'))).toBe('y');
  }],
  ['a symlink through /proc/self/root', () => [[{ name: 'p', type: 'symlink', linkname: '/proc/self/root' }, { name: 'p/etc/x', content: 'x' }]], async (r) => {
    expect(await text(at(r, 'proc/self/root/etc/x'))).toBe('x');
  }],
];

const layerSequences: Case[] = [
  ['lower symlink to the host, upper writes through it', () => [[{ name: 'etc', type: 'symlink', linkname: C() }], [{ name: 'etc/passwd', content: 'root::0:0' }]], async (r) => {
    expect(await text(at(r, `${C()}/passwd`))).toBe('root::0:0');
  }],
  ['lower symlink climbing with "..", upper writes through it', () => [[{ name: 'bin', type: 'symlink', linkname: UP }], [{ name: 'bin/sh', content: 'sh' }]], async (r) => {
    expect(await text(at(r, 'sh'))).toBe('sh');
  }],
  ['lower directory, middle symlink to the host in its place, upper opaque marker and file', () => [
    [{ name: 'd/keep', content: 'k' }],
    [{ name: 'd', type: 'symlink', linkname: C() }],
    [{ name: 'd/.wh..wh..opq' }, { name: 'd/x', content: 'x' }],
  ], async (r) => {
    expect(await text(at(r, `${C()}/x`))).toBe('x');
  }],
  ['hard links of a lower layer keep their content when the upper layer rewrites one name', () => [
    [{ name: 'a', content: 'orig' }, { name: 'b', type: 'link', linkname: 'a' }],
    [{ name: 'c', type: 'link', linkname: 'b' }, { name: 'a', content: 'new' }],
  ], async (r) => {
    expect(await text(at(r, 'a'))).toBe('new');
    expect(await text(at(r, 'c'))).toBe('orig');
    expect((await lstat(at(r, 'b'))).nlink).toBe(2);
  }],
  ['symlink to a host file, hard-linked by the next layer, whited out by the last', () => [
    [{ name: 's', type: 'symlink', linkname: `${C()}/hl-a` }],
    [{ name: 'h', type: 'link', linkname: 's' }],
    [{ name: '.wh.s' }],
  ], async (r) => {
    expect(await exists(at(r, 's'))).toBe(false);
    expect(await readlink(at(r, 'h'))).toBe(`${C()}/hl-a`);
  }],
  ['lower symlink to the host /dev, upper device node through it', () => [
    [{ name: 'devices', type: 'symlink', linkname: '/dev' }],
    [{ name: 'devices/magikrun-evil', type: 'character-device', devmajor: 1, devminor: 3 }],
  ], async (r) => {
    if (isRoot) expect((await lstat(at(r, 'dev/magikrun-evil'))).isCharacterDevice()).toBe(true);
  }],
  ['lower symlink /dev → /dev (a loop once chrooted), upper device node through it', () => [
    [{ name: 'dev', type: 'symlink', linkname: '/dev' }],
    [{ name: 'dev/magikrun-evil', type: 'character-device', devmajor: 1, devminor: 3 }],
  ], 'INVALID_ARGUMENT'],
  ['an opaque marker at the root hides every lower entry but this layer\'s', () => [
    [{ name: 'old/f', content: 'o' }, { name: 'top', content: 't' }],
    [{ name: 'new', content: 'n' }, { name: '.wh..wh..opq' }],
  ], async (r) => {
    expect((await readdir(r)).sort()).toEqual(['new']);
  }],
];

describe('hostile layers: single entries', () => {
  it.each(singleEntries)('%s', async (_name, layers, expected) => {
    const o = await unpack(layers());
    if (typeof expected === 'string') expect(o.code).toBe(expected);
    else {
      expect(o.code).toBe('resolved');
      await expected(o.rootfs, o);
    }
  });
});

describe('hostile layers: entry sequences in one layer', () => {
  it.each(entrySequences)('%s', async (_name, layers, expected) => {
    const o = await unpack(layers());
    if (typeof expected === 'string') expect(o.code).toBe(expected);
    else {
      expect(o.code).toBe('resolved');
      await expected(o.rootfs, o);
    }
  });
});

describe('hostile layers: layer sequences', () => {
  it.each(layerSequences)('%s', async (_name, layers, expected) => {
    const o = await unpack(layers());
    if (typeof expected === 'string') expect(o.code).toBe(expected);
    else {
      expect(o.code).toBe('resolved');
      await expected(o.rootfs, o);
    }
  });

  it('a zstd layer asking for a 1 GiB window is LIMIT_EXCEEDED, after a good layer, and nothing is left', async () => {
    const good = await stored([{ name: 'base', content: 'b' }]);
    const t = await tarOf([{ name: 'f', content: 'z'.repeat(5000) }]);
    const z = await storeBlob(store, compressWith('zstd', t, ['--long=30']), MediaType.OciLayerTarZstd, sha256Digest(t));
    const bundle = path.join(parent, 'bundles', String(++n));
    await mkdir(bundle, { recursive: true });
    const e = await unpackRootfs({ store, layers: [good.descriptor, z.descriptor], diffIds: [good.diffId, z.diffId], dest: path.join(bundle, 'rootfs') }).catch((x: unknown) => x);
    expect(isMagikrunError(e, 'LIMIT_EXCEEDED')).toBe(true);
    expect(await readdir(bundle)).toEqual([]);
  });

  it('a layer whose content does not match its diff_id is DIGEST_MISMATCH, and nothing is left', async () => {
    const a = await stored([{ name: 'a', content: 'a' }]);
    const b = await stored([{ name: 'b', content: 'b' }]);
    const bundle = path.join(parent, 'bundles', String(++n));
    await mkdir(bundle, { recursive: true });
    const e = await unpackRootfs({ store, layers: [a.descriptor, b.descriptor], diffIds: [a.diffId, a.diffId], dest: path.join(bundle, 'rootfs') }).catch((x: unknown) => x);
    expect(isMagikrunError(e, 'DIGEST_MISMATCH')).toBe(true);
    expect(await readdir(bundle)).toEqual([]);
  });
});

describe('unpackRootfs: atomic and private', () => {
  it('builds beside the destination in a 0700 directory and renames into place', async () => {
    const bundle = path.join(parent, 'bundles', String(++n));
    const dest = path.join(bundle, 'rootfs');
    let seen: { dir: string; mode: number } | undefined;
    const l = await stored([{ name: 'f', content: 'f' }]);
    // Observe the private directory while the unpack runs, from the warning of a device node left out.
    const spy = await stored([{ name: 'dev/x', type: 'character-device', devmajor: 1, devminor: 3 }]);
    await unpackRootfs({
      store,
      layers: [l.descriptor, spy.descriptor],
      diffIds: [l.diffId, spy.diffId],
      dest,
      privileged: false,
      onWarning: () => {
        const dirs = spawnSync('ls', ['-a', bundle]).stdout.toString().split('\n').filter((x) => x.startsWith('.rootfs.unpack-'));
        const dir = path.join(bundle, dirs[0]!);
        seen = { dir, mode: Number.parseInt(spawnSync('stat', ['-c', '%a', dir]).stdout.toString(), 8) };
      },
    });
    expect(seen?.mode).toBe(0o700);
    expect(await readdir(bundle)).toEqual(['rootfs']);
    expect((await lstat(dest)).mode & 0o777).toBe(0o755);
    expect(await text(path.join(dest, 'f'))).toBe('f');
  });

  it('refuses an existing destination (ALREADY_EXISTS) and a diff_id count that does not match (INVALID_ARGUMENT)', async () => {
    const l = await stored([{ name: 'f', content: 'f' }]);
    const dest = path.join(parent, 'bundles', String(++n), 'rootfs');
    await mkdir(dest, { recursive: true });
    const a = await unpackRootfs({ store, layers: [l.descriptor], diffIds: [l.diffId], dest }).catch((e: unknown) => e);
    expect(isMagikrunError(a, 'ALREADY_EXISTS')).toBe(true);
    const b = await unpackRootfs({ store, layers: [l.descriptor], diffIds: [], dest: `${dest}2` }).catch((e: unknown) => e);
    expect(isMagikrunError(b, 'INVALID_ARGUMENT')).toBe(true);
    const c = await unpackRootfs({ store, layers: [l.descriptor, l.descriptor], diffIds: [l.diffId, l.diffId], dest: `${dest}3`, limits: { maxLayers: 1 } }).catch((e: unknown) => e);
    expect(isMagikrunError(c, 'LIMIT_EXCEEDED')).toBe(true);
  });

  it('an abort removes the partial tree (ABORTED)', async () => {
    const l = await stored(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, content: 'x' })));
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    const bundle = path.join(parent, 'bundles', String(++n));
    await mkdir(bundle, { recursive: true });
    const e = await unpackRootfs({ store, layers: [l.descriptor], diffIds: [l.diffId], dest: path.join(bundle, 'rootfs'), signal: ac.signal }).catch((x: unknown) => x);
    expect(isMagikrunError(e, 'ABORTED')).toBe(true);
    expect(await readdir(bundle)).toEqual([]);
  });
});
